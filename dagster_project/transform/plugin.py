"""dbt-duckdb plugin: the Python functions the dbt models call, registered as DuckDB UDFs.

Referenced from dbt/profiles.yml (``plugins: [{module: dagster_project.transform.plugin}]``);
dbt-duckdb calls ``Plugin.configure_connection`` on every connection it opens.
Python UDFs live on the connection, not in the database file: models that call
them are materialized as tables, so readers of the warehouse never need them.

- ``kto_redact(text)``: ``dagster_project.text.redaction.redact``.
- ``kto_is_publishable(text)``: ``dagster_project.text.sanitise.publishable``, the rule the
  ``no_personal_data`` test holds every shown text to.
- ``kto_free_text(text)``: ``dagster_project.text.sanitise.free_text`` (remembered per distinct
  text): cleaned, redacted and made breakable; every free-text column on its way to an
  output goes through it.
- the temporary tables ``kto_cbs_gemeenten`` and ``kto_cbs_herindelingen``: the CBS code
  list (``dagster_project.domain.municipalities``), read from ``dbt/codelists/``.
- ``kto_themes(text)``: the codes of the themes the text is about
  (``dagster_project.themes.themes``), in taxonomy order; called on the original text in
  raw (int_response_themes) so that only the codes leave the raw layer (docs/themes.md).
- the temporary table ``kto_thema_lijst``: the taxonomy's themes (code, label, volgorde).
- ``kto_t_quantile(p, df)``: the p-quantile of Student's t with df degrees of freedom.
- ``kto_mean_of_ratios_scaled(fractions, decimals)``: the mean of the exact fractions,
  a list of ``{teller, noemer}`` structs (one list, so a teller never meets another
  figure's noemer), rounded half away from zero to ``decimals`` decimals and
  returned multiplied by 10**decimals (an integer); ``kto_mean_of_ratios(...)`` gives the
  same mean unrounded as a double. Exact rational arithmetic, so a mean that is exactly
  halfway (8.35) always rounds away from zero, however many fractions go into it.
- ``kto_change(figuur_type, schaal, n_a, s1_a, s2_a, k_laag_a, k_hoog_a, n_b, ...)``: the
  change b - a of one figure between two periods with its 95% interval and p-value
  (``dagster_project.analysis.change``), a struct ``{verschil, ci_low, ci_high, p}``;
  ``kto_bm_p(figuur_type, schaal, n, s1, s2, k_laag, k_hoog, bm)``: the p-value of the figure
  against its BM. Both take the sums ``int_cell_figures`` keeps (``schaal`` 60 for
  Hostmanship's sixtieths). Only the models that are rebuilt whole call them
  (``int_changes``, ``int_bm_tests``), so they are not part of the build key of the models
  built by year; the analysis module (with pandas) is imported on their first call, not by
  every dbt command.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache, lru_cache

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection, list_type, struct_type
from duckdb.sqltypes import BIGINT, BOOLEAN, DOUBLE, HUGEINT, INTEGER, VARCHAR
from scipy.special import stdtrit  # t.ppf's own quantile; scipy.stats costs ~2 s to import

from dagster_project.domain.municipalities import register_tables
from dagster_project.text.redaction import redact
from dagster_project.text.sanitise import free_text, publishable
from dagster_project.themes import default_matcher, themes

# Distinct texts kept by kto_free_text: every municipality and product name and the most
# recent reviews and tips, a few MiB at most.
FREE_TEXT_CACHE = 4096


@cache
def t_quantile(p: float, df: int) -> float | None:
    """Student's t quantile; None for fewer than one degree of freedom."""
    if df is None or p is None or df < 1:
        return None
    return float(stdtrit(df, p))


def _mean(fractions: list[dict[str, int]] | None) -> Fraction | None:
    pairs = [
        (f["teller"], f["noemer"])
        for f in fractions or []
        if f["teller"] is not None and f["noemer"]
    ]
    if not pairs:
        return None
    return sum((Fraction(t, n) for t, n in pairs), Fraction(0)) / len(pairs)


def round_half_away(value: Fraction, decimals: int) -> int:
    """``value`` rounded half away from zero to ``decimals`` decimals, times 10**decimals."""
    scaled = abs(value) * 10**decimals
    rounded = int(scaled + Fraction(1, 2))  # int() truncates; scaled >= 0
    return rounded if value >= 0 else -rounded


def mean_of_ratios_scaled(fractions: list[dict[str, int]] | None, decimals: int) -> int | None:
    mean = _mean(fractions)
    return None if mean is None else round_half_away(mean, decimals)


def mean_of_ratios(fractions: list[dict[str, int]] | None) -> float | None:
    mean = _mean(fractions)
    return None if mean is None else float(mean)


@lru_cache(maxsize=FREE_TEXT_CACHE)
def free_text_cached(text: str | None) -> str | None:
    """``free_text``, remembered: staging calls it on every row, and municipality and
    product names repeat on nearly every row (it is a pure function of its text)."""
    return free_text(text)


@cache
def _change_module():
    from dagster_project.analysis import change

    return change


def change_of(
    kind, scale, n_a, s1_a, s2_a, k_laag_a, k_hoog_a, n_b, s1_b, s2_b, k_laag_b, k_hoog_b
):
    """``kto_change``: a NULL count (a figure with no answers) gives NULL everywhere. (DuckDB
    counts the parameters, so they are spelled out.)"""
    sums = (n_a, s1_a, s2_a, k_laag_a, k_hoog_a, n_b, s1_b, s2_b, k_laag_b, k_hoog_b)
    names = [f"{name}_{side}" for side in "ab" for name in _SUMS]
    row = {"figuur_type": kind, "schaal": scale, **dict(zip(names, sums, strict=True))}
    c = _change_module().change_of_row(row, 0.95)
    return {"verschil": c.estimate, "ci_low": c.ci_low, "ci_high": c.ci_high, "p": c.p_value}


_SUMS = ("n", "s1", "s2", "k_laag", "k_hoog")


def bm_p(kind, scale, n, s1, s2, k_laag, k_hoog, bm) -> float | None:
    """``kto_bm_p``: NULL without a BM or without the sums."""
    if bm is None or n is None:
        return None
    test = _change_module().against_benchmark(kind, n, bm, s1, s2, k_laag, k_hoog, scale or 1)
    return test.p_value


def theme_codes(text: str | None) -> list[str]:
    """The themes of a text as a list in taxonomy order (a SQL list, never a set)."""
    found = themes(text)
    return [code for code in default_matcher().taxonomy.codes if code in found]


def register_theme_list(conn: DuckDBPyConnection) -> None:
    """The taxonomy's themes as a temporary table: the figures every cell has per theme."""
    rows = [
        (theme.code, theme.label, order)
        for order, theme in enumerate(default_matcher().taxonomy.themes, start=1)
    ]
    conn.execute(
        "create or replace temp table kto_thema_lijst "
        "(thema varchar not null, label varchar not null, volgorde integer not null)"
    )
    conn.executemany("insert into kto_thema_lijst values (?, ?, ?)", rows)


def register_udfs(conn: DuckDBPyConnection) -> None:
    """Register the functions on a connection (dbt's, or one that runs the tests' SQL)."""
    fractions = list_type(struct_type({"teller": HUGEINT, "noemer": HUGEINT}))
    conn.create_function("kto_redact", redact, [VARCHAR], VARCHAR)
    conn.create_function("kto_free_text", free_text_cached, [VARCHAR], VARCHAR)
    conn.create_function("kto_is_publishable", publishable, [VARCHAR], BOOLEAN)
    conn.create_function("kto_themes", theme_codes, [VARCHAR], list_type(VARCHAR))
    conn.create_function("kto_t_quantile", t_quantile, [DOUBLE, BIGINT], DOUBLE)
    conn.create_function(
        "kto_mean_of_ratios_scaled", mean_of_ratios_scaled, [fractions, INTEGER], HUGEINT
    )
    conn.create_function("kto_mean_of_ratios", mean_of_ratios, [fractions], DOUBLE)
    sums = [BIGINT, HUGEINT, HUGEINT, BIGINT, BIGINT]
    change = struct_type({"verschil": DOUBLE, "ci_low": DOUBLE, "ci_high": DOUBLE, "p": DOUBLE})
    # (special: the sums a figure type does not have are NULL, and still the function runs)
    conn.create_function(
        "kto_change", change_of, [VARCHAR, INTEGER, *sums, *sums], change, null_handling="special"
    )
    conn.create_function(
        "kto_bm_p", bm_p, [VARCHAR, INTEGER, *sums, DOUBLE], DOUBLE, null_handling="special"
    )
    # the CBS code list, the same files the readers judge codes by
    register_tables(conn)
    register_theme_list(conn)


class Plugin(BasePlugin):
    """dbt-duckdb calls configure_connection on each connection it opens."""

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        register_udfs(conn)

    def configure_cursor(self, cursor: DuckDBPyConnection) -> None:
        # temporary tables belong to one connection; dbt runs its SQL on cursors (copies)
        register_tables(cursor)
        register_theme_list(cursor)
