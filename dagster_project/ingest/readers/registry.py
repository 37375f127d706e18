"""Which reader reads which landing file: the sub-folder decides (docs/contract/formats.md)."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import inviter, limits, one2ten, openforms
from .fields import Field
from .limits import shown
from .model import FileRejected, ReadResult


@dataclass(frozen=True)
class Source:
    folder: str
    raw_table: str
    extensions: tuple[str, ...]
    fields: tuple[Field, ...]
    read: Callable[[Path, str], ReadResult]


SOURCES: tuple[Source, ...] = (
    Source("one2ten", one2ten.RAW_TABLE, (".csv", ".xlsx"), one2ten.FIELDS, one2ten.read),
    Source(
        "openforms",
        openforms.RAW_TABLE,
        (".csv", ".xlsx", ".json"),
        openforms.FIELDS,
        openforms.read,
    ),
    Source("inviter", inviter.RAW_TABLE, (".csv",), inviter.FIELDS, inviter.read),
)


def source_for(file_path: str) -> Source:
    """The source of a landing-relative path such as ``one2ten/export.csv``."""
    folder = file_path.split("/", 1)[0] if "/" in file_path else ""
    for source in SOURCES:
        if source.folder == folder:
            if Path(file_path).suffix.lower() not in source.extensions:
                raise FileRejected(
                    file_path,
                    f"unsupported file type for {folder}/"
                    f" (expected {', '.join(source.extensions)})",
                )
            return source
    raise FileRejected(
        file_path, f"not in a known folder ({', '.join(s.folder + '/' for s in SOURCES)})"
    )


def read_file(landing_dir: Path, file_path: str) -> ReadResult:
    """Read one landing file; raises FileRejected when it cannot be read at all.

    Whatever goes wrong inside a reader (a RecursionError, an XML ParseError, a
    bug) refuses this one file with the reason; it never stops the other files.
    """
    source = source_for(file_path)
    path = landing_dir / file_path
    # A file's cells are millions of small objects that live until the file is read; the
    # cycle collector would walk them again and again (about half the reading time) and
    # find nothing to free, so it waits until the file is read.
    collecting = gc.isenabled()
    gc.disable()
    try:
        size = path.stat().st_size
        limit = limits.current().file_bytes
        if size > limit:
            raise FileRejected(file_path, f"{size:,} bytes, more than the limit of {shown(limit)}")
        return source.read(path, file_path)
    except FileRejected:
        raise
    except (OSError, UnicodeError) as exc:
        raise FileRejected(file_path, f"cannot be read ({exc})") from None
    except RecursionError:
        raise FileRejected(file_path, "cannot be read (nested too deeply)") from None
    except MemoryError:
        raise FileRejected(file_path, "cannot be read (out of memory)") from None
    except Exception as exc:
        raise FileRejected(
            file_path, f"cannot be read ({type(exc).__name__}: {str(exc)[:300]})"
        ) from None
    finally:
        if collecting:
            gc.enable()
