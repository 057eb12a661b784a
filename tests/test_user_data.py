"""Data a user owns (issue 8, items 12-14): files hfenv does not own are never lost.

- a file hfenv "owns whole" (fish's conf.d/hfenv.fish, /etc/profile.d/hfenv.sh)
  is replaced or deleted only while it holds hfenv's block and nothing else;
- degenerate startup files (empty, a BOM alone, only line endings, ...) come back
  byte for byte after setup + reset;
- an empty or relative HOME (ZDOTDIR, XDG_CONFIG_HOME, USERPROFILE) never makes
  hfenv write at the root of the file system or relative to the working directory.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest
from test_persist_cli import tree

from hfenv import persist, shells
from hfenv.blocks import UTF8_BOM, Markers
from hfenv.writers import Target, WriteError, reset_edit, setup_edit

from conftest import run

BODY = b"export HF_ENDPOINT='https://hf-mirror.com'\n"
FISH_BLOCK = (b"# >>> hfenv >>>\n# Managed by hfenv: `hfenv setup` changes it, `hfenv reset` removes it.\n"
              b"set -gx HF_ENDPOINT 'https://hf-mirror.com'\n# <<< hfenv <<<\n")


# ---- files hfenv owns whole (item 12) ----------------------------------------------


@pytest.mark.parametrize("content", [
    b"set -gx HF_ENDPOINT https://my.own.mirror\n",  # hand-written, no markers
    b"",  # an empty file someone placed there
    FISH_BLOCK + b"set -gx EXTRA 1\n",  # hfenv's block plus the user's own line
    b"# mine\n" + FISH_BLOCK,
])
def test_a_hand_written_fish_file_is_neither_replaced_nor_deleted(isolated_home, content):
    fish = isolated_home / ".config/fish/conf.d/hfenv.fish"
    fish.parent.mkdir(parents=True)
    fish.write_bytes(content)
    (isolated_home / ".zshrc").write_bytes(b"# zsh\n")
    before = tree(isolated_home)
    result = run("setup", "--persist", "--endpoint", "hf-mirror", "--shell", "zsh", "--shell", "fish")
    assert result.exit_code == 1, result.output
    assert str(fish) in result.stderr and "not hfenv's" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree(isolated_home) == before  # all targets or none: ~/.zshrc untouched too


@pytest.mark.parametrize("content, after", [
    (b"set -gx HF_ENDPOINT https://my.own.mirror\n", b"set -gx HF_ENDPOINT https://my.own.mirror\n"),
    (b"", b""),
    (FISH_BLOCK + b"set -gx EXTRA 1\n", b"set -gx EXTRA 1\n"),  # what hfenv wrote goes, the rest stays
    (b"# mine\n" + FISH_BLOCK, b"# mine"),  # the line end before an appended block goes with it
])
@pytest.mark.parametrize("scope", [(), ("--all",)])
def test_reset_removes_only_hfenvs_block_from_an_owned_file(isolated_home, content, after, scope):
    fish = isolated_home / ".config/fish/conf.d/hfenv.fish"
    fish.parent.mkdir(parents=True)
    fish.write_bytes(content)
    (isolated_home / ".zshrc").write_bytes(b"# zsh\n")
    shells = () if scope else ("--shell", "zsh", "--shell", "fish")
    result = run("reset", *scope, *shells)
    assert result.exit_code == 0, result.output
    assert fish.read_bytes() == after


def test_hfenvs_own_fish_file_is_still_replaced_and_deleted(isolated_home):
    fish = isolated_home / ".config/fish/conf.d/hfenv.fish"
    assert run("setup", "--persist", "--shell", "fish", "--endpoint", "hf-mirror").exit_code == 0
    assert fish.read_bytes() == FISH_BLOCK
    assert run("setup", "--persist", "--shell", "fish", "--endpoint", "hf").exit_code == 0
    assert b"huggingface.co" in fish.read_bytes()
    assert run("reset", "--shell", "fish").exit_code == 0
    assert not fish.exists()


def test_a_sites_own_profile_d_file_is_left_alone(isolated_home, tmp_path, monkeypatch):
    root = tmp_path / "sysroot"
    (root / "etc/profile.d").mkdir(parents=True)
    site = root / "etc/profile.d/hfenv.sh"
    site.write_bytes(b"export HF_ENDPOINT=https://hf.lab.example\n")
    monkeypatch.setattr(persist, "SYSTEM_ROOT", root)
    monkeypatch.setattr("hfenv.host.SystemHost.is_admin", lambda self: True)
    before = tree(root)
    result = run("setup", "--system", "--endpoint", "hf-mirror")
    assert result.exit_code == 1 and str(site) in result.stderr and "not hfenv's" in result.stderr
    assert tree(root) == before
    assert run("reset", "--system").exit_code == 0  # no hfenv block in it: nothing of hfenv's to remove
    assert tree(root) == before


def test_owned_check_is_in_the_edit_so_apply_rechecks_under_the_lock(tmp_path):
    target = Target("fish", tmp_path / "hfenv.fish", owned=True)
    assert setup_edit(target, FISH_BLOCK)(None) == FISH_BLOCK
    assert setup_edit(target, FISH_BLOCK)(FISH_BLOCK.replace(b"hf-mirror.com", b"x")) == FISH_BLOCK
    assert reset_edit(target)(FISH_BLOCK) is None
    with pytest.raises(WriteError, match="not hfenv's"):
        setup_edit(target, FISH_BLOCK)(b"echo hi\n")
    assert reset_edit(target)(b"echo hi\n") == b"echo hi\n"  # not hfenv's: reset leaves it


# ---- degenerate files (item 13) ---------------------------------------------------------

PIECES = [b"", UTF8_BOM, b"\n", b"\r\n", b"\r", b" ", b"\t", b"x"]
# Every shared-file shape hfenv writes: bash's ~/.bashrc (block first), a plain
# appended block, a block that follows the file's CRLF, a PowerShell profile.
SHAPES = [
    dict(at_start=True, match_newline=False),
    dict(match_newline=False),
    dict(match_newline=True),
    dict(markers=Markers("#region hfenv", "#endregion hfenv"), newline=b"\r\n", bom=True, match_newline=True),
]


def degenerate_inputs():
    seen = set()
    for n in range(4):
        for combo in itertools.product(PIECES, repeat=n):
            data = b"".join(combo)
            if data not in seen:
                seen.add(data)
                yield data
    yield UTF8_BOM + b"\r\n\r\n"
    yield b"  \t \r\n  \n"
    yield b"last line without newline"


@pytest.mark.parametrize("shape", range(len(SHAPES)))
def test_reset_after_setup_gives_every_degenerate_file_back(tmp_path, shape):
    target = Target("t", tmp_path / "rc", **SHAPES[shape])
    inputs = list(degenerate_inputs())
    assert len(inputs) > 300
    for data in inputs + [None]:
        once = setup_edit(target, BODY)(data)
        assert setup_edit(target, BODY)(once) == once, data  # idempotent
        assert reset_edit(target)(once) == data, data  # None: a file setup created is removed


@pytest.mark.parametrize("content", [UTF8_BOM, b"", b"\n\n", UTF8_BOM + b"\r\n", b"\r\n", b"  "])
def test_bashrc_of_degenerate_content_survives_setup_and_reset(isolated_home, content):
    rc = isolated_home / ".bashrc"
    rc.write_bytes(content)
    assert run("setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror").exit_code == 0
    assert b"# >>> hfenv >>>" in rc.read_bytes()
    assert run("reset", "--shell", "bash").exit_code == 0
    assert rc.read_bytes() == content


# ---- the home directory (item 14) -------------------------------------------------------


@pytest.mark.parametrize("home", ["", "relative/home", "."])
@pytest.mark.parametrize("command", [
    ["setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror"],
    ["setup", "--endpoint", "hf-mirror"],
    ["reset", "--shell", "bash"],
    ["endpoints", "add", "lab", "https://hf.lab.example"],
    ["endpoints", "remove", "lab"],
])
def test_an_empty_or_relative_home_is_refused(tmp_path, monkeypatch, isolated_home, home, command):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", home)
    before = tree(tmp_path)
    result = run(*command)
    assert result.exit_code == 2, result.output
    assert "$HOME" in result.stderr and "Traceback" not in result.stderr
    assert tree(tmp_path) == before


def test_home_problem_on_windows_reads_userprofile(tmp_path):
    def windows(**env):
        return shells.Platform("windows", Path("C:/Users/u"), env)
    assert "USERPROFILE" in persist.home_problem(windows(USERPROFILE=""))
    assert "relative" in persist.home_problem(windows(USERPROFILE="Users\\u"))
    def linux(**env):
        return shells.Platform("linux", tmp_path, env)
    assert persist.home_problem(linux(HOME=str(tmp_path))) is None
    assert persist.home_problem(linux()) is None  # unset: the password database answers


@pytest.mark.parametrize("value", ["", "relative/cfg"])
def test_an_empty_or_relative_xdg_config_home_is_ignored(isolated_home, tmp_path, monkeypatch, value):
    """The XDG spec: a relative (or empty) value is invalid and ignored; ZDOTDIR likewise."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", value)
    monkeypatch.setenv("ZDOTDIR", value)
    result = run("setup", "--persist", "--shell", "fish", "--shell", "zsh", "--shell", "elvish",
                 "--endpoint", "hf-mirror", "--json")
    assert result.exit_code == 0, result.output
    paths = {t["path"] for t in json.loads(result.stdout)["targets"]}
    assert all(Path(p).is_absolute() and p.startswith(str(isolated_home)) for p in paths), paths
    assert str(isolated_home / ".config/fish/conf.d/hfenv.fish") in paths
    assert str(isolated_home / ".zshrc") in paths
    assert list(work.iterdir()) == []


# ---- the machine-wide lock (item 7) -----------------------------------------------------


@pytest.fixture
def sysroot(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "sysroot"
    (root / "etc/profile.d").mkdir(parents=True)
    (root / "run/lock").mkdir(parents=True)
    (root / "run/lock").chmod(0o1777)  # as on a real machine: anyone may write there
    monkeypatch.setattr(persist, "SYSTEM_ROOT", root)
    monkeypatch.setattr("hfenv.host.SystemHost.is_admin", lambda self: True)
    return root


def test_the_system_lock_lives_where_only_root_can_write(isolated_home, sysroot):
    assert run("setup", "--system", "--endpoint", "hf-mirror").exit_code == 0
    lock = sysroot / "etc/hfenv/system.lock"
    assert lock.is_file() and not lock.is_symlink()
    assert oct(lock.stat().st_mode & 0o777) == oct(0o600)
    assert oct(lock.parent.stat().st_mode & 0o777) == oct(0o755)
    assert lock.parent.stat().st_uid == os.geteuid()
    assert list((sysroot / "run/lock").iterdir()) == []  # nothing in the world-writable place


def test_a_planted_symlink_is_not_followed(isolated_home, sysroot, tmp_path):
    victim = tmp_path / "victim"
    (sysroot / "etc/hfenv").mkdir(mode=0o755)
    (sysroot / "etc/hfenv/system.lock").symlink_to(victim)
    result = run("setup", "--system", "--endpoint", "hf-mirror")
    assert result.exit_code == 1 and "symbolic link" in result.stderr, result.output
    assert not victim.exists() and not os.path.lexists(victim)
    assert not (sysroot / "etc/profile.d/hfenv.sh").exists()  # nothing changed


@pytest.mark.parametrize("case", ["world-writable", "group-writable", "symlinked dir", "not a dir"])
def test_a_lock_directory_others_can_write_is_refused(isolated_home, sysroot, tmp_path, case):
    lock_dir = sysroot / "etc/hfenv"
    if case == "symlinked dir":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir(mode=0o755)
        lock_dir.symlink_to(elsewhere)
    elif case == "not a dir":
        lock_dir.write_text("")
    else:
        lock_dir.mkdir()
        lock_dir.chmod(0o777 if case == "world-writable" else 0o775)
    before = tree(tmp_path)
    for command in (["setup", "--system", "--endpoint", "hf-mirror"], ["reset", "--system"]):
        (sysroot / "etc/profile.d/hfenv.sh").unlink(missing_ok=True)
        if command[0] == "reset":
            (sysroot / "etc/profile.d/hfenv.sh").write_bytes(b"# >>> hfenv >>>\nexport A=1\n# <<< hfenv <<<\n")
            before = tree(tmp_path)
        result = run(*command)
        assert result.exit_code == 1, result.output
        assert str(lock_dir) in result.stderr and "Traceback" not in result.stderr
        assert tree(tmp_path) == before


def test_a_lock_directory_of_another_owner_is_refused(tmp_path):
    from hfenv.writers import PrivateLock, apply

    lock_dir = tmp_path / "etc/hfenv"
    lock_dir.mkdir(parents=True, mode=0o755)
    os.chown(lock_dir, 12345, 12345) if os.geteuid() == 0 else pytest.skip("needs root to chown")
    with pytest.raises(WriteError, match="owned by uid 12345"):
        apply([], PrivateLock(lock_dir / "system.lock"))


def test_no_lock_follows_a_symlink(tmp_path):
    from hfenv.writers import apply

    victim = tmp_path / "victim"
    link = tmp_path / "setup.lock"
    link.symlink_to(victim)
    with pytest.raises(WriteError, match="symbolic link"):
        apply([], link)
    assert not os.path.lexists(victim)


# ---- one atomic writer (issue 9, item 5) ------------------------------------------------


def test_json_files_go_through_the_one_atomic_writer(tmp_path, monkeypatch):
    from hfenv import endpoints, writers

    calls = []
    real = writers.write_atomic
    monkeypatch.setattr(writers, "write_atomic", lambda path, data: calls.append(path) or real(path, data))
    target = tmp_path / "new-dir" / "probe.json"
    endpoints.write_json_atomic(target, {"a": "模型"})
    assert calls == [target] and json.loads(target.read_text(encoding="utf-8")) == {"a": "模型"}
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(OSError, match="is a directory"):
        endpoints.write_json_atomic(tmp_path / "dir.json", {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.json", "home", "new-dir"]  # no temp file left
