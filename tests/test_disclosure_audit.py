"""The LP audit (dagster_project/disclosure/audit.py) against the exact-elimination attack
(tests/attack.py), an independent oracle: on generated tables of products x quarters with
years, products and BMs, without domain bounds the audit's ranges are a point exactly for
the figures the attack recovers, with the same value, and unbounded for the others. With
the domain bounds the audit flags at least what the attack recovers."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dagster_project.disclosure.audit import Figure, Key, Publication, audit, complements
from tests.attack import recover, recover_earlier, recover_revisions, recover_union
from tests.layers import Figures

DREMPEL = 10
PRODUCTS = ("A", "B", "C", "D")


def table(
    gemeenten: int, hidden: set[tuple[int, int, int]], sizes: dict, means: dict, bm_exact: bool
) -> Figures:
    """``gemeenten`` municipalities x products x quarters (1..4; 0 = the year), with each
    cell's totaaloordeel; ``hidden``: (gemeente, product, quarter) not shown."""
    figures: Figures = {}

    def put(g: int, periode: str, figuur_type: str, figuur: str, n: int, s: float, hide: bool):
        jaar, _, q = periode.partition("-Q")
        figures[(f"GM{g:04d}", "balie", periode, figuur_type, figuur)] = {
            "jaar": int(jaar),
            "kwartaal": int(q) if q else None,
            "n": n,
            "exact": None if hide or n == 0 else s / n,
            "_mean": s / n if n else None,
            "ci_low": None,
            "ci_high": None,
            "bm": None,
            "bm_exact": None,
            "bm_method": "gemeenten",
            "publiceerbaar": not hide,
        }

    for g in range(gemeenten):
        year_n: dict[int, int] = {}
        year_s: dict[int, float] = {}
        for q in (1, 2, 3, 4):
            cell_n, cell_s = 0, 0.0
            for p in range(len(PRODUCTS)):
                n = sizes[(g, p, q)]
                s = means[(g, p, q)] * n
                put(g, f"2021-Q{q}", "product", PRODUCTS[p], n, s, (g, p, q) in hidden)
                cell_n, cell_s = cell_n + n, cell_s + s
                year_n[p], year_s[p] = year_n.get(p, 0) + n, year_s.get(p, 0.0) + s
            put(
                g,
                f"2021-Q{q}",
                "totaaloordeel",
                "Totaaloordeel",
                cell_n,
                cell_s,
                (g, -1, q) in hidden,
            )
        for p in range(len(PRODUCTS)):
            put(g, "2021", "product", PRODUCTS[p], year_n[p], year_s[p], (g, p, 0) in hidden)
        put(g, "2021", "totaaloordeel", "Totaaloordeel", sum(year_n.values()),
            sum(year_s.values()), (g, -1, 0) in hidden)  # fmt: skip
    if bm_exact:  # the gemeenten-BM of each quarter's totaaloordeel, exact
        for q in (1, 2, 3, 4):
            members = [
                f for k, f in figures.items() if k[2] == f"2021-Q{q}" and k[3] == "totaaloordeel"
            ]
            inside = [f for f in members if f["n"] >= DREMPEL]
            if inside:
                true = [_true(f) for f in inside]
                for f in members:
                    f["bm_exact"] = sum(true) / len(true)
                    f["bm"] = round(f["bm_exact"], 1)
    return figures


def _true(f) -> float:
    return f["_mean"]


def publication(figures: Figures, version: str = "v") -> Publication:
    return Publication(
        version,
        DREMPEL,
        {
            k: Figure(
                n=f["n"],
                decimalen=1,
                exact=f["exact"],
                bm=f["bm"],
                bm_exact=f["bm_exact"],
                bm_method=f["bm_method"],
            )
            for k, f in figures.items()
        },
    )


@st.composite
def tables(draw):
    gemeenten = draw(st.integers(1, 2))
    cells = [
        (g, p, q) for g in range(gemeenten) for p in range(len(PRODUCTS)) for q in (1, 2, 3, 4)
    ]
    sizes = {c: draw(st.integers(1, 14)) for c in cells}
    means = {c: draw(st.integers(10, 100)) / 10 for c in cells}
    margins = [(g, p, 0) for g in range(gemeenten) for p in range(-1, len(PRODUCTS))] + [
        (g, -1, q) for g in range(gemeenten) for q in (1, 2, 3, 4)
    ]
    hidden = set(draw(st.lists(st.sampled_from(cells + margins), max_size=12)))
    return gemeenten, hidden, sizes, means, draw(st.booleans())


BRIDGE_HIDDEN = {(0, 0, 1), (0, 0, 2), (0, 1, 1), (0, 1, 2), (0, 2, 3), (0, 2, 4), (0, 3, 3),
                 (0, 3, 4), (0, 0, 3)}  # fmt: skip
BRIDGE_SIZES = {
    (0, p, q): 3 if (0, p, q) in BRIDGE_HIDDEN else 10 for p in range(4) for q in range(1, 5)
}
BRIDGE_MEANS = {c: 13 / 3 if c in BRIDGE_HIDDEN else 7.5 for c in BRIDGE_SIZES}


@settings(max_examples=150)  # milliseconds each: more than the slow tests' profile
@given(tables())
@example((1, BRIDGE_HIDDEN, BRIDGE_SIZES, BRIDGE_MEANS, False))
def test_audit_without_bounds_is_exact_elimination(case):
    figures = table(*case)
    found = recover(figures, DREMPEL)
    result = audit([publication(figures)], domain=False)
    points = {f.key: f for f in result.findings}
    # without bounds a range is a point (recoverable) or unbounded: nothing in between
    assert all(f.width < 1e-3 for f in result.findings), result.findings
    assert set(points) == set(found)
    for key, value in found.items():
        assert math.isclose(points[key].low, value, abs_tol=1e-3), (key, value, points[key])


@settings(max_examples=150)  # milliseconds each: more than the slow tests' profile
@given(tables())
@example((1, BRIDGE_HIDDEN, BRIDGE_SIZES, BRIDGE_MEANS, False))
def test_audit_flags_whatever_the_attack_recovers(case):
    figures = table(*case)
    found = recover(figures, DREMPEL)
    flagged = {f.key for f in audit([publication(figures)]).findings}
    assert set(found) <= flagged


def test_bridge_is_found_by_both():
    figures = table(1, BRIDGE_HIDDEN, BRIDGE_SIZES, BRIDGE_MEANS, False)
    key = ("GM0000", "balie", "2021-Q3", "product", "A")
    assert recover(figures, DREMPEL) == {key: __import__("pytest").approx(13 / 3)}
    [finding] = audit([publication(figures)]).findings
    assert finding.key == key and finding.width < 1e-3


def test_differencing_two_versions():
    """Q1-Q3 and the year shown; then Q4 (n 5) arrives, is suppressed, Q3 withheld to protect
    it and the year shown: the union gives Q4, either publication alone does not."""
    sizes = {
        (0, p, q): (0 if p else {1: 12, 2: 15, 3: 11, 4: 5}[q])
        for p in range(4)
        for q in range(1, 5)
    }
    means = {c: 7.5 if c[2] < 4 else 2.4 for c in sizes}
    first = table(1, set(), {c: (n if c[2] < 4 else 0) for c, n in sizes.items()}, means, False)
    second = table(1, {(0, 0, 4), (0, -1, 4), (0, 0, 3), (0, -1, 3)}, sizes, means, False)
    first = {k: f for k, f in first.items() if f["n"] > 0}
    second = {k: f for k, f in second.items() if f["n"] > 0}
    assert not recover(first, DREMPEL) and not recover(second, DREMPEL)
    union = recover_union([first, second], DREMPEL)
    q4 = ("GM0000", "balie", "2021-Q4", "totaaloordeel", "Totaaloordeel")
    assert math.isclose(union[q4], 2.4)
    flagged = {f.key for f in audit([publication(first, "v1"), publication(second, "v2")]).findings}
    assert q4 in flagged
    assert not audit([publication(second)]).findings


def _withhold(figures: Figures, keys) -> Figures:
    return {k: {**f, "exact": None} if k in keys else f for k, f in figures.items()}


def test_complements_close_the_bridge():
    figures = table(1, BRIDGE_HIDDEN, BRIDGE_SIZES, BRIDGE_MEANS, False)
    pub = publication(figures)
    extra = complements([pub], audit([pub]).findings)
    # one shown product quarter of the bridge cell's relations, not a total
    assert len(extra) == 1 and extra[0][3] == "product" and "-Q" in extra[0][2]
    after = _withhold(figures, set(extra))
    assert not audit([publication(after)]).findings
    assert not recover(after, DREMPEL)


@settings(max_examples=100)
@given(tables())
def test_withholding_until_the_audit_passes(case):
    """Withholding complements round by round (as dagster_project/disclosure/protect.py
    does): only shown figures are picked, and once the audit passes the exact-elimination
    attack finds nothing."""
    figures = table(*case)
    for _ in range(8):
        result = audit([publication(figures)])
        extra = complements([publication(figures)], result.findings)
        if result.passed or not extra:
            break
        assert all(figures[k]["exact"] is not None for k in extra)
        figures = _withhold(figures, set(extra))
    if audit([publication(figures)]).passed:
        assert not recover(figures, DREMPEL)


def _revised(sizes: dict, extra: dict) -> dict:
    return {c: n + extra.get(c, 0) for c, n in sizes.items()}


def test_revision_difference():
    """A late re-delivery adds one response to a closed quarter: both versions shown give
    that response's grade exactly (the difference of two sums). The audit flags the
    difference; withholding what complements picks until it passes leaves the attack on
    both publications nothing, and the first publication stays as it was."""
    sizes = {(0, p, q): (12 if p == 0 and q < 3 else 0) for p in range(4) for q in range(1, 5)}
    means = {c: 7.5 for c in sizes}
    first = {k: f for k, f in table(1, set(), sizes, means, False).items() if f["n"] > 0}
    # one more response in Q1, graded 2: Q1's sum 90 -> 92, its mean 7.5 -> 92/13
    late = _revised(sizes, {(0, 0, 1): 1})
    second_means = {c: (92 / 13 if c == (0, 0, 1) else m) for c, m in means.items()}
    second = {k: f for k, f in table(1, set(), late, second_means, False).items() if f["n"] > 0}
    found = recover_revisions([first, second], DREMPEL)
    q1 = ("GM0000", "balie", "2021-Q1", "totaaloordeel", "Totaaloordeel")
    assert math.isclose(found[(q1, 12, 13)], 2.0)
    assert not recover_union([first, second], DREMPEL)  # no single figure is hidden
    pubs = [publication(first, "v1"), publication(second, "v2")]
    result = audit(pubs)
    revisions = {(f.key, f.revision) for f in result.findings if f.revision}
    assert (q1, (12, 13)) in revisions
    [q1_finding] = [f for f in result.findings if f.key == q1 and f.revision]
    assert (
        q1_finding.n == 1 and q1_finding.width < 1e-3 and "n = 12 and n = 13" in (q1_finding.text())
    )
    for _ in range(8):
        extra = complements(pubs, result.findings)
        if result.passed or not extra:
            break
        assert all(second[k]["exact"] is not None for k in extra)
        second = _withhold(second, set(extra))
        pubs = [publication(first, "v1"), publication(second, "v2")]
        result = audit(pubs)
    assert result.passed, [f.text() for f in result.findings]
    assert second[q1]["exact"] is None
    assert not recover_revisions([first, second], DREMPEL)
    assert not recover_union([first, second], DREMPEL)


def _december() -> tuple[Figures, Figures]:
    """The national history bench's December drop, in small (GM2212 telefoon 2020, product
    A = Rijbewijs, B = Uittreksel BRP): to November A's Q4 (n 8) is suppressed and B's
    Q4 (n 11) protects it in the cell, Q1 and Q3 of both withheld, the years shown.
    December adds 11 responses to A's Q4 and 5 to B's, 8 to C's: A's Q4 (n 19) and its
    year are shown; B's and C's Q4 and years are hidden (a version with fewer than the
    threshold responses less was shown, or nothing of it was: the relation rule's doing)."""
    sizes = {(0, 0, 1): 24, (0, 0, 2): 31, (0, 0, 3): 28, (0, 0, 4): 8,
             (0, 1, 1): 24, (0, 1, 2): 25, (0, 1, 3): 16, (0, 1, 4): 11,
             (0, 2, 1): 30, (0, 2, 2): 30, (0, 2, 3): 30, (0, 2, 4): 26,
             (0, 3, 1): 40, (0, 3, 2): 40, (0, 3, 3): 40, (0, 3, 4): 40}  # fmt: skip
    means = {c: 8.0 + (c[1] + c[2]) / 10 for c in sizes} | {(0, 0, 4): 67 / 8, (0, 1, 4): 97 / 11}
    hidden = {(0, 0, 1), (0, 0, 3), (0, 1, 1), (0, 1, 3), (0, 0, 4), (0, 1, 4)}
    first = table(1, hidden, sizes, means, False)
    late = _revised(sizes, {(0, 0, 4): 11, (0, 1, 4): 5, (0, 2, 4): 8})
    later = means | {(0, 0, 4): 166 / 19, (0, 1, 4): 138 / 16, (0, 2, 4): 8.5}
    hidden_now = {(0, 0, 1), (0, 0, 3), (0, 1, 1), (0, 1, 3), (0, 1, 4), (0, 1, 0), (0, 2, 4),
                  (0, 2, 0)}  # fmt: skip
    return first, table(1, hidden_now, late, later, False)


def test_new_figures_give_an_earlier_hidden_one_away():
    """The December drop of the history bench failed the audit after its rounds: the new
    year and the new Q4 of A, both shown, give A's Q1 + Q3 (hidden in both versions, the
    same data), and the old year turns that into the old Q4 (n 8), and the old cell into
    B's old Q4. Both are quantities of the first publication only, and ``complements``
    picked nothing for them, so protection stopped with the findings open. Now it
    withholds a new figure of their relations, and nothing comes back."""
    first, second = _december()
    a4 = ("GM0000", "balie", "2021-Q4", "product", "A")
    b4 = ("GM0000", "balie", "2021-Q4", "product", "B")
    assert not recover_earlier([first], DREMPEL) and not recover_earlier([second], DREMPEL)
    found = recover_earlier([first, second], DREMPEL)
    assert found == {(a4, 8): pytest.approx(67 / 8), (b4, 11): pytest.approx(97 / 11)}
    pubs = [publication(first, "v1"), publication(second, "v2")]
    result = audit(pubs)
    assert {(f.key, f.n) for f in result.findings} >= {(a4, 8), (b4, 11)}
    rounds = 0
    while not result.passed and rounds < 8:
        extra = complements(pubs, result.findings)
        assert extra, [f.text() for f in result.findings]
        assert all(second[k]["exact"] is not None for k in extra)
        second = _withhold(second, set(extra))
        pubs = [publication(first, "v1"), publication(second, "v2")]
        result, rounds = audit(pubs), rounds + 1
    assert result.passed, [f.text() for f in result.findings]
    assert not recover_earlier([first, second], DREMPEL)
    assert not recover_revisions([first, second], DREMPEL)
    # the new Q4 of A is what closes it: one figure, in one round
    assert rounds == 1 and second[a4]["exact"] is None and second[a4]["n"] == 19


def test_revision_that_changed_answers_is_not_a_contradiction():
    """A re-delivery that corrects grades and adds one response: the sums differ by more
    than one response can, so the attacker's assumption (responses only added) is false.
    The audit drops it for that group rather than fail on infeasible relations."""
    sizes = {(0, p, q): (12 if p == 0 and q < 3 else 0) for p in range(4) for q in range(1, 5)}
    first = {k: f for k, f in table(1, set(), sizes, {c: 9.0 for c in sizes}, False).items()
             if f["n"] > 0}  # fmt: skip
    late = _revised(sizes, {(0, 0, 1): 1})
    means = {c: (40 / 13 if c == (0, 0, 1) else 9.0) for c in sizes}  # 108 -> 40
    second = {k: f for k, f in table(1, {(0, 0, 1), (0, -1, 1)}, late, means, False).items()
              if f["n"] > 0}  # fmt: skip
    result = audit([publication(first, "v1"), publication(second, "v2")])
    assert result.lps > 0  # solved, without raising


LATE = st.dictionaries(
    st.sampled_from([(0, p, q) for p in range(4) for q in (1, 2, 3, 4)]),
    st.integers(1, 4),
    max_size=3,
)  # cell -> responses a re-delivery adds


@settings(max_examples=60)
@given(tables(), LATE)
def test_revisions_audit_flags_whatever_the_attack_recovers(case, extra):
    """Two versions, the second with a few responses added to some cells: every difference
    the exact-elimination attack recovers, the audit flags."""
    gemeenten, hidden, sizes, means, bm = case
    first = table(gemeenten, hidden, sizes, means, bm)
    second = table(gemeenten, hidden, _revised(sizes, extra), means, bm)
    pubs = [publication(first, "v1"), publication(second, "v2")]
    flagged = {(f.key, *f.revision) for f in audit(pubs).findings if f.revision}
    assert set(recover_revisions([first, second], DREMPEL)) <= flagged
    for _ in range(8):
        result = audit(pubs)
        extra = complements(pubs, result.findings)
        if result.passed or not extra:
            break
        assert all(second[k]["exact"] is not None for k in extra)
        second = _withhold(second, set(extra))
        pubs = [publication(first, "v1"), publication(second, "v2")]
    if audit(pubs).passed:
        assert not recover_revisions([first, second], DREMPEL)
        assert not recover_union([first, second], DREMPEL)


def test_size_class_benchmark_is_a_relation():
    """The size-class BM (KTO_SIZE_CLASSES) is a relation like the national one: shown
    exact over a class of two with one member withheld, it gives that member away; the
    same publication without class BMs gives nothing."""

    def pub(with_class: bool) -> Publication:
        def fig(n: int, exact: float | None, klasse: str) -> Figure:
            return Figure(
                n=n,
                decimalen=1,
                exact=exact,
                bm_method="gemeenten",
                klasse=klasse if with_class else None,
                bm_klasse=7.5 if with_class and klasse == "A" else None,
                bm_klasse_exact=7.5 if with_class and klasse == "A" else None,
            )

        key = ("balie", "2021-Q1", "totaaloordeel", "Totaaloordeel")
        return Publication(
            "v",
            DREMPEL,
            {
                ("GM0000", *key): fig(12, 7.0, "A"),
                ("GM0001", *key): fig(15, None, "A"),  # withheld: (7.0 + x) / 2 = 7.5
                ("GM0002", *key): fig(20, 6.0, "B"),
            },
        )

    [finding] = audit([pub(True)]).findings
    assert finding.key[0] == "GM0001" and math.isclose(finding.low, 8.0, abs_tol=1e-5)
    assert finding.width < 1e-3  # recoverable (the equalities carry a hair of slack)
    assert not audit([pub(False)]).findings


def test_sums_are_whole_numbers():
    """Grades are whole numbers, so a sum's range narrows to the whole numbers inside it: a
    rounded pooled BM of 8.0 over 11 responses leaves one suppressed response within
    [7.45, 8.55] by the LP alone (wide enough), and exactly 8 for an attacker who rounds."""
    key = ("balie", "2021-Q1", "totaaloordeel", "Totaaloordeel")

    def fig(n: int, exact: float | None) -> Figure:
        return Figure(n=n, decimalen=1, exact=exact, bm=8.0, bm_method="respondenten")

    pub = Publication(
        "v", DREMPEL, {("GM0000", *key): fig(10, 8.0), ("GM0001", *key): fig(1, None)}
    )
    [finding] = audit([pub]).findings
    assert finding.key[0] == "GM0001" and finding.low == finding.high == 8.0
    assert not audit([pub], domain=False).findings  # the LP alone: [7.45, 8.55]


def _same(a, b) -> bool:
    return [(f.key, f.n, f.low, f.high, f.versions, f.revision) for f in a.findings] == [
        (f.key, f.n, f.low, f.high, f.versions, f.revision) for f in b.findings
    ] and a.released_before == b.released_before


@settings(max_examples=60)
@given(tables(), LATE, st.sets(st.sampled_from([(0, p, q) for p in range(4) for q in range(5)])))
def test_known_groups_change_no_finding(case, extra, withheld):
    """The audit's memo of solved groups (``solved``, kept by protect.py across rounds and
    runs): auditing a later state with the memo a first audit left finds exactly what a
    fresh audit finds (same figures, same ranges), whatever changed in between: new
    responses (a second version) and more figures hidden (a round of withholding)."""
    gemeenten, hidden, sizes, means, bm = case
    first = table(gemeenten, hidden, sizes, means, bm)
    second = table(gemeenten, hidden | withheld, _revised(sizes, extra), means, bm)
    solved: dict = {}
    before = audit([publication(first, "v1")], solved=solved)
    assert _same(before, audit([publication(first, "v1")]))
    pubs = [publication(first, "v1"), publication(second, "v2")]
    assert _same(audit(pubs, solved=solved), audit(pubs))
    # the same state again: every group known, nothing solved
    again = audit(pubs, solved=solved)
    assert again.lps == 0 and again.reused == len(again.signatures) and _same(again, audit(pubs))


def test_only_the_groups_that_changed_are_solved_again():
    """Two municipalities with their own groups (no BM joins them); a later state changes
    the second one's figures only: the first's group is taken from the memo, the second's
    solved, and the findings are a fresh audit's. A group that differs in one bound
    (another n) is another program; two groups with the same program share it."""
    sizes = {(g, p, q): 3 if (0, p, q) in BRIDGE_HIDDEN else 10
             for g in (0, 1) for p in range(4) for q in range(1, 5)}  # fmt: skip
    means = {c: (13 + c[0]) / 3 if (0, *c[1:]) in BRIDGE_HIDDEN else 7.5 for c in sizes}
    hidden = {(g, p, q) for g in (0, 1) for (_, p, q) in BRIDGE_HIDDEN}
    first = table(2, hidden, sizes, means, False)
    solved: dict = {}
    fresh = audit([publication(first)], solved=solved)
    assert fresh.reused == 0 and len(solved) == len(fresh.signatures) == 2
    # GM0001 gets one more response in a hidden quarter; GM0000 stays as it was
    later = table(2, hidden, _revised(sizes, {(1, 0, 1): 1}), means, False)
    result = audit([publication(later)], solved=solved)
    assert result.reused == 1 and len(result.signatures - fresh.signatures) == 1
    assert _same(result, audit([publication(later)]))
    assert {f.key[0] for f in result.findings} == {"GM0000", "GM0001"}


def test_solved_groups_survive_the_warehouse(tmp_path):
    """protect.py keeps the memo in the warehouse between runs: every range comes back as
    it went in (unbounded ends included), and only the groups the run had are kept."""
    from dagster_project.disclosure.protect import _load_solved, _store_solved

    warehouse = tmp_path / "w.duckdb"
    assert _load_solved(warehouse) == {}
    solved = {"a": [(1.0, 2.5), (-math.inf, math.inf)], "b": [(0.1 + 0.2, 3.0)], "c": []}
    _store_solved(warehouse, solved, {"a", "b"})
    assert _load_solved(warehouse) == {"a": solved["a"], "b": solved["b"]}
    _store_solved(warehouse, solved, set())
    assert _load_solved(warehouse) == {}


def _theme(n: int, mentions: int | None, bm: float | None = None) -> Figure:
    """A theme's share (a percentage, granule one response): ``mentions`` None when hidden."""
    exact = None if mentions is None else 100 * mentions / n
    return Figure(n=n, decimalen=0, exact=exact, bm=bm, bm_method="gemeenten")


def test_a_total_at_its_extreme_is_accepted_not_a_finding():
    """A shown year with no mention of a theme says every quarter had none, hidden or not:
    inherent in publishing the year (docs/metrics.md). The audit accepts those points
    (``extreme``) and finds nothing; without the domain they are not determined, so exact
    elimination recovers nothing either. With one mention in the year the same hidden
    quarters keep a range, and a year at 100% closes them at the other end."""
    key = ("telefoon", "thema", "digid")

    def pub(year: int, q3: int, size: int = 30) -> Publication:
        def at(periode: str) -> Key:
            return ("GM0000", key[0], periode, key[1], key[2])

        return Publication(
            "v",
            DREMPEL,
            {
                at("2021"): _theme(size, year),
                at("2021-Q1"): _theme(5, None),  # suppressed
                at("2021-Q2"): _theme(11, None),  # withheld with it
                at("2021-Q3"): _theme(size - 16, q3),
            },
        )

    for year, q3 in ((0, 0), (30, 14)):
        result = audit([pub(year, q3)])
        assert result.passed, result.findings
        assert {f.key[2] for f in result.extreme} == {"2021-Q1", "2021-Q2"}
        assert {f.low for f in result.extreme} == {100.0 * (year > 0)}
        assert not audit([pub(year, q3)], domain=False).findings
    result = audit([pub(1, 0)])
    assert result.passed and not result.extreme


def test_a_point_a_rounded_bm_closes_is_a_finding():
    """A rounded BM (whole percent, gemeenten) leaves a withheld share of 11 responses a
    window of a few points, where one response is 9.09: that window holds one count only, a
    point the exact relations do not give. It stays a finding, also at the domain's end (no
    mention), marked ``by_bm``; its complement is another municipality's share of the same
    BM (the smallest n), after which the audit passes."""
    key = ("telefoon", "2021-Q1", "thema", "digid")
    for mentions, bm in ((1, 8.0), (0, 6.0)):
        figures = {
            ("GM0000", *key): _theme(11, None, bm),
            ("GM0001", *key): _theme(20, 2, bm),
            ("GM0002", *key): _theme(25, 2, bm),
            ("GM0003", *key): _theme(15, 1, bm),
        }
        pub = Publication("v", DREMPEL, figures)
        [finding] = audit([pub]).findings
        assert finding.key[0] == "GM0000" and finding.by_bm
        assert math.isclose(finding.low, 100 * mentions / 11) and finding.width == 0
        assert not audit([pub], domain=False).findings  # the window alone is points wide
        assert complements([pub], [finding]) == [("GM0003", *key)]
        # round by round, as protect.py does: each round one more share of the BM, until
        # the window holds more than one count (with no mention, the sum of two hidden
        # shares is still below one response of GM0000's: a third one)
        rounds = 0
        while not audit([pub]).passed and rounds < 3:
            (extra,) = complements([pub], audit([pub]).findings)
            figures[extra] = _theme(figures[extra].n, None, bm)
            pub = Publication("v", DREMPEL, figures)
            rounds += 1
        assert audit([pub]).passed and rounds == (1 if mentions else 2)


def test_a_bm_complement_of_a_year_that_already_hides_some_comes_first():
    """Of the BM's shown members, one whose year already hides two quarters is withheld
    before a smaller one whose year hides none (the relation rule would hide a second
    quarter of that year, alone in its own period's BM: the next finding)."""
    key = ("telefoon", "thema", "digid")

    def at(gemeente: str, periode: str) -> Key:
        return (gemeente, key[0], periode, key[1], key[2])

    figures = {
        at("GM0000", "2021-Q1"): _theme(11, None, 8.0),
        at("GM0001", "2021-Q1"): _theme(20, 2, 8.0),
        at("GM0002", "2021-Q1"): _theme(25, 2, 8.0),
        at("GM0003", "2021-Q1"): _theme(15, 1, 8.0),
        # GM0002's year hides two other quarters; GM0003's hides none
        at("GM0002", "2021"): _theme(60, 5),
        at("GM0002", "2021-Q2"): _theme(5, None),
        at("GM0002", "2021-Q3"): _theme(30, None),
        at("GM0003", "2021"): _theme(40, 3),
        at("GM0003", "2021-Q2"): _theme(25, 2),
    }
    pub = Publication("v", DREMPEL, figures)
    [finding] = audit([pub]).findings
    assert finding.key == at("GM0000", "2021-Q1") and finding.by_bm
    assert complements([pub], [finding]) == [at("GM0002", "2021-Q1")]
