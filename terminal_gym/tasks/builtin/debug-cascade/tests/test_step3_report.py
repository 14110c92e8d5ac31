from ledger_run import python, report
from test_step2_amounts import MARCH

APRIL = """\
== data/april.csv
2024-04
  groceries             101.65
  housing             1,250.00
  transport             -12.50
  utilities              88.35
  total               1,427.50
"""


def test_two_files_in_one_run():
    run = report("data/march.csv", "data/april.csv")
    assert (run.returncode, run.stdout) == (0, MARCH + APRIL), run.stderr[-1500:]


def test_order_does_not_matter():
    run = report("data/april.csv", "data/march.csv", "data/april.csv")
    assert (run.returncode, run.stdout) == (0, APRIL + MARCH + APRIL), run.stderr[-1500:]


def test_build_report_calls_are_independent():
    code = """
from datetime import date
from decimal import Decimal
from ledger import build_report
from ledger.io import Transaction

def tx(day, amount):
    return Transaction(date.fromisoformat(day), "x", "food", Decimal(amount))

first = build_report([tx("2024-03-01", "10.00")])
second = build_report([tx("2024-03-02", "5.00")])
assert second == {"2024-03": {"food": Decimal("5.00")}}, second
assert first == {"2024-03": {"food": Decimal("10.00")}}, first
assert first is not second
mine = {"2024-02": {"rent": Decimal("900")}}
same = build_report([tx("2024-03-03", "1.00")], mine)
assert same is mine
assert mine == {"2024-02": {"rent": Decimal("900")}, "2024-03": {"food": Decimal("1.00")}}
mine = build_report([tx("2024-03-03", "1.00")], {"2024-03": {"food": Decimal("2.00")}})
assert mine == {"2024-03": {"food": Decimal("3.00")}}, mine
print("ok")
"""
    run = python("-c", code)
    assert (run.returncode, run.stdout) == (0, "ok\n"), run.stderr[-1500:]
