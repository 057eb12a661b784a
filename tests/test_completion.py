"""`hfenv completion bash|zsh|fish`: click's protocol, and the printed script in the real shells."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT, hfenv_cmd, need_program


def complete(shell: str, words: str, cword: str) -> list[str]:
    """Drive click's completion protocol the way the generated scripts do."""
    env = {**os.environ, "_HFENV_COMPLETE": f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": cword}
    done = subprocess.run(hfenv_cmd(), capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_bash_protocol_completes_commands_and_options():
    assert complete("bash", "hfenv s", "1") == ["plain,setup", "plain,shell"]
    assert complete("bash", "hfenv se", "1") == ["plain,setup"]
    assert "plain,--cache-dir" in complete("bash", "hfenv run --", "2")
    assert complete("bash", "hfenv completion ", "2") == ["plain,bash", "plain,zsh", "plain,fish"]


def test_zsh_and_fish_protocols():
    kind, value, description = complete("zsh", "hfenv sh", "1")
    assert (kind, value) == ("plain", "shell") and description.startswith("Print code")
    [line] = complete("fish", "hfenv se", "se")
    assert line.startswith("plain,setup\tChoose the endpoint")


def test_an_unknown_shell_is_bad_usage():
    done = subprocess.run(hfenv_cmd() + ["completion", "tcsh"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in done.stderr


@pytest.fixture
def hfenv_on_path(tmp_path):
    """An `hfenv` command on PATH that runs this tree's hfenv, as the installed console script would."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "hfenv"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m hfenv "$@"\n')
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}


def test_bash_script_sourced_in_real_bash_completes(hfenv_on_path):
    bash = need_program("bash")
    script = (
        'source <(hfenv completion bash) || exit 9\n'
        'complete -p hfenv\n'
        'COMP_WORDS=(hfenv s); COMP_CWORD=1; COMPREPLY=()\n'
        '_hfenv_completion hfenv\n'
        'printf "<%s>" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run([bash, "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                          env=hfenv_on_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == "complete -o nosort -F _hfenv_completion hfenv\n<setup><shell>"


def test_zsh_script_sourced_in_real_zsh_registers_and_completes(hfenv_on_path, tmp_path):
    zsh = need_program("zsh")
    # compadd and _describe work only inside a completion widget: stand-ins print what they receive.
    script = (
        "autoload -Uz compinit && compinit -u -d " + str(tmp_path / "zcompdump") + "\n"
        "source <(hfenv completion zsh) || exit 9\n"
        "print -r -- $_comps[hfenv]\n"
        '_describe() { local name=$3; print -rl -- "${(@P)name}"; }\n'
        'compadd() { print -rl -- "${(@P)${@[-1]}}"; }\n'
        "words=(hfenv s); CURRENT=2\n"
        "_hfenv_completion\n"
    )
    done = subprocess.run([zsh, "-f", "-c", script], capture_output=True, text=True, env=hfenv_on_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0] == "_hfenv_completion"
    assert [line.split(":")[0] for line in lines[1:]] == ["setup", "shell"]


def test_fish_script_sourced_in_real_fish_completes(hfenv_on_path, tmp_path):
    fish = need_program("fish")
    env = {**hfenv_on_path, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    script = 'hfenv completion fish | source; or exit 9; complete -C"hfenv s"; complete -C"hfenv completion z"'
    done = subprocess.run([fish, "--no-config", "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == ["setup", "shell", "zsh"]
