"""The words ingest uses for a landing file, each list in one place.

``Outcome``: what one ingest did with a file, and what the warehouse records of its version
(``raw.ingested_files``, ``raw.rejected_files``, ``raw.retracted_files``). ``Listed``: what
`kto files` calls it, from that record and the folder as it is now. ``Unused``: why a file's
data is not (all) in the warehouse, which fails `kto run` (ingest/unused.py). All are
``StrEnum``s, so they print, compare and store as the words themselves.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    INGESTED = "ingested"  # read; its rows are accepted or quarantined
    UNCHANGED = "unchanged"  # the same size and time, or the same content: not read again
    REJECTED = "rejected"  # refused whole (held at its previous version when it had one)
    RETRACTED = "retracted"  # taken out by `kto retract`, ignored until its content changes


class Listed(StrEnum):
    NEW = "new"  # not seen yet: the next run reads it
    CHANGED = "changed"  # another size or time than the version read: the next run looks
    LOADED = "loaded"  # read, rows accepted
    QUARANTINED = "quarantined"  # read, not one row accepted: `kto run` fails on it
    HELD = "held"  # a changed version refused; the previous version's rows stay
    REJECTED = "rejected"
    RETRACTED = "retracted"


class Unused(StrEnum):
    """In the order `kto run` lists them."""

    REFUSED = "refused"  # refused whole, no earlier version
    HELD = "held"  # a changed version refused; the previous version's rows stay
    QUARANTINED = "quarantined whole"  # read, not one row accepted
