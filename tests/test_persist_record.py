"""hfenv's record of what setup wrote (issue 8, item 16), and `reset --all`.

Which file setup writes depends on the moment (ZDOTDIR, XDG_CONFIG_HOME,
GIT_CONFIG_GLOBAL, whether ~/.bash_profile exists). The record lets reset and
later setups find every file an earlier setup wrote, wherever it is.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from test_persist_cli import tree

from hfenv import persist

from conftest import need_program, run

MIRROR = "https://hf-mirror.com"
HUB = "https://huggingface.co"


def run_json(*args, env=None) -> dict:
    result = run(*args, "--json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def actions(report) -> dict[str, str]:
    return {t["path"]: t["action"] for t in report["targets"]}


@pytest.fixture
def record(isolated_home) -> Path:
    return isolated_home / ".local/state/hfenv/state.json"


def test_reset_without_zdotdir_removes_what_setup_wrote_under_it(isolated_home, tmp_path, record):
    zdot = tmp_path / "zdot"
    zdot.mkdir()
    (zdot / ".zshrc").write_bytes(b"# mine\n")
    before = tree(tmp_path, skip=("home/.config/hfenv", "home/.local/state/hfenv"))
    run_json("setup", "--persist", "--shell", "zsh", "--endpoint", "hf-mirror", env={"ZDOTDIR": str(zdot)})
    assert b"hf-mirror" in (zdot / ".zshenv").read_bytes()
    assert {e["path"] for e in json.loads(record.read_text())["targets"]} == {
        str(zdot / ".zshrc"), str(zdot / ".zshenv")}
    report = run_json("reset", "--shell", "zsh")  # ZDOTDIR is not set now
    assert actions(report)[str(zdot / ".zshenv")] == "removed"
    assert actions(report)[str(record)] == "removed"
    assert tree(tmp_path, skip=("home/.config/hfenv", "home/.local/state/hfenv")) == before


def test_reset_without_xdg_config_home_removes_the_fish_file_written_under_it(isolated_home, tmp_path):
    other = tmp_path / "other-config"
    fish = other / "fish/conf.d/hfenv.fish"
    run_json("setup", "--persist", "--shell", "fish", "--endpoint", "hf-mirror", env={"XDG_CONFIG_HOME": str(other)})
    assert fish.is_file()
    report = run_json("reset", "--shell", "fish")
    assert actions(report)[str(fish)] == "removed"
    assert not fish.exists()


def test_a_later_setup_updates_the_block_an_earlier_one_left_in_profile(isolated_home):
    """After ~/.bash_profile appears, bash's login file changes; the old block in ~/.profile
    (which sh, dash and ksh still read) must not keep the old endpoint."""
    profile = isolated_home / ".profile"
    run_json("setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror")
    assert b"hf-mirror" in profile.read_bytes()
    (isolated_home / ".bash_profile").write_bytes(b"[ -f ~/.bashrc ] && . ~/.bashrc\n")
    preview = run("setup", "--persist", "--shell", "bash", "--endpoint", "hf", "--dry-run")
    assert preview.exit_code == 0
    assert f"+++ {profile}" in preview.stdout and f"+export HF_ENDPOINT='{HUB}'" in preview.stdout
    report = run_json("setup", "--persist", "--shell", "bash", "--endpoint", "hf")
    assert actions(report)[str(profile)] == "updated"
    assert b"hf-mirror" not in profile.read_bytes() and HUB.encode() in profile.read_bytes()
    for name in ("dash", "bash"):
        need_program(name)
        done = subprocess.run([name, "-l", "-c", 'printf %s "$HF_ENDPOINT"'], capture_output=True, text=True,
                              timeout=30, env={"HOME": str(isolated_home), "PATH": os.environ["PATH"]})
        assert done.stdout == HUB, (name, done.stderr)
    report = run_json("reset", "--shell", "bash")
    assert actions(report)[str(profile)] == "removed"
    assert not profile.exists()
    assert (isolated_home / ".bash_profile").read_bytes() == b"[ -f ~/.bashrc ] && . ~/.bashrc\n"


def test_a_block_the_user_removed_by_hand_is_not_written_again(isolated_home):
    profile = isolated_home / ".profile"
    run_json("setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror")
    (isolated_home / ".bash_profile").write_bytes(b"")
    profile.write_bytes(b"# mine now\n")
    report = run_json("setup", "--persist", "--shell", "bash", "--endpoint", "hf")
    assert actions(report)[str(profile)] == "unchanged"
    assert profile.read_bytes() == b"# mine now\n"
    profile.unlink()
    report = run_json("setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror")
    assert actions(report)[str(profile)] == "unchanged" and not profile.exists()


def test_git_rule_written_under_another_global_config_is_found(isolated_home, tmp_path):
    team = tmp_path / "team.gitconfig"
    run_json("setup", "--git", "--endpoint", "hf-mirror", env={"GIT_CONFIG_GLOBAL": str(team)})
    assert b"insteadOf" in team.read_bytes()
    report = run_json("reset", "--git")
    assert actions(report)[str(team)] == "removed"
    assert not team.exists()


def test_other_shells_records_are_kept(isolated_home, record):
    run_json("setup", "--persist", "--shell", "zsh", "--shell", "tcsh", "--endpoint", "hf-mirror")
    run_json("reset", "--shell", "zsh")
    assert [e["kind"] for e in json.loads(record.read_text())["targets"]] == ["tcsh"]
    assert b"hf-mirror" in (isolated_home / ".tcshrc").read_bytes()


@pytest.mark.parametrize("damage", [
    b"{not json", b"[]", b'{"targets": "x"}', b'{"targets": null}', b"[" * 100000 + b"]" * 100000,
    b'{"targets": [1, {"kind": "bash"}, {"kind": "nope", "path": "/x"}, {"kind": "bash", "path": "rel"}]}',
    b"\xff\xfe", b"",
])
def test_a_damaged_record_is_ignored_with_a_warning(isolated_home, record, damage):
    record.parent.mkdir(parents=True)
    record.write_bytes(damage)
    result = run("setup", "--persist", "--shell", "zsh", "--endpoint", "hf-mirror", "--json")
    assert result.exit_code == 0, result.output
    assert "warning: ignoring" in result.stderr and str(record) in result.stderr
    assert "Traceback" not in result.stderr
    assert [e["kind"] for e in json.loads(record.read_text())["targets"]] == ["zsh", "zsh"]  # written afresh
    record.write_bytes(damage)
    result = run("reset", "--shell", "zsh", "--json")
    assert result.exit_code == 0 and "warning: ignoring" in result.stderr
    assert not (isolated_home / ".zshrc").exists()


def test_a_record_that_cannot_be_written_is_exit_1_not_a_traceback(isolated_home, record):
    record.mkdir(parents=True)
    before = tree(isolated_home)
    result = run("setup", "--persist", "--shell", "zsh", "--endpoint", "hf-mirror")
    assert result.exit_code == 1 and f"{record}: is a directory" in result.stderr
    assert "Traceback" not in result.stderr and tree(isolated_home) == before


# ---- reset --all ----------------------------------------------------------------


def test_reset_all_removes_every_shell_git_and_the_machine_files(isolated_home, tmp_path, monkeypatch):
    root = tmp_path / "sysroot"
    (root / "etc/profile.d").mkdir(parents=True)
    monkeypatch.setattr(persist, "SYSTEM_ROOT", root)
    monkeypatch.setattr("hfenv.host.SystemHost.is_admin", lambda self: True)
    (isolated_home / ".bashrc").write_bytes(b"# mine\r\n")
    (isolated_home / ".gitconfig").write_bytes(b"[user]\n\tname = me\n")
    zdot = tmp_path / "zdot"
    before_home = tree(isolated_home)
    before_root = tree(root)
    run_json("setup", "--persist", "--shell", "bash", "--shell", "fish", "--shell", "tcsh", "--shell", "elvish",
             "--git", "--endpoint", "hf-mirror")
    run_json("setup", "--persist", "--shell", "zsh", "--endpoint", "hf-mirror", env={"ZDOTDIR": str(zdot)})
    run_json("setup", "--system", "--endpoint", "hf-mirror")
    assert (root / "etc/profile.d/hfenv.sh").exists() and (zdot / ".zshrc").exists()

    report = run_json("reset", "--all")
    assert report["changed"] is True
    assert not (zdot / ".zshrc").exists() and not (zdot / ".zshenv").exists()
    made = {".config/fish", ".config/fish/conf.d", ".config/elvish", ".config/hfenv", ".local/state/hfenv"}
    after = tree(isolated_home, skip=(".config/hfenv",))
    assert {k: v for k, v in after.items() if k not in made} == before_home
    assert {k: v for k, v in tree(root).items() if not k.startswith("etc/hfenv")} == before_root
    assert run_json("reset", "--all")["changed"] is False


def test_reset_all_as_a_user_leaves_the_machine_alone(isolated_home, tmp_path, monkeypatch):
    root = tmp_path / "sysroot"
    (root / "etc/profile.d").mkdir(parents=True)
    (root / "etc/profile.d/hfenv.sh").write_bytes(b"# >>> hfenv >>>\nexport HF_ENDPOINT=x\n# <<< hfenv <<<\n")
    monkeypatch.setattr(persist, "SYSTEM_ROOT", root)
    monkeypatch.setattr("hfenv.host.SystemHost.is_admin", lambda self: False)
    before = tree(root)
    report = run_json("reset", "--all")
    assert "system" not in {t["kind"] for t in report["targets"]}
    assert tree(root) == before
    assert run("reset", "--all", "--shell", "bash").exit_code == 2


def test_reset_system_finds_fish_files_in_every_system_directory(isolated_home, tmp_path, monkeypatch):
    root = tmp_path / "sysroot"
    block = b"# >>> hfenv >>>\nset -gx HF_ENDPOINT x\n# <<< hfenv <<<\n"
    for d in ("etc/fish/conf.d", "opt/homebrew/etc/fish/conf.d"):
        (root / d).mkdir(parents=True)
    (root / "opt/homebrew/etc/fish/conf.d/hfenv.fish").write_bytes(block)  # from before /etc/fish existed
    monkeypatch.setattr(persist, "SYSTEM_ROOT", root)
    monkeypatch.setattr("hfenv.host.SystemHost.is_admin", lambda self: True)
    report = run_json("reset", "--system")
    assert actions(report)[str(root / "opt/homebrew/etc/fish/conf.d/hfenv.fish")] == "removed"
    assert not (root / "opt/homebrew/etc/fish/conf.d/hfenv.fish").exists()


def test_a_fifo_among_the_other_startup_files_does_not_hang_reset(isolated_home):
    (isolated_home / ".bash_profile").write_bytes(b"")  # bash's login file; ~/.profile is an "other" one
    os.mkfifo(isolated_home / ".profile")
    result = run("reset", "--shell", "bash")  # would block forever reading the FIFO
    assert result.exit_code == 0, result.output
    os.unlink(isolated_home / ".bash_profile")  # now the FIFO is a target: refused, not opened
    result = run("reset", "--shell", "bash")
    assert result.exit_code == 1 and "not a regular file" in result.stderr


def test_a_relative_git_config_global_is_recorded_as_an_absolute_path(isolated_home, tmp_path, monkeypatch, record):
    monkeypatch.chdir(tmp_path)
    run_json("setup", "--git", "--endpoint", "hf-mirror", env={"GIT_CONFIG_GLOBAL": "team.gitconfig"})
    assert [e["path"] for e in json.loads(record.read_text())["targets"]] == [str(tmp_path / "team.gitconfig")]
    result = run("reset", "--git", "--json")
    assert result.exit_code == 0 and "warning" not in result.stderr
    assert not (tmp_path / "team.gitconfig").exists()


def test_reset_all_as_root_on_a_machine_without_hfenvs_files_leaves_etc_alone(isolated_home, tmp_path,
                                                                              monkeypatch):
    root = tmp_path / "sysroot"
    (root / "etc/profile.d").mkdir(parents=True)
    monkeypatch.setattr(persist, "SYSTEM_ROOT", root)
    monkeypatch.setattr("hfenv.host.SystemHost.is_admin", lambda self: True)
    run_json("setup", "--persist", "--shell", "zsh", "--endpoint", "hf-mirror")
    before = tree(root)
    assert run_json("reset", "--all")["changed"] is True
    assert tree(root) == before  # no /etc/hfenv lock for a machine hfenv never wrote
