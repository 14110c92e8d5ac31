"""Totals per month and category."""

from decimal import Decimal

from .money import format_amount


def build_report(transactions, totals={}):
    """``{"YYYY-MM": {category: total}}`` for ``transactions``.

    ``totals`` lets a caller add to a report it already has.
    """
    for tx in transactions:
        month = tx.day.strftime("%Y-%m")
        by_category = totals.setdefault(month, {})
        by_category[tx.category] = by_category.get(tx.category, Decimal(0)) + tx.amount
    return totals


def render_report(report):
    """The report as text: one block per month, categories sorted, then the total."""
    lines = []
    for month in sorted(report):
        lines.append(month)
        for category in sorted(report[month]):
            lines.append(f"  {category:<16}{format_amount(report[month][category]):>12}")
        lines.append(f"  {'total':<16}{format_amount(sum(report[month].values())):>12}")
    return "\n".join(lines) + "\n"
