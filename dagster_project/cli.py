"""The `kto` command: the stable way in for people and scripts."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kto", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="the whole pipeline on everything in the landing folder")
    args = parser.parse_args(argv)
    raise SystemExit(f"kto {args.command}: not built yet")


if __name__ == "__main__":
    sys.exit(main())
