"""The disclosure audit: how closely can each hidden figure be worked out from everything
ever released? A linear program per hidden figure, not a list of known attacks.

Every figure is a sum over its responses (S = exact x n; for CES and percentages the
integer numerator). A BI user who holds every publication knows:

- the sum of every shown figure (its exact value and n are published);
- in each publication: a year's sum is the sum of its quarters' (per municipality, channel
  and figure); a cell's totaaloordeel sum is the sum of its products'; a BM is the mean of
  the municipalities' values (``gemeenten``, those with n >= the threshold) or the pooled
  mean (``respondenten``), exact when its exact value is shown, to within half its last
  digit when only the rounded BM is; the same for the size-class BM over its class;
- that a figure with the same key and n in two publications is the same quantity (a
  period that did not change), so a value shown once stays known;
- that two versions of a figure with another n differ by the responses added or removed
  in between (a late re-delivery, a period being filled): the larger sum minus the smaller
  is a sum of d = |n1 - n2| responses, within the domain times d. Where d is below the
  threshold that difference is protected like a suppressed figure of n = d;
- the domain of every mean: grades 1..10, CES -100..100, percentages 0..100.

For every hidden quantity the audit minimises and maximises its mean under all of that
(HiGHS through ``highspy``). A suppressed one (n below the threshold) is protected
when the feasible range is at least ``PROTECTION`` wide; a withheld one when it is not
determined (``SECONDARY``) (docs/metrics.md, "Disclosure control": a sliding protection
interval in the sense of tau-ARGUS and the Handbook on SDC). The variables are linked only
through shared relations, so each connected group is its own small LP.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata

import highspy
import numpy as np

from ..domain.periods import Periode

Key = tuple[str, str, str, str, str]  # gemeentecode, kanaal, periode, figuur_type, figuur

# The width the feasible range of a hidden mean must reach: three times half a printed
# digit, the bound the rounded-BM rule already guarantees (docs/metrics.md).
PROTECTION = {1: 0.3, 0: 3.0}  # by decimals: grades (one decimal); CES, percentages (none)
DOMAIN = {
    "totaaloordeel": (1.0, 10.0),
    "aspect": (1.0, 10.0),
    "product": (1.0, 10.0),
    "ces": (-100.0, 100.0),
    "stelling": (0.0, 100.0),
    "thema": (0.0, 100.0),
}
# Sums are whole multiples of a granule (docs/metrics.md, "Figures as exact fractions"):
# grades are whole numbers, Hostmanship's per-response means sixtieths, CES and the
# percentages 100 x a count. An attacker rounds a range's ends inward to the granule.
HOSTMANSHIP = "Hostmanship"


def granule(key: Key, decimalen: int) -> float:
    if decimalen == 0:
        return 100.0
    return 1 / 60 if key[4] == HOSTMANSHIP else 1.0


def _inward(low: float, high: float, step: float) -> tuple[float, float]:
    """[low, high] narrowed to the multiples of ``step`` inside it (unchanged if none)."""
    a, b = math.ceil(low / step - 1e-6) * step, math.floor(high / step + 1e-6) * step
    return (a, b) if a <= b else (low, high)


# A figure withheld by complementary suppression (n at or above the threshold) is not
# sensitive itself, as in tau-ARGUS and sdcTable, where protection levels are set for the
# primary unsafe cells only; it must still not be determined (a hundredth of the interval,
# well above the slack below), or withholding it would be for show.
SECONDARY = 0.01
# The BMs a figure is in a relation of: national, its size class, its comparison groups.
NATIONAAL, KLASSE, GROEP = "nationaal", "klasse", "groep"
TOLERANCE = 1e-7  # relative slack of the equalities: exact values are doubles


@dataclass(frozen=True)
class Figure:
    """A figure as a publication has it; ``exact`` None when hidden."""

    n: int
    decimalen: int
    exact: float | None = None
    bm: float | None = None  # the rounded BM as published
    bm_exact: float | None = None
    bm_method: str | None = None
    # the size-class BM (KTO_SIZE_CLASSES), as published, with the municipality's class
    klasse: str | None = None
    bm_klasse: float | None = None
    bm_klasse_exact: float | None = None
    # the BMs of the municipality's comparison groups (KTO_VERGELIJKINGSGROEPEN) as
    # published: (groep, bm, bm_exact) per group, by name
    groepen: tuple[tuple[str, float | None, float | None], ...] = ()
    # the exact fraction of the data behind it (teller/noemer), where known: the ledger and
    # the marts about to be published have it, a retained snapshot does not
    fingerprint: str | None = None

    def benchmark(self, kind: str, group: str = "") -> tuple[float | None, float | None]:
        """(rounded, exact) of the BM of ``kind`` as published with this figure: NATIONAAL,
        KLASSE (its size class) or GROEP (its comparison group ``group``)."""
        if kind == NATIONAAL:
            return self.bm, self.bm_exact
        if kind == KLASSE:
            return self.bm_klasse, self.bm_klasse_exact
        return next(((bm, e) for g, bm, e in self.groepen if g == group), (None, None))


@dataclass
class Publication:
    version: str
    drempel: int
    figures: dict[Key, Figure]


@dataclass(frozen=True)
class Finding:
    """A hidden quantity whose feasible range is narrower than the protection interval."""

    key: Key
    n: int
    low: float
    high: float
    versions: tuple[str, ...]  # the publications that hide it
    # a difference between two versions of the figure: (smaller n, larger n); n is then d
    revision: tuple[int, int] | None = None
    # closed by a rounded BM's window: the exact relations alone leave it open
    by_bm: bool = False

    @property
    def width(self) -> float:
        return self.high - self.low

    def text(self) -> str:
        gemeente, kanaal, periode, figuur_type, figuur = self.key
        where = f"{gemeente} {kanaal} {periode} {figuur_type} {figuur!r} (n = {self.n})"
        if self.revision:
            small, large = self.revision
            where = (
                f"{gemeente} {kanaal} {periode} {figuur_type} {figuur!r}, the {self.n} "
                f"response(s) between its versions of n = {small} and n = {large}"
            )
        if self.width < 1e-3:
            return f"{where}: recoverable as {self.low:.4f}"
        return f"{where}: only [{self.low:.4f}, {self.high:.4f}] (width {self.width:.4f})"


@dataclass
class AuditResult:
    hidden: int  # hidden quantities audited
    findings: list[Finding] = field(default_factory=list)
    released_before: list[Key] = field(default_factory=list)  # hidden now, shown earlier
    lps: int = 0  # solved; a group's programs taken from ``solved`` count in ``reused``
    reused: int = 0  # groups whose ranges were known from an identical program
    signatures: set[str] = field(default_factory=set)  # of every group solved or reused
    # points at an end of the domain that only a sum at its extreme closes (a shown year at
    # 0%: its hidden quarters are 0% too); accepted as inherent in the shown total
    extreme: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings and not self.released_before


@functools.cache  # a publication names a few periods in thousands of keys
def _period(periode: str) -> tuple[int, int | None]:
    parsed = Periode.parse(periode)
    return parsed.jaar, parsed.kwartaal


# (key, n, fingerprint): the same figure over the same responses. A figure of two versions
# with the same n is one quantity unless the fingerprints say its data changed (a
# correcting re-export): an attacker who took them for one would find the relations
# contradict each other, so he learns they are two.
Quantity = tuple[Key, int, str | None]


def _fingerprints(publications: Sequence[Publication]) -> dict[tuple[Key, int, float | None], str]:
    """The fingerprint of a figure without one (a retained snapshot), where the versions that
    have one leave no doubt: by key, n and shown value; else by key and n alone."""
    by_value: dict[tuple, set[str]] = defaultdict(set)
    for pub in publications:
        for key, f in pub.figures.items():
            if f.fingerprint is not None:
                by_value[(key, f.n, f.exact)].add(f.fingerprint)
                by_value[(key, f.n, "any")].add(f.fingerprint)
    return {k: next(iter(v)) for k, v in by_value.items() if len(v) == 1}


def _quantity(resolved: dict, key: Key, f: Figure) -> Quantity:
    fingerprint = f.fingerprint
    if fingerprint is None:
        fingerprint = resolved.get((key, f.n, f.exact)) or resolved.get((key, f.n, "any"))
    return (key, f.n, fingerprint)


class _System:
    """Linear relations over the sums of hidden quantities."""

    def __init__(self, publications: Sequence[Publication]):
        self._resolved = _fingerprints(publications)
        self.known: dict[Quantity, float] = {}
        conflict: set[Quantity] = set()
        for pub in publications:
            for key, f in pub.figures.items():
                if f.n > 0 and f.exact is not None:
                    q, s = self.q(key, f), f.exact * f.n
                    if q in self.known and abs(self.known[q] - s) > 1e-6 * max(1.0, abs(s)):
                        conflict.add(q)  # revised with the same n: two quantities
                    self.known.setdefault(q, s)
        for q in conflict:
            del self.known[q]
        self.variables: dict[Quantity, int] = {}
        self.hidden_in: dict[Quantity, list[str]] = defaultdict(list)
        self.decimals: dict[Quantity, int] = {}
        self.primary: set[Quantity] = set()  # suppressed: n below the threshold
        for pub in publications:
            for key, f in pub.figures.items():
                if f.n > 0 and f.exact is None:
                    q = self.q(key, f)
                    self.hidden_in[q].append(pub.version)
                    self.decimals[q] = f.decimalen
                    if f.n < pub.drempel:
                        self.primary.add(q)
                    if q not in self.known:
                        self.variables.setdefault(q, len(self.variables))
        # rows: ({var: coef}, low, high); an equality has low == high
        self.rows: dict[tuple, tuple[dict[int, float], float, float]] = {}
        for pub in publications:
            self._relations(pub)
        self.revisions = self._revisions(publications)
        # what an attacker assumes of a revision (responses added or removed, not changed):
        # rows that may contradict the data, so a group that becomes infeasible with them
        # is solved without them, as the attacker would have to
        self.assumptions: list[tuple[dict[int, float], float, float]] = []
        for small, large in self.revisions:
            terms, constant = self.difference(small, large)
            if terms:
                lo, hi = DOMAIN[small[0][3]]
                d = large[1] - small[1]
                self.assumptions.append((terms, lo * d - constant, hi * d - constant))

    def q(self, key: Key, f: Figure) -> Quantity:
        return _quantity(self._resolved, key, f)

    def _revisions(self, publications: Sequence[Publication]) -> list[tuple[Quantity, Quantity]]:
        """(smaller, larger): two versions of a figure whose n differ by fewer responses
        than the threshold, not both shown before the last publication (a difference
        released earlier cannot be taken back; the audit then judged it)."""
        *history, last = publications
        shown_before = {
            self.q(key, f)
            for pub in history
            for key, f in pub.figures.items()
            if f.exact is not None
        }
        versions: dict[Key, set[Quantity]] = defaultdict(set)
        for pub in publications:
            for key, f in pub.figures.items():
                if f.n > 0:
                    q = self.q(key, f)
                    versions[key].add(q)
                    self.decimals.setdefault(q, f.decimalen)
        pairs = []
        for qs in versions.values():
            ordered = sorted(qs, key=lambda q: (q[1], q[2] or ""))
            for i, small in enumerate(ordered):
                for large in ordered[i + 1 :]:
                    if large[1] - small[1] >= last.drempel:
                        break
                    if large[1] == small[1]:
                        continue  # the same n with other data: answers changed, none added
                    if small in shown_before and large in shown_before:
                        continue
                    if all(q in self.known or q in self.variables for q in (small, large)):
                        pairs.append((small, large))
        return pairs

    def difference(self, small: Quantity, large: Quantity) -> tuple[dict[int, float], float]:
        """The larger version's sum minus the smaller's: (terms over variables, constant)."""
        terms: dict[int, float] = {}
        constant = 0.0
        for q, sign in ((large, 1.0), (small, -1.0)):
            if q in self.variables:
                terms[self.variables[q]] = sign
            else:
                constant += sign * self.known[q]
        return terms, constant

    def _add(self, pub: Publication, terms: Iterable[tuple[Key, float]], low: float, high: float):
        row: dict[int, float] = defaultdict(float)
        # in the order of the keys, not of the publication's rows (the ledger and the marts
        # list them differently): the same relation, the same constants to the last bit, so
        # a group's program (its signature) is the same whichever source it was read from
        for key, coef in sorted(terms):
            f = pub.figures[key]
            q = self.q(key, f)
            if f.n == 0:
                continue
            if q in self.variables:
                row[self.variables[q]] += coef
            elif f.exact is not None:
                low, high = low - coef * f.exact * f.n, high - coef * f.exact * f.n
            else:  # hidden here, shown in another version
                low, high = low - coef * self.known[q], high - coef * self.known[q]
        row = {v: c for v, c in row.items() if c != 0}
        if row:
            # identical relations of several versions once
            ident = (tuple(sorted(row.items())), round(low, 7), round(high, 7))
            self.rows.setdefault(ident, (row, low, high))

    def _relations(self, pub: Publication) -> None:
        years: dict[tuple, list[Key]] = defaultdict(list)
        products: dict[tuple, list[Key]] = defaultdict(list)
        bms: dict[tuple, list[Key]] = defaultdict(list)
        for key in pub.figures:
            gemeente, kanaal, periode, figuur_type, figuur = key
            jaar, _ = _period(periode)
            years[(gemeente, kanaal, jaar, figuur_type, figuur)].append(key)
            if figuur_type in ("product", "totaaloordeel"):
                products[(gemeente, kanaal, periode)].append(key)
            if figuur_type != "product":
                bms[(NATIONAAL, "", kanaal, periode, figuur_type, figuur)].append(key)
                if (klasse := pub.figures[key].klasse) is not None:
                    bms[(KLASSE, klasse, kanaal, periode, figuur_type, figuur)].append(key)
                for groep, *_ in pub.figures[key].groepen:
                    bms[(GROEP, groep, kanaal, periode, figuur_type, figuur)].append(key)
        for members in years.values():
            total = [k for k in members if _period(k[2])[1] is None]
            quarters = [k for k in members if _period(k[2])[1] is not None]
            if total and quarters:
                self._add(pub, [(total[0], 1.0)] + [(k, -1.0) for k in quarters], 0.0, 0.0)
        for members in products.values():
            total = [k for k in members if k[3] == "totaaloordeel"]
            parts = [k for k in members if k[3] == "product"]
            if total and parts:
                self._add(pub, [(total[0], 1.0)] + [(k, -1.0) for k in parts], 0.0, 0.0)
        for (kind, group, *_), members in bms.items():
            self._benchmark(pub, members, kind, group)

    def _benchmark(self, pub: Publication, members: list[Key], kind: str, group: str) -> None:
        """The relation a BM (national, size class or comparison group: ``kind``) holds over
        its municipalities' sums: an equality when its exact value is shown, else the rounded
        BM +- half its last digit."""
        published = [(pub.figures[k], *pub.figures[k].benchmark(kind, group)) for k in members]
        shown = [(f, bm) for f, bm, _ in published if bm is not None]
        if not shown:
            return
        first, bm = shown[0]
        exact = next((e for _, _, e in published if e is not None), None)
        if exact is not None:
            low = high = exact
        else:
            half = 0.5 * 10.0**-first.decimalen
            low, high = bm - half, bm + half
        if first.bm_method == "respondenten":
            inside = [k for k in members if pub.figures[k].n > 0]
            total = sum(pub.figures[k].n for k in inside)
            terms = [(k, 1.0) for k in inside]
            self._add(pub, terms, low * total, high * total)
        else:
            inside = [k for k in members if pub.figures[k].n >= pub.drempel]
            terms = [(k, 1.0 / pub.figures[k].n) for k in inside]
            self._add(pub, terms, low * len(inside), high * len(inside))


def audit(
    publications: Sequence[Publication],
    *,
    domain: bool = True,
    solved: dict[str, list[tuple[float, float]]] | None = None,
) -> AuditResult:
    """Every hidden quantity of ``publications`` (all ever released, the new one last)
    whose feasible mean is narrower than ``PROTECTION``, and every difference between two
    versions of a figure over fewer responses than the threshold that is. ``domain`` False
    drops the domain bounds and the attacker's assumption about revisions (what exact
    elimination alone gives: width 0 or unbounded).

    ``solved`` maps a group's linear program (``group_signature``) to its ranges: a group
    found there is not solved again, one solved here is added. The ranges are a function of
    the program alone, so this changes no finding; it spares the groups a round of
    withholding or a new publication left as they were (protect.py keeps it)."""
    system = _System(publications)
    result = AuditResult(hidden=len(system.hidden_in))
    last = publications[-1] if publications else None
    if last is not None:
        for key, f in last.figures.items():
            if f.n > 0 and f.exact is None and system.q(key, f) in system.known:
                result.released_before.append(key)
    quantities = sorted(system.variables, key=system.variables.get)
    bounds = []
    for key, n, _ in quantities:
        lo, hi = DOMAIN[key[3]]
        bounds.append((lo * n, hi * n) if domain else (None, None))
    # connected groups of variables that share a relation
    parent = list(range(len(quantities)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows = list(system.rows.values())
    assumptions = system.assumptions if domain else []
    for row, _, _ in rows + assumptions:
        first, *rest = row
        for other in rest:
            parent[root(other)] = root(first)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(quantities)):
        groups[root(i)].append(i)
    rows_of: dict[int, list] = defaultdict(list)
    assumed_of: dict[int, list] = defaultdict(list)
    for row in rows:
        rows_of[root(next(iter(row[0])))].append(row)
    for row in assumptions:
        assumed_of[root(next(iter(row[0])))].append(row)
    # objectives: ("var", variable) or ("rev", (key, small, large), constant)
    differences: dict[int, list] = defaultdict(list)
    for small, large in system.revisions:
        terms, constant = system.difference(small, large)
        if terms:
            differences[root(next(iter(terms)))].append(((small, large), terms, constant))
        else:  # both versions shown: the difference is released as it is
            _judge_revision(system, result, (small, large), constant, constant, domain)
    for group, members in groups.items():
        if group not in rows_of and group not in assumed_of:
            continue  # in no relation: its domain is all anyone knows
        # one order that depends on the group's contents only, not on the variables' numbers
        # (which shift with every hidden figure added): the same program, the same signature
        members = sorted(members, key=lambda v: _order(quantities[v]))
        local = {v: i for i, v in enumerate(members)}
        own = sorted(((_canonical(r, local), r) for r in rows_of[group]), key=_first)
        assumed = sorted(((_canonical(r, local), r) for r in assumed_of[group]), key=_first)
        differences[group].sort(key=lambda d: (_order(d[0][0]), _order(d[0][1])))
        objectives = [{v: 1.0} for v in members] + [t for _, t, _ in differences[group]]
        signature = group_signature(
            [bounds[v] for v in members],
            [c for c, _ in own],
            [c for c, _ in assumed],
            [_canonical((t, 0.0, 0.0), local)[0] for t in objectives[len(members) :]],
        )
        result.signatures.add(signature)
        ranges = solved.get(signature) if solved is not None else None
        if ranges is None:
            rows_here, assumed_here = [r for _, r in own], [r for _, r in assumed]
            try:
                ranges = _ranges(members, rows_here + assumed_here, bounds, objectives)
            except _Infeasible:
                if not assumed_here:
                    raise ValueError(
                        "the released figures contradict each other "
                        f"(around {quantities[members[0]]})"
                    ) from None
                # a revision that changed answers: the attacker learns the assumption is false
                ranges = _ranges(members, rows_here, bounds, objectives)
            result.lps += 2 * len(objectives)
            if solved is not None:
                solved[signature] = ranges
        else:
            result.reused += 1
        narrow: list[tuple[int, Finding]] = []
        for var, (low, high) in zip(members, ranges, strict=False):
            q = quantities[var]
            key, n, _ = q
            if domain:
                low, high = _inward(low, high, granule(key, system.decimals[q]))
            if (high - low) / n < _width(system, q) - 1e-9:
                versions = tuple(system.hidden_in[q])
                narrow.append((var, Finding(key, n, low / n, high / n, versions)))
        extreme, by_bm = (
            _classify(
                system,
                quantities,
                members,
                [r for _, r in own],
                [r for _, r in assumed],
                bounds,
                narrow,
            )
            if domain
            else (set(), set())
        )
        for var, finding in narrow:
            if var in extreme:
                result.extreme.append(finding)
            else:
                result.findings.append(replace(finding, by_bm=var in by_bm))
        for (revision, _, constant), (low, high) in zip(
            differences[group], ranges[len(members) :], strict=True
        ):
            _judge_revision(system, result, revision, low + constant, high + constant, domain)
    result.findings.sort(key=lambda f: (f.key, f.n, f.revision or ()))
    return result


def _width(system: _System, q: Quantity) -> float:
    """The width a hidden quantity's feasible mean must reach."""
    width = PROTECTION[system.decimals[q]]
    if q not in system.primary:
        width *= SECONDARY  # withheld to protect others: it must only stay unknown
    return width


def _classify(
    system: _System,
    quantities: list[Quantity],
    members: list[int],
    rows: list,
    assumed: list,
    bounds: list,
    narrow: list[tuple[int, Finding]],
) -> tuple[set[int], set[int]]:
    """(at an extreme, by the BMs) among the narrow quantities of one group.

    By the BMs: wide enough without the rounded BMs (the exact relations, the attacker's
    assumptions about revisions, the domain), so what closes it is a rounded BM's window (a
    few points, where one response of a small percentage figure is 10 or more): a
    complement must come from the BM's relation (``complements``), not from the year's.

    At an extreme: a point at an end of its domain that the exact relations alone (years,
    products, exact BMs) with the domain still close to that point, and that they do not
    determine without the domain. A sum of hidden members held at its extreme (a shown year
    at 0% with hidden quarters) says that every respondent of each of them answered the
    same, which is inherent in publishing the total (docs/metrics.md, "A total at an end of
    its domain"); accepted, not a finding."""
    if not narrow:
        return set(), set()
    exact = [r for r in rows if r[1] == r[2]]
    objectives = [{v: 1.0} for v, _ in narrow]
    # the ranges of exact + assumed, and whether they are those of the exact rows alone
    if len(exact) == len(rows) and not assumed:
        # no rounded BM and no assumption in the group: its own program, whose ranges the
        # findings hold (no LP again)
        without_bm = [(f.low * f.n, f.high * f.n) for _, f in narrow]
        exact_only = True
    else:
        try:
            without_bm = _ranges(members, exact + assumed, bounds, objectives)
            exact_only = not assumed
        except _Infeasible:  # a revision that changed answers, as in ``audit``
            without_bm = _ranges(members, exact, bounds, objectives)
            exact_only = True
    by_bm, edge = set(), []
    for (var, f), (low, high) in zip(narrow, without_bm, strict=True):
        q = quantities[var]
        key, n, _ = q
        low, high = _inward(low, high, granule(key, system.decimals[q]))
        if (high - low) / n >= _width(system, q) - 1e-9:
            by_bm.add(var)
        elif f.width == 0 and any(math.isclose(f.low, e, abs_tol=1e-9) for e in DOMAIN[key[3]]):
            edge.append(var)
    if not edge:
        return set(), by_bm
    objectives = [{v: 1.0} for v in edge]
    if exact_only:
        ranges_of = {var: r for (var, _), r in zip(narrow, without_bm, strict=True)}
        bounded = [ranges_of[var] for var in edge]
    else:
        bounded = _ranges(members, exact, bounds, objectives)
    free = _ranges(members, exact, {v: (None, None) for v in members}, objectives)
    extreme = set()
    for var, (low, high), (free_low, free_high) in zip(edge, bounded, free, strict=True):
        q = quantities[var]
        key, n, _ = q
        point = next(f.low for v, f in narrow if v == var) * n
        low, high = _inward(low, high, granule(key, system.decimals[q]))
        held = all(math.isclose(end, point, abs_tol=1e-6) for end in (low, high))
        if held and (free_high - free_low) / n >= _width(system, q) - 1e-9:
            extreme.add(var)
    return extreme, by_bm


def _judge_revision(
    system: _System,
    result: AuditResult,
    revision: tuple[Quantity, Quantity],
    low: float,
    high: float,
    domain: bool,
) -> None:
    """A finding when the sum of the responses between two versions is known to within
    less than the protection interval (it is protected as a suppressed figure of n = d)."""
    small_q, large_q = revision
    key, small, large = small_q[0], small_q[1], large_q[1]
    d = large - small
    if domain:
        lo, hi = DOMAIN[key[3]]
        low, high = max(low, lo * d), min(high, hi * d)
        low, high = _inward(low, high, granule(key, system.decimals[large_q]))
    if (high - low) / d < PROTECTION[system.decimals[large_q]] - 1e-9:
        versions = tuple(
            dict.fromkeys(system.hidden_in.get(small_q, []) + system.hidden_in.get(large_q, []))
        )
        result.findings.append(Finding(key, d, low / d, high / d, versions, (small, large)))


def _order(q: Quantity) -> tuple:
    key, n, fingerprint = q
    return key, n, fingerprint or ""


def _first(pair: tuple) -> tuple:
    return pair[0]


def _canonical(row: tuple, local: dict[int, int]) -> tuple:
    """A row with the group's own column numbers, its terms in column order."""
    terms, low, high = row
    return tuple(sorted((local[v], c) for v, c in terms.items())), low, high


# what the ranges of a program also depend on: the solver and the slack of the equalities
_SOLVER = f"highspy {metadata.version('highspy')}; {TOLERANCE!r}"


def group_signature(bounds: list, rows: list, assumed: list, differences: list) -> str:
    """A hash of one group's linear program: the columns' bounds, the rows, the attacker's
    assumptions and the difference objectives, in the group's own order (``repr`` keeps
    every double exactly). Equal signatures, equal programs, equal ranges."""
    text = repr((_SOLVER, bounds, rows, assumed, differences))
    return hashlib.sha256(text.encode()).hexdigest()


class _Infeasible(ValueError):
    """The rows of a group admit no solution."""


def _ranges(
    members: list[int], rows: list, bounds: list, objectives: list[dict[int, float]]
) -> list[tuple[float, float]]:
    """(min, max) of every objective (a linear form over the variables of one connected
    group) under the group's rows and the variables' bounds: one HiGHS model per group,
    re-solved from the last basis with each new objective (a few simplex iterations each,
    where a fresh solve per objective, as ``scipy.optimize.linprog`` does, would start from
    nothing: 7 times the time on the demo)."""
    col = {v: j for j, v in enumerate(members)}
    inf = highspy.kHighsInf
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")  # the models are small; a kept basis is the speed
    box = [bounds[v] for v in members]
    h.addVars(
        len(members),
        np.array([-inf if lo is None else lo for lo, _ in box], dtype=float),
        np.array([inf if hi is None else hi for _, hi in box], dtype=float),
    )
    lows, highs, starts, index, values = [], [], [], [], []
    for row, low, high in rows:
        scale = max(1.0, abs(low), abs(high))
        if high - low <= TOLERANCE * scale:
            # an equality of doubles: a hair of slack either way, so rounding is feasible
            low, high = low - TOLERANCE * scale, high + TOLERANCE * scale
        starts.append(len(index))
        for v, c in row.items():
            index.append(col[v])
            values.append(c)
        lows.append(low)
        highs.append(high)
    if rows:
        h.addRows(
            len(rows),
            np.array(lows, dtype=float),
            np.array(highs, dtype=float),
            len(index),
            np.array(starts, dtype=np.int32),
            np.array(index, dtype=np.int32),
            np.array(values, dtype=float),
        )
    # feasibility first (no objective), so that "unbounded" below is never an infeasible
    # model in disguise, and the basis it leaves starts the first objective
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise _Infeasible
    every = np.arange(len(members), dtype=np.int32)
    out = []
    for objective in objectives:
        cost = np.zeros(len(members))
        for v, coef in objective.items():
            cost[col[v]] = coef
        h.changeColsCost(len(members), every, cost)
        low, high = (_optimum(h, sense) for sense in (_MIN, _MAX))
        out.append((low, high))
    return out


_MIN, _MAX = highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize


def _optimum(h: highspy.Highs, sense: highspy.ObjSense) -> float:
    """The objective's optimum in ``sense``; -inf/inf where unbounded."""
    h.changeObjectiveSense(sense)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return h.getInfo().objective_function_value
    if status == highspy.HighsModelStatus.kInfeasible:
        raise _Infeasible
    if status in (
        highspy.HighsModelStatus.kUnbounded,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        # the model is feasible (checked first): the objective is unbounded
        return -np.inf if sense == _MIN else np.inf
    raise RuntimeError(f"HiGHS ended with {h.modelStatusToString(status)}")


def complements(publications: Sequence[Publication], findings: Iterable[Finding]) -> list[Key]:
    """Figures of the new publication (the last) to withhold on top, one per finding: in a
    relation of the unprotected figure, the shown member with the smallest n that was not
    released before (a total only when no part is left). Withholding it joins the figure's
    relations to another unknown, which is what the exact-elimination rule could not see
    (a bridge: two cycles of hidden cells joined by one). For a small difference between
    two versions of a figure, the version this publication shows, when it shows it and did
    not release it before.

    A quantity of an earlier version only (this publication has the figure with another n,
    other data, or not at all) is given away by this publication all the same: its new
    year and its new quarter, both shown, give the sum of the unchanged hidden quarters,
    which the old year turns into the old quarter. So it takes a complement from the same
    relations of this publication; none when one already chosen in this round lies in them
    (one withheld new figure usually closes every old quantity of its relations; the next
    audit says). Empty when nothing qualifies.

    A finding a rounded BM's window closes (``Finding.by_bm``: the years and products leave
    it open) takes its complement in that BM's relation instead: another municipality's
    figure of the same period, shown, not released before: one of a year that already hides
    some first (else the relation rule hides one more of its year, which may stand alone in
    its own BM), one at an end of its domain last (its year may hold it there), then the
    smallest n."""
    *history, last = publications
    resolved = _fingerprints(publications)
    released = {
        _quantity(resolved, key, f)
        for pub in history
        for key, f in pub.figures.items()
        if f.exact is not None
    }

    def groups_of(key: Key) -> list[tuple]:
        # from the key, so also for a figure this publication no longer has
        gemeente, kanaal, periode, figuur_type, figuur = key
        found = [("jaar", gemeente, kanaal, _period(periode)[0], figuur_type, figuur)]
        if figuur_type in ("product", "totaaloordeel"):
            found.append(("product", gemeente, kanaal, periode))
        return found

    groups: dict[tuple, list[Key]] = defaultdict(list)
    for key in last.figures:
        for group in groups_of(key):
            groups[group].append(key)
    # the BM relations of this publication (as _System._relations forms them): national, and
    # the size class's; for a finding a rounded BM's window closes
    benchmarks: dict[tuple, list[Key]] = defaultdict(list)
    for key, f in last.figures.items():
        _, kanaal, periode, figuur_type, figuur = key
        if figuur_type == "product":
            continue
        if f.bm is not None:
            benchmarks[("", kanaal, periode, figuur_type, figuur)].append(key)
        if f.klasse is not None and f.bm_klasse is not None:
            benchmarks[(f.klasse, kanaal, periode, figuur_type, figuur)].append(key)

    def in_benchmarks(key: Key) -> list[Key]:
        _, kanaal, periode, figuur_type, figuur = key
        own = last.figures.get(key)
        found = list(benchmarks.get(("", kanaal, periode, figuur_type, figuur), []))
        if own is not None and own.klasse is not None:
            found += benchmarks.get((own.klasse, kanaal, periode, figuur_type, figuur), [])
        # a gemeenten BM holds the municipalities at or above the threshold only
        return [k for k in found if k != key and last.figures[k].n >= last.drempel]

    def at_an_end(k: Key) -> bool:
        # a member at an end of its domain may be held there by its own shown year at that
        # end (then hiding it widens nothing): the others first
        g = last.figures[k]
        return g.exact is not None and g.exact in DOMAIN[k[3]]

    # a member whose year hides nothing yet makes the relation rule hide a second member of
    # that year, which may stand alone in its own period's BM and be the next finding: the
    # members of years that already hide some first
    hiding = {
        group
        for group, keys in groups.items()
        if group[0] == "jaar"
        and any(
            last.figures[k].exact is None
            and last.figures[k].n > 0
            and _quantity(resolved, k, last.figures[k]) not in released
            for k in keys
        )
    }

    def alone_in_its_year(k: Key) -> bool:
        return groups_of(k)[0] not in hiding

    chosen: list[Key] = []

    def total(k: Key) -> bool:
        return _period(k[2])[1] is None or k[3] == "totaaloordeel"

    def fresh(k: Key, g: Figure) -> bool:
        return g.exact is not None and g.n > 0 and _quantity(resolved, k, g) not in released

    for finding in findings:
        f = last.figures.get(finding.key)
        if finding.revision is not None:
            if f is not None and f.n in finding.revision and fresh(finding.key, f):
                # this publication shows one side of a small difference: withhold it (the
                # relation rule then hides what would give it back)
                if finding.key not in chosen:
                    chosen.append(finding.key)
                continue
            current = f is not None and f.n in finding.revision
        else:
            current = f is not None and f.n == finding.n and f.exact is None
        if finding.by_bm:
            # the years' and products' relations leave it open: a second hidden member of the
            # BM's relation opens the window, a quarter of its year would not
            members = in_benchmarks(finding.key)
            order = lambda k: (alone_in_its_year(k), at_an_end(k), last.figures[k].n, k)  # noqa: E731
        else:
            members = [k for group in groups_of(finding.key) for k in groups[group]]
            order = lambda k: (total(k), last.figures[k].n, k)  # noqa: E731
        if not current and any(k in chosen for k in members):
            continue
        candidates = [k for k in members if fresh(k, last.figures[k]) and k not in chosen]
        if candidates:
            chosen.append(min(candidates, key=order))
    return chosen
