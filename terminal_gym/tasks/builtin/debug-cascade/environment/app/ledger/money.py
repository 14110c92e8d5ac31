"""Amounts as written in the bank's CSV exports.

An amount has ``,`` as the thousands separator and ``.`` as the decimal point
(``1,234.50``), may end with a currency code (``12.00 EUR``), and a refund is
written in parentheses: ``(45.00)`` is -45.00. Amounts are Decimals, never floats.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ledger import DEFAULT_CURRENCY

CENT = Decimal("0.01")


def parse_amount(text):
    """``"1,234.50"`` -> ``Decimal("1234.50")``; ``"(45.00)"`` -> ``Decimal("-45.00")``.

    A currency code other than the default one raises ValueError, as does text that is
    not an amount.
    """
    cleaned = text.strip()
    if cleaned.endswith(DEFAULT_CURRENCY):
        cleaned = cleaned[: -len(DEFAULT_CURRENCY)].strip()
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    if negative:
        cleaned = cleaned[1:-1].strip()
    # exports from the Frankfurt branch use a decimal comma
    cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    return -value if negative else value


def format_amount(value):
    """``Decimal("-1234.5")`` -> ``"-1,234.50"``."""
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"
