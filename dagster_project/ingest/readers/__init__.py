"""Readers of the export formats in docs/contract/formats.md, free of Dagster.

Each reader turns one landing file into a :class:`~.model.ReadResult`: accepted
rows (values parsed by the rules of docs/contract/formats.md), quarantined rows and blanked
answers, each with file, row, column and rule. A file that cannot be read at
all raises :class:`~.model.FileRejected`.
"""

from .model import FileRejected, Problem, ReadResult
from .registry import SOURCES, Source, read_file, source_for

__all__ = ["SOURCES", "FileRejected", "Problem", "ReadResult", "Source", "read_file", "source_for"]
