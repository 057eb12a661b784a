"""Generated code run in the real shells; values read back byte for byte from a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hfenv import render, shells

from conftest import ROOT, need_program

# At least 15 nasty values; every one must arrive in a child process unchanged.
NASTY = [
    "plain",
    "with space",
    "two  spaces   three    four",
    " leading and trailing ",
    "it's",
    'say "hi"',
    "$HOME ${PATH} $(touch CANARY) $((1+1))",
    "`touch CANARY`",
    "bang!history !! !$ !-1 !touch",
    "100% %PATH% %%",
    "a&b;c|d<e>f^g",
    "*?[a-z]{x,y} [!a]",
    "~ ~root ~/x",
    "back\\slash\\ \\\\ trailing\\",
    "/home/张伟/模型 缓存",
    "emoji 🤗🚀 ok",
    "'\"`$\\!%&;|*?~ all",
    "ps \u2018curly\u2019 \u201alow\u201b quotes",
    "",
    "-n",
    "--",
    "#not a comment",
    "{{value}} {{name}}",
    "a=b=c",
    "\\'",
    "'\\",
    "\\\\'\\'",
    "end with quote'",
]

# How each shell evaluates the text in $CODEFILE, the way the README tells users to.
SHELL_RUNS = {
    "bash": (["bash", "--norc", "--noprofile", "-c"], 'eval "$(cat "$CODEFILE")"'),
    "bash-unquoted": (["bash", "--norc", "--noprofile", "-c"], "eval $(cat \"$CODEFILE\")"),
    "zsh": (["zsh", "-f", "-c"], 'eval "$(cat "$CODEFILE")"'),
    "zsh-unquoted": (["zsh", "-f", "-c"], "eval $(cat \"$CODEFILE\")"),
    "dash": (["dash", "-c"], 'eval "$(cat "$CODEFILE")"'),
    "dash-unquoted": (["dash", "-c"], "eval $(cat \"$CODEFILE\")"),
    "ksh": (["ksh", "-c"], 'eval "$(cat "$CODEFILE")"'),
    "ksh-unquoted": (["ksh", "-c"], "eval $(cat \"$CODEFILE\")"),
    "fish": (["fish", "--no-config", "-c"], "cat $CODEFILE | source"),
    "tcsh": (["tcsh", "-f", "-c"], 'eval "`cat $CODEFILE:q`"'),
    "tcsh-plain": (["tcsh", "-f", "-c"], "eval `cat $CODEFILE:q`"),
    # xonsh 0.13's $(...) sometimes loses the output of a command as quick as cat under
    # load (seen: 6 of 160 runs); hfenv itself is slow enough, and the README-line test
    # below runs execx($(hfenv shell)). Here the file is read by Python instead.
    "xonsh": (["xonsh", "--no-rc", "-c"], "execx(open($CODEFILE, encoding='utf-8').read())"),
    "elvish": (["elvish", "-norc", "-c"], "eval (cat $E:CODEFILE | slurp)"),
}
SHELL_OF = {"bash": "bash", "zsh": "zsh", "dash": "sh", "ksh": "sh", "fish": "fish", "tcsh": "tcsh",
            "xonsh": "xonsh", "elvish": "elvish"}

DUMP = """\
import json, os, sys
names = ("HF_ENDPOINT", "HF_HUB_CACHE")
print(json.dumps({n: (os.environb[n.encode()].hex() if n.encode() in os.environb else None) for n in names}))
"""


def run_in_shell(variant: str, code: str, tmp_path: Path, extra_env=None) -> dict:
    """Evaluate `code` in the shell variant, then report what a child process sees."""
    argv, eval_line = SHELL_RUNS[variant]
    need_program(argv[0])
    codefile = tmp_path / "code.txt"
    codefile.write_bytes(code.encode("utf-8"))
    dump = tmp_path / "dump.py"
    dump.write_text(DUMP)
    separator = "\n"
    script = f"{eval_line}{separator}{sys.executable} {dump}"
    env = {k: v for k, v in os.environ.items() if k not in render.VARIABLES}
    env.update({"CODEFILE": str(codefile), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"})
    env.update(extra_env or {})
    done = subprocess.run(argv + [script], cwd=tmp_path, env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, (variant, done.stdout, done.stderr)
    last = done.stdout.decode().strip().splitlines()[-1]
    values = json.loads(last)
    return {k: (bytes.fromhex(v).decode("utf-8") if v is not None else None) for k, v in values.items()}


def shell_for(variant: str) -> shells.Shell:
    return shells.get(SHELL_OF[variant.split("-")[0]])


@pytest.mark.parametrize("variant", sorted(SHELL_RUNS))
@pytest.mark.parametrize("value", NASTY, ids=[f"v{i}" for i in range(len(NASTY))])
def test_value_arrives_byte_for_byte(variant, value, tmp_path):
    if "{" in value and SHELL_OF[variant.split("-")[0]] in ("sh", "tcsh"):
        # ksh and csh brace-expand an unquoted eval's words: such values are refused (below).
        with pytest.raises(shells.UnsafeValue, match="brace"):
            shell_for(variant).quote(value)
        return
    entry = shell_for(variant)
    code = render.render_shell_code(entry, [("HF_ENDPOINT", value), ("HF_HUB_CACHE", "/x/" + value)])
    seen = run_in_shell(variant, code, tmp_path)
    assert seen == {"HF_ENDPOINT": value, "HF_HUB_CACHE": "/x/" + value}
    assert not (tmp_path / "CANARY").exists()


@pytest.mark.parametrize("variant", sorted(SHELL_RUNS))
def test_unset_removes_both_variables(variant, tmp_path):
    entry = shell_for(variant)
    code = render.render_shell_code(entry, [("HF_ENDPOINT", "https://hf-mirror.com"), ("HF_HUB_CACHE", "/c")])
    code += render.render_shell_code(entry, render.unset_assignments())
    assert run_in_shell(variant, code, tmp_path) == {"HF_ENDPOINT": None, "HF_HUB_CACHE": None}


@pytest.mark.parametrize("variant", sorted(SHELL_RUNS))
def test_unset_removes_inherited_variables(variant, tmp_path):
    """--unset also clears values the shell inherited, so children stop seeing them."""
    entry = shell_for(variant)
    code = render.render_shell_code(entry, render.unset_assignments())
    inherited = {"HF_ENDPOINT": "https://old.example", "HF_HUB_CACHE": "/old"}
    assert run_in_shell(variant, code, tmp_path, inherited) == {"HF_ENDPOINT": None, "HF_HUB_CACHE": None}


# The README's eval lines, with the real hfenv command inside the real shell.
README_LINES = {
    "bash": (["bash", "--norc", "--noprofile", "-c"], 'eval "$(hfenv shell --shell bash {args})"'),
    "zsh": (["zsh", "-f", "-c"], 'eval "$(hfenv shell --shell zsh {args})"'),
    "sh": (["dash", "-c"], "eval $(hfenv shell --shell sh {args})"),
    "ksh": (["ksh", "-c"], 'eval "$(hfenv shell --shell ksh {args})"'),
    "fish": (["fish", "--no-config", "-c"], "hfenv shell --shell fish {args} | source"),
    "tcsh": (["tcsh", "-f", "-c"], 'eval "`hfenv shell --shell tcsh {args}`"'),
    "xonsh": (["xonsh", "--no-rc", "-c"], "execx($(hfenv shell --shell xonsh {args}))"),
    "elvish": (["elvish", "-norc", "-c"], "eval (hfenv shell --shell elvish {args} | slurp)"),
}


@pytest.mark.parametrize("name", sorted(README_LINES))
def test_readme_eval_line_with_real_command(name, tmp_path):
    argv, line = README_LINES[name]
    need_program(argv[0])
    bindir = tmp_path / "bin"
    bindir.mkdir()
    launcher = bindir / "hfenv"
    launcher.write_text(f"#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m hfenv \"$@\"\n")
    launcher.chmod(0o755)
    cache = tmp_path / "cache_缓存"  # nasty values are covered above; this checks the eval line
    dump = tmp_path / "dump.py"
    dump.write_text(DUMP)
    cache_ref = {"elvish": "$E:CACHE", "xonsh": "@($CACHE)"}.get(name, "$CACHE")
    script = line.format(args=f"--endpoint hf-mirror --cache-dir {cache_ref}") + f"\n{sys.executable} {dump}"
    env = {k: v for k, v in os.environ.items() if k not in render.VARIABLES}
    env.update({"PATH": f"{bindir}{os.pathsep}{env['PATH']}", "CACHE": str(cache), "LC_ALL": "C.UTF-8"})
    done = subprocess.run(argv + [script], cwd=tmp_path, env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert bytes.fromhex(values["HF_ENDPOINT"]).decode() == "https://hf-mirror.com"
    assert bytes.fromhex(values["HF_HUB_CACHE"]).decode() == str(cache)


# PowerShell and cmd cannot run here: golden tests of the exact text.

def test_powershell_golden():
    code = render.render_shell_code(
        shells.get("pwsh"),
        [("HF_ENDPOINT", "https://hf-mirror.com"), ("HF_HUB_CACHE", "C:\\Users\\张伟\\it's \u2018x\u2019 $env:A `n")],
    )
    assert code == (
        "$env:HF_ENDPOINT = 'https://hf-mirror.com'\n"
        "$env:HF_HUB_CACHE = 'C:\\Users\\张伟\\it''s \u2018\u2018x\u2019\u2019 $env:A `n'\n"
    )
    assert render.render_shell_code(shells.get("powershell"), render.unset_assignments()) == (
        "Remove-Item -ErrorAction SilentlyContinue Env:HF_ENDPOINT\n"
        "Remove-Item -ErrorAction SilentlyContinue Env:HF_HUB_CACHE\n"
        "Remove-Item -ErrorAction SilentlyContinue Env:HF_HUB_DISABLE_XET\n"
    )


@pytest.mark.parametrize("low", ["\u201a", "\u201b"])
def test_powershell_doubles_every_quote_kind(low):
    assert shells.get("powershell").quote(f"a{low}b'c") == f"'a{low}{low}b''c'"


def test_cmd_golden():
    code = render.render_shell_code(
        shells.get("cmd"),
        [("HF_ENDPOINT", "https://hf-mirror.com"), ("HF_HUB_CACHE", "D:\\模型 cache\\a&b|c<d>^")],
    )
    assert code == (
        'set "HF_ENDPOINT=https://hf-mirror.com"\n'
        'set "HF_HUB_CACHE=D:\\模型 cache\\a&b|c<d>^"\n'
    )
    assert render.render_shell_code(shells.get("cmd"), render.unset_assignments()) == (
        'set "HF_ENDPOINT="\nset "HF_HUB_CACHE="\nset "HF_HUB_DISABLE_XET="\n'
    )


@pytest.mark.parametrize("value", ["100%", 'say "x"', "wow!", "%PATH%"])
def test_cmd_refuses_what_it_cannot_carry(value):
    with pytest.raises(shells.UnsafeValue):
        shells.get("cmd").quote(value)


BRACE_ATTACKS = ["/{data,usr/bin/id}", "{a,'; touch CANARY; '}", "x}{y", "{}"]


@pytest.mark.parametrize("variant", ["ksh-unquoted", "tcsh-plain"])
@pytest.mark.parametrize("value", BRACE_ATTACKS)
def test_brace_expanding_shells_refuse_braces_through_the_cli(variant, value, tmp_path):
    """Unquoted ksh / plain-backquote csh would brace-expand these into code: exit 2, no output."""
    from click.testing import CliRunner

    from hfenv.cli import main

    name = "ksh" if variant.startswith("ksh") else "csh"
    result = CliRunner().invoke(main, ["shell", "--shell", name, "--endpoint", "hf", "--cache-dir", value])
    assert result.exit_code == 2 and result.stdout == ""
    assert "brace" in result.stderr


@pytest.mark.parametrize("variant", ["bash-unquoted", "zsh-unquoted", "bash", "zsh"])
@pytest.mark.parametrize("value", BRACE_ATTACKS)
def test_braces_are_data_in_shells_that_do_not_expand_them(variant, value, tmp_path):
    entry = shell_for(variant)
    code = render.render_shell_code(entry, [("HF_HUB_CACHE", value)])
    assert run_in_shell(variant, code, tmp_path)["HF_HUB_CACHE"] == value
    assert not (tmp_path / "CANARY").exists()


@pytest.mark.parametrize("name", sorted(shells.SHELLS))
@pytest.mark.parametrize("value", ["a\nb", "a\rb", "tab\there", "nul\x00", "esc\x1b[31m", "del\x7f", "ls\u2028"])
def test_control_characters_refused_everywhere(name, value):
    with pytest.raises(shells.UnsafeValue):
        shells.get(name).quote(value)
