"""What one landing file may cost to read; a file over a limit is refused, naming the limit.

The size limits are settings (KTO_MAX_*, README "Settings"), read when a file is read, so a
reading process has them from its environment. Their defaults admit ten national years in
one file (docs/formats.md, "Limits"): a national year is about a million One2Ten responses
(about 0.5 GB of CSV; an XLSX of one channel-year unpacks to about 225 MiB) and two million
Inviter rows. What they still stop is a file that is no export: a zip bomb (by its
compression ratio too), a 50 MB cell, a JSON nesting, each refused before it is unpacked
or parsed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

MAX_JSON_DEPTH = 16  # nesting of arrays and objects; an export needs 2
# A workbook unpacking to more than this many times its size is a zip bomb: exports
# unpack to about 10 times theirs. Looked at only above XLSX_RATIO_FROM unpacked bytes.
MAX_XLSX_RATIO = 100
XLSX_RATIO_FROM = 64 * 1024**2


@dataclass(frozen=True)
class Limit:
    variable: str
    default: int
    meaning: str
    size: bool  # in bytes: may be written with KiB, MiB or GiB


LIMITS = (
    Limit("KTO_MAX_FILE_BYTES", 8 * 1024**3, "largest landing file read (bytes)", True),
    Limit(
        "KTO_MAX_XLSX_UNPACKED_BYTES",
        3 * 1024**3,
        "largest unpacked XLSX workbook (sum of its parts, bytes)",
        True,
    ),
    Limit("KTO_MAX_ROWS", 25_000_000, "most data rows in one landing file", False),
    Limit("KTO_MAX_FIELD_CHARS", 100_000, "most characters in one cell", False),
)
_UNITS = {"": 1, "kib": 1024, "mib": 1024**2, "gib": 1024**3}


def default_text(limit: Limit) -> str:
    """The default as README and `kto --help` write it: 8GiB, 25000000."""
    if limit.size and limit.default % 1024**3 == 0:
        return f"{limit.default // 1024**3}GiB"
    return str(limit.default)


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    xlsx_unpacked_bytes: int
    rows: int
    field_chars: int


def _value(limit: Limit, env: Mapping[str, str]) -> int:
    given = env.get(limit.variable)
    if given is None:
        return limit.default
    given = given.strip()
    if not given:  # set but empty is a mistake, as with the paths, not the default
        raise ValueError(f"{limit.variable} is set but empty: unset it for the default")
    found = re.fullmatch(r"([0-9][0-9_]*)\s*([KMG]iB)?", given, re.IGNORECASE)
    if found is None or (found.group(2) and not limit.size):
        units = ", optionally with KiB, MiB or GiB" if limit.size else ""
        raise ValueError(f"{limit.variable}={given!r}: expected a whole number{units}")
    value = int(found.group(1)) * _UNITS[(found.group(2) or "").lower()]
    if value < 1:
        raise ValueError(f"{limit.variable}={given!r}: must be at least 1")
    return value


def current(env: Mapping[str, str] | None = None) -> Limits:
    """The limits in force (the environment's, else the defaults); ValueError names a bad one."""
    values = [_value(limit, os.environ if env is None else env) for limit in LIMITS]
    return Limits(*values)


def shown(limit: int) -> str:
    """A limit as people read it: 100,000 or 256 MiB."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2)):
        if limit >= size and limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit:,}"
