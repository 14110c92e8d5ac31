from datetime import date
from decimal import Decimal

from ledger import build_report
from ledger.io import Transaction


def tx(day, category, amount):
    return Transaction(date.fromisoformat(day), "x", category, Decimal(amount))


def test_totals_per_month_and_category():
    report = build_report([tx("2024-03-01", "food", "10.00"), tx("2024-03-05", "food", "2.50")])
    assert report == {"2024-03": {"food": Decimal("12.50")}}
