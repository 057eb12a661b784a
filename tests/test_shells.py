"""SHELLS is the one list of shells: everything per shell is checked against it.

Adding a shell is one Shell class, one template and one real-shell test row;
these tests fail when a piece is missing (a template, a real-shell row, the
READMEs' eval table, `hfenv shell --help`).
"""

from __future__ import annotations

import re

import pytest
import test_shells_real
from click.testing import CliRunner

from hfenv import render, shells
from hfenv.cli import main

from conftest import ROOT

# Shells that cannot run here: their tests compare the exact text (test_shells_real's golden tests).
GOLDEN_ONLY = {"powershell", "cmd"}


@pytest.mark.parametrize("name", sorted(shells.SHELLS))
def test_every_shell_has_a_real_shell_row_or_is_golden_only(name):
    runs = set(test_shells_real.SHELL_OF.values())
    if name in GOLDEN_ONLY:
        assert name not in runs, f"{name} runs in a real shell now: drop it from GOLDEN_ONLY"
        return
    assert name in runs, f"add a row for {name} to test_shells_real.SHELL_RUNS and SHELL_OF"
    assert name in test_shells_real.README_LINES, f"add {name}'s eval line to test_shells_real.README_LINES"


@pytest.mark.parametrize("name", sorted(test_shells_real.README_LINES))
def test_the_real_shell_eval_lines_are_the_entries_own(name):
    # The line the real shells run is the one hfenv shows (sh's row runs the unquoted form on purpose).
    _, line = test_shells_real.README_LINES[name]
    if name != "sh":
        assert line == shells.get(name).eval_line(f"hfenv shell --shell {name} {{args}}")


@pytest.mark.parametrize("name", sorted(shells.SHELLS))
def test_every_shell_has_its_template(name):
    entry = shells.SHELLS[name]
    assert (ROOT / "templates" / entry.template).is_file()
    assert set(render.load_template(entry.template)) >= {"set", "unset"}


def test_shell_help_lists_every_shell_and_alias():
    out = CliRunner().invoke(main, ["shell", "--help"]).output
    for entry in shells.SHELLS.values():
        assert entry.eval_line() in out
        for name in (entry.name, *entry.aliases):
            assert re.search(rf"\b{re.escape(name)}\b", out), name
    assert "eval `hfenv shell`" not in out  # the old, unquoted tcsh line
    assert CliRunner().invoke(main, ["shell", "--help"]).output == out  # the table is added once per help


def _eval_table(readme: str) -> dict[str, str]:
    """The READMEs' per-shell eval table: first cell (shell names) -> second cell, markdown undone."""
    start = readme.index("|\n| bash", readme.index("| shell |")) + 2
    rows = {}
    for row in readme[start:].split("\n"):
        if not row.startswith("|"):
            break
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        rows[cells[0]] = cells[1].replace("\\|", "|")
    return rows


@pytest.mark.parametrize("readme", ["README.md", "README.zh-CN.md"])
def test_readme_eval_tables_match_shells(readme):
    rows = _eval_table((ROOT / readme).read_text(encoding="utf-8"))
    for entry in shells.SHELLS.values():
        [row] = [cell for names, cell in rows.items()
                 if entry.name in re.split(r"[ ,、/]+", names.lower())] or [None]
        assert row is not None, f"{readme}: no row for {entry.name}"
        shown = re.findall(r"``(.+?)``|`([^`]+)`", row)
        first = next(a or b for a, b in shown)
        assert first.strip() == entry.eval_line(), f"{readme}: {entry.name}'s row shows {first!r}"


@pytest.mark.parametrize("name", sorted(shells.SHELLS))
def test_the_reader_keeps_each_shells_read_order(name, isolated_home, tmp_path):
    # The merged list of startup places gives every shell its own files in its own order.
    from hfenv import detect, startup

    root = tmp_path / "root"
    (root / "etc" / "profile.d").mkdir(parents=True)
    (root / "etc" / "profile.d" / "a.sh").write_text("")
    platform = detect.current_platform()
    entry = shells.SHELLS[name]
    order = [str(p) for p in entry.read_order(platform, root)]
    listed = [str(p.path) for p in startup.places_for(name, startup.startup_places(platform, None, root))]
    assert [p for p in listed if p in order] == list(dict.fromkeys(order))


@pytest.mark.parametrize("name", sorted(shells.SHELLS))
def test_each_shell_reads_back_what_its_template_writes(name):
    # Reading a line back is the inverse of rendering it (cmd's value stops at a quote: a plain one here).
    from hfenv import startup

    entry = shells.SHELLS[name]
    value = "https://hf-mirror.com/a b" if name != "cmd" else "https://hf-mirror.com/ab"
    code = render.render_shell_code(entry, [("HF_ENDPOINT", value)])
    assert [a[:2] for line in code.splitlines() for a in startup.parse_line(line, entry.syntax)] == [("set", value)]
    code = render.render_shell_code(entry, [("HF_ENDPOINT", None)])
    assert [a[0] for line in code.splitlines() for a in startup.parse_line(line, entry.syntax)] == ["unset"]


@pytest.mark.parametrize("readme", ["README.md", "README.zh-CN.md"])
def test_readme_shell_option_names_every_shell_and_alias(readme):
    [row] = [line for line in (ROOT / readme).read_text(encoding="utf-8").splitlines()
             if line.startswith("| `--shell NAME` |") and "`bash`" in line]
    named = set(re.findall(r"`([a-z0-9]+)`", row))
    assert set(shells.SHELLS) <= named, f"{readme}: --shell row misses {set(shells.SHELLS) - named}"
    missing = set(shells.ALIASES) - named - {"ksh93", "ash", "busybox"}  # rarer aliases: not listed there
    assert not missing, f"{readme}: --shell row misses aliases {missing}"
