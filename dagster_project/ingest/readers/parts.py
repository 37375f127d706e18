"""A file read in parts: the fields applied to each part, the results joined.

Only one part's cells (Python objects, most of a reader's memory) are alive at a time;
the accepted rows are kept as Arrow columns, which take a fraction of that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pyarrow as pa

from .model import ReadResult
from .tabular import Table


def apply_in_parts(
    parts: Iterable[Table],
    apply: Callable[[Table], ReadResult],
    look: Callable[[Table], None] | None = None,
) -> ReadResult:
    """``apply`` (the reader's fields) to each part, joined into one result in file order.

    ``look`` sees each part before its fields are applied (what a reader checks over the
    whole file, such as the form names of Open Formulieren).
    """
    joined: ReadResult | None = None
    pieces: list[pa.Table] = []
    for part in parts:
        if look is not None:
            look(part)
        result = apply(part)
        if result.columns is not None:
            pieces.append(result.columns)
        if joined is None:
            joined = result
        else:
            joined.quarantined.extend(result.quarantined)
            joined.answer_issues.extend(result.answer_issues)
    assert joined is not None  # a CSV gives one part at least
    if len(pieces) > 1:
        joined.columns = pa.concat_tables(pieces)
    return joined
