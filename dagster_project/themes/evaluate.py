"""Precision and recall of the matcher on a labelled set (JSON lines with ``text`` and
``themes``), per theme and over all themes (micro). ``python -m
dagster_project.themes.evaluate FILE`` prints the table docs/themes.md shows.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from . import default_matcher
from .matcher import ThemeMatcher


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        # No prediction at all is no wrong prediction.
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def read_labelled(path: str | Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def score(rows: list[dict], matcher: ThemeMatcher | None = None) -> dict[str, Score]:
    """Per theme code, and ``"micro"`` over all of them."""
    matcher = matcher or default_matcher()
    counts = {code: [0, 0, 0] for code in matcher.taxonomy.codes}
    for row in rows:
        expected, found = set(row["themes"]), matcher.themes(row["text"])
        for code, c in counts.items():
            c[0] += code in expected and code in found
            c[1] += code not in expected and code in found
            c[2] += code in expected and code not in found
    scores = {code: Score(*c) for code, c in counts.items()}
    scores["micro"] = Score(*(sum(s[i] for s in counts.values()) for i in range(3)))
    return scores


def errors(rows: list[dict], matcher: ThemeMatcher | None = None) -> list[tuple[dict, set]]:
    """The rows whose found themes differ from their labels, with what was found."""
    matcher = matcher or default_matcher()
    found = [(row, set(matcher.themes(row["text"]))) for row in rows]
    return [(row, got) for row, got in found if got != set(row["themes"])]


def table(scores: dict[str, Score]) -> str:
    lines = ["| theme | n | precision | recall |", "|---|---:|---:|---:|"]
    for code, s in scores.items():
        lines.append(f"| {code} | {s.tp + s.fn} | {s.precision:.2f} | {s.recall:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m dagster_project.themes.evaluate LABELLED.jsonl", file=sys.stderr)
        return 2
    rows = read_labelled(args[0])
    print(table(score(rows)))
    exact = len(rows) - len(errors(rows))
    print(f"\n{exact} of {len(rows)} texts with exactly their labelled themes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
