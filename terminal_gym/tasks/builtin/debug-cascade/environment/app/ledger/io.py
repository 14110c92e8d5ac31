"""Reading the bank's CSV exports: ``date,description,category,amount``."""

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .money import parse_amount


@dataclass(frozen=True)
class Transaction:
    day: date
    description: str
    category: str
    amount: Decimal


def read_transactions(path):
    """Every row of the export at ``path``, in file order."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        Transaction(
            day=date.fromisoformat(row["date"].strip()),
            description=row["description"].strip(),
            category=row["category"].strip().lower() or "uncategorised",
            amount=parse_amount(row["amount"]),
        )
        for row in rows
    ]
