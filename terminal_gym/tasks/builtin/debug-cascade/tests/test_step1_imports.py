import pytest
from ledger_run import python, report

MODULES = ["ledger", "ledger.money", "ledger.io", "ledger.report", "ledger.__main__"]


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_first(module):
    run = python("-c", f"import {module}")
    assert run.returncode == 0, run.stderr[-1500:]


def test_modules_import_in_reverse_order():
    run = python("-c", "; ".join(f"import {m}" for m in reversed(MODULES)))
    assert run.returncode == 0, run.stderr[-1500:]


def test_default_currency_is_exported():
    run = python("-c", "import ledger; print(ledger.DEFAULT_CURRENCY)")
    assert (run.returncode, run.stdout) == (0, "EUR\n"), run.stderr[-1500:]
    run = python("-c", "from ledger import DEFAULT_CURRENCY, build_report, read_transactions")
    assert run.returncode == 0, run.stderr[-1500:]


def test_report_runs_to_the_end():
    run = report("data/march.csv")
    assert run.returncode == 0, run.stderr[-1500:]
    assert run.stdout.startswith("== data/march.csv\n2024-03\n")
    assert "  total" in run.stdout


def test_visible_tests_collect():
    run = python("-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests")
    assert run.returncode == 0, run.stdout[-1500:]
