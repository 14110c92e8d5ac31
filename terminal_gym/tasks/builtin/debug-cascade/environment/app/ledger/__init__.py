"""ledger: monthly spending reports from bank CSV exports."""

from .io import read_transactions
from .report import build_report, render_report

DEFAULT_CURRENCY = "EUR"

__all__ = ["DEFAULT_CURRENCY", "build_report", "read_transactions", "render_report"]
