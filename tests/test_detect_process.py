"""Shell detection from the process command line (issue 8 item 20): tcsh as `-csh`, xonsh with arguments."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from hfenv import detect

from conftest import ROOT, need_program


@pytest.mark.parametrize("argv, exe, expected", [
    (["-csh"], "/usr/bin/tcsh", ("tcsh", "/usr/bin/tcsh")),
    (["-bash"], "/usr/bin/bash", ("bash", "/usr/bin/bash")),
    (["/usr/bin/python3", "/usr/bin/xonsh", "--no-rc", "-c", "hfenv detect"], "/usr/bin/python3.11",
     ("xonsh", "/usr/bin/xonsh")),
    (["python3", "-u", "-W", "ignore", "-m", "xonsh", "-i"], "/usr/bin/python3.11",
     ("xonsh", "/usr/bin/python3.11 -m xonsh")),
    (["python3", "-c", "import os; os.system('hfenv detect')"], "/usr/bin/python3.11", None),
    (["python3", "/venv/bin/hfenv", "detect"], "/usr/bin/python3.11", None),
    (["myshell"], "/usr/bin/zsh", ("zsh", "/usr/bin/zsh")),  # exec -a myshell zsh
    (["make", "all"], "/usr/bin/make", None),
    ([], None, None),
])
def test_shell_from_command(argv, exe, expected):
    assert detect.shell_from_command(argv, exe, "/") == expected


def detect_from(argv: list[str], **env) -> dict:
    """`hfenv detect --json` run from inside the shell started with argv (its code is the last word)."""
    full = {**os.environ, **env}
    done = subprocess.run(argv, capture_output=True, timeout=60, env=full, cwd=str(ROOT), stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["shell"]


def hfenv_line() -> str:
    return f"{sys.executable} -m hfenv detect --json"


@pytest.mark.slow
def test_tcsh_started_as_csh_from_bash_is_tcsh(tmp_path):
    need_program("tcsh")
    bash = need_program("bash")
    # A login tcsh started from bash: argv[0] is "-csh", $SHELL still says bash. `; true` keeps
    # tcsh from exec'ing the last command in its place.
    script = f"exec -a -csh tcsh -f -c '{hfenv_line()}; true'"
    shell = detect_from([bash, "-c", script], SHELL=bash)
    assert shell["name"] == "tcsh" and shell["eval"] == 'eval "`hfenv shell --shell tcsh`"'
    assert os.path.basename(shell["path"]) in ("tcsh", "csh")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["script", "module"])
def test_xonsh_started_with_arguments_is_xonsh(how):
    xonsh = need_program("xonsh")
    with open(xonsh, "rb") as fh:
        first = fh.readline().decode().strip()
    python = first[2:].split()[-1] if first.startswith("#!") else sys.executable
    start = [python, xonsh] if how == "script" else [python, "-m", "xonsh"]
    if how == "module" and subprocess.run([python, "-c", "import xonsh"], capture_output=True).returncode:
        pytest.skip(f"{python} cannot import xonsh")
    shell = detect_from(start + ["--no-rc", "-D", "HFENV_TEST=1", "-c", hfenv_line()], SHELL=shutil.which("bash"))
    assert shell["name"] == "xonsh" and shell["eval"] == "execx($(hfenv shell --shell xonsh))"
