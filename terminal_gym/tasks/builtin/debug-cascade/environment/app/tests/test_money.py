from decimal import Decimal

from ledger.money import format_amount, parse_amount


def test_parse_plain():
    assert parse_amount("38.20") == Decimal("38.20")


def test_parse_refund():
    assert parse_amount("(45.00)") == Decimal("-45.00")


def test_format():
    assert format_amount(Decimal("1234.5")) == "1,234.50"
