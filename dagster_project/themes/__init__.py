"""The themes a Dutch review or improvement tip is about (wachttijd, afspraak, DigiD, ...).

A pure domain package: no Dagster, no DuckDB. The taxonomy is data (``taxonomy.yml``,
docs/themes.md); matching folds the text as the project folds every free text, stems it
with Snowball's Dutch stemmer and looks for each theme's terms.

    >>> themes("Ik kon geen afspraak maken")
    frozenset({'afspraak'})
    >>> themes("Niets te verbeteren!")
    frozenset()

``themes_series`` and ``theme_flags`` do the same over a pandas Series, each distinct text
once.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from .matcher import EMPTY, Match, ThemeMatcher, tokens
from .taxonomy import Taxonomy, TaxonomyError, Theme, load_taxonomy, parse_taxonomy

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Match",
    "Taxonomy",
    "TaxonomyError",
    "Theme",
    "ThemeMatcher",
    "default_matcher",
    "explain",
    "load_taxonomy",
    "parse_taxonomy",
    "theme_flags",
    "themes",
    "themes_series",
    "tokens",
]


@cache
def default_matcher() -> ThemeMatcher:
    """The matcher of the package's taxonomy, built once per process."""
    return ThemeMatcher(load_taxonomy())


def themes(text: str | None, matcher: ThemeMatcher | None = None) -> frozenset[str]:
    """The codes of the themes the text is about; empty for no theme, None or a non-text."""
    if not isinstance(text, str):
        return EMPTY
    return (matcher or default_matcher()).themes(text)


def explain(text: str | None, matcher: ThemeMatcher | None = None) -> list[Match]:
    """The term matches behind ``themes(text)``: which term, where, negated or not."""
    return (matcher or default_matcher()).explain(text)


def themes_series(texts: pd.Series, matcher: ThemeMatcher | None = None) -> pd.Series:
    """``themes`` of every text, same index; each distinct text is matched once and a
    missing value (None, NaN, NA) has no theme."""
    import pandas as pd

    matcher = matcher or default_matcher()
    values = texts.to_numpy(dtype=object, na_value=None)
    found = {v: matcher.themes(v) for v in set(values) if isinstance(v, str)}
    return pd.Series(
        [found.get(v, EMPTY) if isinstance(v, str) else EMPTY for v in values],
        index=texts.index,
        name=texts.name,
        dtype=object,
    )


def theme_flags(texts: pd.Series, matcher: ThemeMatcher | None = None) -> pd.DataFrame:
    """One boolean column per theme code (taxonomy order), one row per text: what a mart
    counts per theme."""
    import pandas as pd

    matcher = matcher or default_matcher()
    per_text = themes_series(texts, matcher)
    return pd.DataFrame(
        {code: per_text.map(lambda found, c=code: c in found) for code in matcher.taxonomy.codes},
        index=texts.index,
    ).astype(bool)
