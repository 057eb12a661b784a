"""doctor's "Where HF_ENDPOINT is set" verdicts against what the real shells do with the same startup file.

Each case writes one startup file in the sandbox HOME, starts the real shell the way a new terminal
does (fish -i, bash -i, zsh -i, dash/ksh as login shells) and asks it what the programs it starts
see (printenv), then asks `hfenv doctor --offline --json` what new shells of that kind give their
programs: the value in "layers.not-in-process" for that shell, and "layers.other-shells-only" (or
not) when doctor is asked about another shell. The two must agree in every case.

Measured (fish 3.6, bash 5.2, zsh 5.9, dash 0.5.12, ksh93u+m): an assignment without export keeps
the export flag an earlier line gave (fish `set -g` after `set -gx`, `HF_ENDPOINT=x` after
`export`); alone it is not exported; fish `set -U` is hidden by an earlier global; `set -l` at the
top of config.fish ends with the file; `typeset +x` takes the flag away.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from conftest import hfenv_cmd, need_program

A = "https://a.example.com"
Y = "https://y.example.com"
U = "https://u.example.com"

FISH = [  # (lines of config.fish, what fish's programs get)
    (["set -g HF_ENDPOINT A"], None),
    (["set HF_ENDPOINT A"], None),
    (["set -x HF_ENDPOINT Y", "set -g HF_ENDPOINT A"], A),
    (["set -gx HF_ENDPOINT Y", "set -g HF_ENDPOINT A"], A),
    (["set -gx HF_ENDPOINT Y", "set HF_ENDPOINT A"], A),
    (["set -U HF_ENDPOINT A"], None),
    (["set -Ux HF_ENDPOINT A"], A),
    (["set -gx HF_ENDPOINT Y", "set -U HF_ENDPOINT A"], Y),
    (["set -gx HF_ENDPOINT Y", "set -l HF_ENDPOINT A"], Y),
    (["set -l HF_ENDPOINT A"], None),
    (["set -gx HF_ENDPOINT Y", "set -e HF_ENDPOINT"], None),
    (["set -gx HF_ENDPOINT Y", "set -gu HF_ENDPOINT A"], None),
    (["set -gx HF_ENDPOINT Y", "set -q HF_ENDPOINT"], Y),
    (["set -g HF_ENDPOINT Y", "set -gx HF_ENDPOINT A"], A),
    # A universal and a global variable side by side: programs get the global one only when it is exported.
    (["set -Ux HF_ENDPOINT U", "set -g HF_ENDPOINT A"], U),
    (["set -Ux HF_ENDPOINT U", "set HF_ENDPOINT A"], A),  # no -g: changes the universal one
    (["set -Ux HF_ENDPOINT U", "set -gx HF_ENDPOINT A", "set -e HF_ENDPOINT"], U),  # erases the global one
    (["set -U HF_ENDPOINT U", "set -x HF_ENDPOINT A"], A),
]

POSIX = [  # (lines, what the shell's programs get, the shells that have the builtins used)
    (["HF_ENDPOINT=A"], None, ("bash", "zsh", "dash", "ksh")),
    (["export HF_ENDPOINT=Y", "HF_ENDPOINT=A"], A, ("bash", "zsh", "dash", "ksh")),
    (["export HF_ENDPOINT=Y", "readonly HF_ENDPOINT=A"], A, ("bash", "zsh", "dash", "ksh")),
    (["readonly HF_ENDPOINT=A"], None, ("bash", "zsh", "dash", "ksh")),
    (["HF_ENDPOINT=Y", "export HF_ENDPOINT"], Y, ("bash", "zsh", "dash", "ksh")),
    (["export HF_ENDPOINT=Y", "unset HF_ENDPOINT", "HF_ENDPOINT=A"], None, ("bash", "zsh", "dash", "ksh")),
    (["typeset -x HF_ENDPOINT=A"], A, ("bash", "zsh", "ksh")),
    (["HF_ENDPOINT=A", "typeset -x HF_ENDPOINT"], A, ("bash", "zsh", "ksh")),
    (["export HF_ENDPOINT=Y", "typeset +x HF_ENDPOINT=A"], None, ("bash", "zsh", "ksh")),
    (["export HF_ENDPOINT=Y", "declare +x HF_ENDPOINT=A"], None, ("bash", "zsh")),
    (["export HF_ENDPOINT=Y", "typeset +x HF_ENDPOINT"], None, ("bash", "zsh")),
    (["export HF_ENDPOINT=Y", "export -n HF_ENDPOINT"], None, ("bash",)),
]
# Where each shell reads the lines, and how a new terminal starts it.
STARTS = {
    "fish": (".config/fish/config.fish", ["-i", "-c", "printenv HF_ENDPOINT; or echo NONE"]),
    "bash": (".bashrc", ["-i", "-c", "printenv HF_ENDPOINT || echo NONE"]),
    "zsh": (".zshrc", ["-i", "-c", "printenv HF_ENDPOINT || echo NONE"]),
    "dash": (".profile", ["-l", "-c", "printenv HF_ENDPOINT || echo NONE"]),
    "ksh": (".profile", ["-l", "-c", "printenv HF_ENDPOINT || echo NONE"]),
}


def write(home, shell: str, lines: list[str]) -> None:
    path = home / STARTS[shell][0]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(re.sub(r"\b([AYU])$", lambda m: {"A": A, "Y": Y, "U": U}[m[1]], line) + "\n"
                            for line in lines))


def real_shell(home, shell: str) -> str | None:
    """What the programs a new `shell` starts see: HF_ENDPOINT in their environment, or None."""
    program = need_program(shell)
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": os.environ["PATH"],
           "TERM": "dumb", "LANG": "C.UTF-8"}
    done = subprocess.run([program, *STARTS[shell][1]], capture_output=True, text=True, env=env, timeout=30,
                          stdin=subprocess.DEVNULL, cwd=home)
    out = done.stdout.strip().splitlines()
    assert out, done.stderr
    return None if out[-1] == "NONE" else out[-1]


def doctor_findings(home, shell: str) -> dict[str, str]:
    """doctor --offline --json --shell SHELL: its layers findings, code -> message."""
    env = {k: v for k, v in os.environ.items() if k != "HF_ENDPOINT"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    done = subprocess.run([*hfenv_cmd(), "doctor", "--offline", "--json", "--shell", shell], capture_output=True,
                          text=True, env=env, timeout=60)
    data = json.loads(done.stdout)
    return {f["code"]: f["message"] for f in data["findings"] if f["code"].startswith("layers.")}


def doctor_new_shell_value(findings: dict[str, str]) -> str | None:
    """What doctor says new terminals of the shell asked about give their programs."""
    message = findings.get("layers.not-in-process")
    if message is None:
        return None
    return re.search(r"new terminals use (\S+)$", message)[1]


@pytest.mark.slow  # real fish and doctor, as subprocesses
@pytest.mark.parametrize("lines, expected", FISH, ids=[" ; ".join(c[0]) for c in FISH])
def test_doctor_agrees_with_real_fish(isolated_home, lines, expected):
    write(isolated_home, "fish", lines)
    # doctor first: a `set -U` line changes fish_variables when fish runs it.
    found, other = doctor_findings(isolated_home, "fish"), doctor_findings(isolated_home, "bash")
    assert real_shell(isolated_home, "fish") == expected  # the measurement this case stands on
    assert doctor_new_shell_value(found) == expected
    # Asked about bash (which reads none of it): fish's lines count only when fish exports them.
    assert ("layers.other-shells-only" in other) == (expected is not None), other
    if expected is not None:
        assert other["layers.other-shells-only"].endswith(f"the others {expected}")


PROMPT = [  # (typed at a fish prompt before, lines of config.fish, what fish's programs get)
    ("set -Ux HF_ENDPOINT U", [], U),
    ("set -U HF_ENDPOINT U", [], None),
    ("set -Ux HF_ENDPOINT U", ["set -g HF_ENDPOINT A"], U),
    ("set -Ux HF_ENDPOINT U", ["set HF_ENDPOINT A"], A),
    ("set -U HF_ENDPOINT U", ["set -x HF_ENDPOINT A"], A),
    ("set -Ux HF_ENDPOINT U", ["set -gx HF_ENDPOINT A"], A),
    ("set -Ux HF_ENDPOINT U", ["set -e HF_ENDPOINT"], None),
    ("set -Ux HF_ENDPOINT U", ["set -gx HF_ENDPOINT A", "set -e HF_ENDPOINT"], U),
]


@pytest.mark.slow  # real fish and doctor, as subprocesses
@pytest.mark.parametrize("typed, lines, expected", PROMPT, ids=[f"{c[0]} | {' ; '.join(c[1])}" for c in PROMPT])
def test_doctor_reads_the_universal_variables_fish_stores(isolated_home, typed, lines, expected):
    # fish keeps `set -U` typed at a prompt in fish_variables, and has it before any startup file.
    env = {"HOME": str(isolated_home), "XDG_CONFIG_HOME": str(isolated_home / ".config"),
           "PATH": os.environ["PATH"], "TERM": "dumb"}
    subprocess.run([need_program("fish"), "-c", typed.replace(" U", f" {U}")], env=env, check=True, timeout=30,
                   stdin=subprocess.DEVNULL, cwd=isolated_home)
    write(isolated_home, "fish", lines)
    found, other = doctor_findings(isolated_home, "fish"), doctor_findings(isolated_home, "bash")
    assert real_shell(isolated_home, "fish") == expected
    assert doctor_new_shell_value(found) == expected
    assert ("layers.other-shells-only" in other) == (expected is not None), other


CASES = [(shell, lines, expected) for lines, expected, shells in POSIX for shell in shells]


@pytest.mark.slow  # real shells and doctor, as subprocesses
@pytest.mark.parametrize("shell, lines, expected", CASES, ids=[f"{c[0]}: {' ; '.join(c[1])}" for c in CASES])
def test_doctor_agrees_with_real_posix_shells(isolated_home, shell, lines, expected):
    write(isolated_home, shell, lines)
    assert real_shell(isolated_home, shell) == expected
    assert doctor_new_shell_value(doctor_findings(isolated_home, shell)) == expected
    if shell in ("bash", "zsh"):  # files only they read: fish is told about them only when they export
        other = doctor_findings(isolated_home, "fish")
        assert ("layers.other-shells-only" in other) == (expected is not None), other
