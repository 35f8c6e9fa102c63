"""The README as a newcomer reads it: how to use the tool comes first, its worked example shows what the
command prints with the default algorithms, and its timings are ranges."""

import re
from pathlib import Path

from armijo_suite.limits import DEFAULT_ALGORITHMS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def sections():
    return re.findall(r"(?m)^## (.+)$", README)


def test_check_your_own_function_comes_right_after_the_two_commands():
    assert sections()[:2] == ["Two commands", "Check your own function in one line"], sections()


def test_the_first_worked_example_shows_every_default_algorithm():
    body = README.split("## Check your own function in one line", 1)[1]
    command = re.search(r"^    \.venv/bin/armijo check (.+)$", body, re.M).group(1)
    assert "--algorithm" not in command  # the defaults run
    example = body.split("```", 2)[1]
    headers = re.findall(r"^([a-z0-9-]+) \(.*\), \d+ start\(s\)", example, re.M)
    assert headers == list(DEFAULT_ALGORITHMS), headers
    assert example.count("  verdict: ") >= len(DEFAULT_ALGORITHMS)


def test_timings_are_ranges_in_one_table():
    table = README.split("## Two commands", 1)[1].split("## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert {"`make install`", "`make test`", "`make experiments`"} <= {row.split("|")[1].split(" (")[0].strip()
                                                                      for row in rows}, rows
    assert all(" to " in row.split("|")[2] for row in rows), rows
