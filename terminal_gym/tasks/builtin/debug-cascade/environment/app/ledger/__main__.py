"""python3 -m ledger report FILE [FILE ...]: one report per export file."""

import argparse
import sys

from . import build_report, read_transactions, render_report


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ledger")
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser("report", help="monthly totals per category, one report per file")
    report.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    for path in args.files:
        print(f"== {path}")
        print(render_report(build_report(read_transactions(path))), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
