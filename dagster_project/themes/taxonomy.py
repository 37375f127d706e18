"""The theme taxonomy as data: ``taxonomy.yml`` read and checked into frozen objects.

An operator edits the YAML file; a mistake there (an unknown key, a theme without terms,
a code twice) is refused when the file is read, with the theme named, rather than
silently matching nothing. docs/themes.md describes the format and the term syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import yaml

DEFAULT_PATH = Path(str(files(__package__).joinpath("taxonomy.yml")))

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = {"version", "negators", "negation_window", "fuzzy_min_length", "exclusions", "themes"}
_THEME_KEYS = {"code", "label", "description", "terms", "exclusions", "examples"}


@dataclass(frozen=True)
class Theme:
    code: str
    label: str
    description: str
    terms: tuple[str, ...]
    exclusions: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    themes: tuple[Theme, ...]
    negators: frozenset[str]
    negation_window: int
    fuzzy_min_length: int
    exclusions: tuple[str, ...] = ()  # apply to every theme

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(theme.code for theme in self.themes)

    def theme(self, code: str) -> Theme:
        for theme in self.themes:
            if theme.code == code:
                return theme
        raise KeyError(code)


class TaxonomyError(ValueError):
    """The taxonomy file cannot be used as it is."""


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise TaxonomyError(f"{where}: expected a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _int(value: object, where: str, default: int) -> int:
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TaxonomyError(f"{where}: expected a whole number >= 0")
    return value


def parse_taxonomy(data: object) -> Taxonomy:
    """A taxonomy from the YAML file's data, or TaxonomyError naming what is wrong."""
    if not isinstance(data, dict):
        raise TaxonomyError("taxonomy: expected a mapping at the top")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise TaxonomyError(f"taxonomy: unknown keys {sorted(unknown)}")
    raw_themes = data.get("themes")
    if not isinstance(raw_themes, list) or not raw_themes:
        raise TaxonomyError("taxonomy: 'themes' must be a non-empty list")
    themes: list[Theme] = []
    for i, raw in enumerate(raw_themes):
        if not isinstance(raw, dict):
            raise TaxonomyError(f"theme #{i + 1}: expected a mapping")
        code = raw.get("code")
        where = f"theme {code!r}" if code else f"theme #{i + 1}"
        if not isinstance(code, str) or not _CODE.match(code):
            raise TaxonomyError(f"{where}: code must be lower case letters, digits and _")
        unknown = set(raw) - _THEME_KEYS
        if unknown:
            raise TaxonomyError(f"{where}: unknown keys {sorted(unknown)}")
        label, description = raw.get("label"), raw.get("description")
        if not isinstance(label, str) or not label.strip():
            raise TaxonomyError(f"{where}: a label is required")
        if not isinstance(description, str) or not description.strip():
            raise TaxonomyError(f"{where}: a description is required")
        terms = _strings(raw.get("terms"), f"{where}: terms")
        if not terms:
            raise TaxonomyError(f"{where}: at least one term is required")
        themes.append(
            Theme(
                code=code,
                label=label.strip(),
                description=" ".join(description.split()),
                terms=terms,
                exclusions=_strings(raw.get("exclusions"), f"{where}: exclusions"),
                examples=_strings(raw.get("examples"), f"{where}: examples"),
            )
        )
    codes = [t.code for t in themes]
    doubles = sorted({c for c in codes if codes.count(c) > 1})
    if doubles:
        raise TaxonomyError(f"taxonomy: codes used twice: {doubles}")
    return Taxonomy(
        themes=tuple(themes),
        negators=frozenset(_strings(data.get("negators"), "negators")),
        negation_window=_int(data.get("negation_window"), "negation_window", 3),
        fuzzy_min_length=_int(data.get("fuzzy_min_length"), "fuzzy_min_length", 7),
        exclusions=_strings(data.get("exclusions"), "exclusions"),
    )


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The taxonomy in ``path`` (default: the package's ``taxonomy.yml``)."""
    source = Path(path) if path is not None else DEFAULT_PATH
    with source.open(encoding="utf-8") as handle:
        return parse_taxonomy(yaml.safe_load(handle))
