#!/usr/bin/env python3
"""Orders ETL: daily CSV exports -> orders.jsonl, rejects.jsonl."""

import argparse
import csv
import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

FIELDS = ("order_id", "customer", "sku", "quantity", "unit_price", "ordered_at")
PRICE = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")


def reject_reason(row, seen):
    if any(not row[f] for f in FIELDS):
        return "missing_field"
    if not row["quantity"].isdigit() or int(row["quantity"]) <= 0:
        return "bad_quantity"
    if not PRICE.match(row["unit_price"]):
        return "bad_price"
    try:
        datetime.strptime(row["ordered_at"], "%Y-%m-%d %H:%M")
    except ValueError:
        return "bad_timestamp"
    if row["order_id"] in seen:
        return "duplicate"
    return None


def read_rows(input_dir):
    for path in sorted(Path(input_dir).glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                clean = {f: (row.get(f) or "").strip() for f in FIELDS}
                yield path.name, reader.line_num, clean


def money(value):
    return f"{value.quantize(Decimal('0.01'))}"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", default="/app/data/raw")
    parser.add_argument("--output", default="/app/data/out")
    args = parser.parse_args()
    orders, rejects, seen = [], [], set()
    for name, line, row in read_rows(args.input):
        reason = reject_reason(row, seen)
        if reason:
            rejects.append(
                {"file": name, "line": line, "order_id": row["order_id"], "reason": reason}
            )
            continue
        seen.add(row["order_id"])
        stamp = datetime.strptime(row["ordered_at"], "%Y-%m-%d %H:%M")
        orders.append(
            {
                "order_id": row["order_id"],
                "customer": row["customer"],
                "sku": row["sku"],
                "quantity": int(row["quantity"]),
                "unit_price": money(Decimal(row["unit_price"])),
                "ordered_at": stamp.isoformat(),
            }
        )
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for name, records in (("orders.jsonl", orders), ("rejects.jsonl", rejects)):
        with open(out / name, "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in records)


if __name__ == "__main__":
    main()
