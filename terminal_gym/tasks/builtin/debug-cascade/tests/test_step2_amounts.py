import json

import pytest
from ledger_run import python, report

MARCH = """\
== data/march.csv
2024-03
  groceries           1,119.95
  household              87.49
  housing             1,250.00
  transport              49.00
  uncategorised          24.00
  utilities              94.10
  total               2,624.54
"""


ACCEPTED = {
    "38.20": "38.20",
    "1,250.00": "1250.00",
    "1,234,567.89": "1234567.89",
    "49.00 EUR": "49.00",
    "(45.00)": "-45.00",
    "(1,020.00)": "-1020.00",
    "(12.50) EUR": "-12.50",
    "  7 ": "7",
    "0.05": "0.05",
}
REJECTED = ["12.00 USD", "abc", "1.2.3", "", "()", "NaN", "12,50.0.0"]


@pytest.fixture(scope="module")
def parsed():
    """{text: [ok, str(value) or the exception's type name]}, from one fresh interpreter."""
    code = (
        "import json, sys\n"
        "from ledger.money import parse_amount\n"
        "out = {}\n"
        "for text in json.loads(sys.argv[1]):\n"
        "    try:\n"
        "        out[text] = [True, str(parse_amount(text))]\n"
        "    except Exception as e:\n"
        "        out[text] = [False, type(e).__name__]\n"
        "print(json.dumps(out))\n"
    )
    run = python("-c", code, json.dumps([*ACCEPTED, *REJECTED]))
    assert run.returncode == 0, run.stderr[-1500:]
    return json.loads(run.stdout)


@pytest.mark.parametrize("text", list(ACCEPTED))
def test_parse_amount(parsed, text):
    assert parsed[text] == [True, ACCEPTED[text]]


@pytest.mark.parametrize("text", REJECTED)
def test_parse_amount_rejects(parsed, text):
    assert parsed[text] == [False, "ValueError"]


def test_march_report():
    run = report("data/march.csv")
    assert (run.returncode, run.stdout) == (0, MARCH), run.stderr[-1500:]
