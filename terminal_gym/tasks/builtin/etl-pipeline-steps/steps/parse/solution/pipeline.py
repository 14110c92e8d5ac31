#!/usr/bin/env python3
"""Orders ETL: daily CSV exports -> orders.jsonl."""

import argparse
import csv
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

FIELDS = ("order_id", "customer", "sku", "quantity", "unit_price", "ordered_at")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", default="/app/data/raw")
    parser.add_argument("--output", default="/app/data/out")
    args = parser.parse_args()
    orders = []
    for path in sorted(Path(args.input).glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                row = {f: row[f].strip() for f in FIELDS}
                stamp = datetime.strptime(row["ordered_at"], "%Y-%m-%d %H:%M")
                orders.append(
                    {
                        **{f: row[f] for f in ("order_id", "customer", "sku")},
                        "quantity": int(row["quantity"]),
                        "unit_price": f"{Decimal(row['unit_price']).quantize(Decimal('0.01'))}",
                        "ordered_at": stamp.isoformat(),
                    }
                )
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "orders.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in orders)


if __name__ == "__main__":
    main()
