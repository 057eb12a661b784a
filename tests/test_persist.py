"""hfenv.persist's decisions as values: targets per shell and OS, placements, paths, the token rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfenv import persist, render, shells
from hfenv.blocks import HASH_MARKERS, remove_block, set_block
from hfenv.endpoints import Endpoint
from hfenv.shells import Platform
from hfenv.writers import PrivateLock, Target, reset_edit, setup_edit

BODY = b"export HF_ENDPOINT='https://hf-mirror.com'\n"
GUARD = b"case $- in\n    *i*) ;;\n      *) return;;\nesac\n"


@pytest.mark.parametrize("data", [
    GUARD, GUARD.replace(b"\n", b"\r\n"), b"no final newline", b"\xef\xbb\xbf" + GUARD, b"\n", b"\xff\xfe\n",
])
def test_block_at_start_goes_first_and_comes_off_exactly(data):
    out = set_block(data, BODY, HASH_MARKERS, "f", at_start=True)
    head = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    assert out.startswith(head + b"# >>> hfenv >>>")
    assert remove_block(out, HASH_MARKERS, "f") == data
    assert set_block(out, BODY, HASH_MARKERS, "f", at_start=True) == out  # idempotent


def test_an_existing_block_is_replaced_where_it_is_even_with_at_start():
    data = GUARD + b"\n# >>> hfenv >>>\nold\n# <<< hfenv <<<\n"
    assert set_block(data, BODY, HASH_MARKERS, "f", at_start=True) == (
        GUARD + b"\n# >>> hfenv >>>\n" + BODY + b"# <<< hfenv <<<\n")


def test_a_created_bom_file_is_deleted_by_reset():
    target = Target("powershell", Path("p.ps1"), newline=b"\r\n", bom=True)
    created = setup_edit(target, BODY)(None)
    assert created.startswith(b"\xef\xbb\xbf# >>> hfenv >>>\r\n")
    assert reset_edit(target)(created) is None
    assert reset_edit(target)(created + b"Set-Alias x y\r\n") == b"\xef\xbb\xbfSet-Alias x y\r\n"


def linux(home: Path, **env) -> Platform:
    return Platform("linux", home, env=env)


def paths(targets) -> list[str]:
    return [str(t.path) for t in targets]


def test_linux_bash_targets_bashrc_first_and_the_login_file(tmp_path):
    bash = shells.get("bash")
    files = bash.startup_files(linux(tmp_path))
    assert [(f.path.name, f.at_start) for f in files] == [(".bashrc", True), (".profile", False)]
    (tmp_path / ".bash_profile").write_text("")
    assert bash.startup_files(linux(tmp_path))[1].path.name == ".bash_profile"  # bash -l reads only that one
    mac = bash.startup_files(Platform("macos", tmp_path))
    assert [(f.path.name, f.at_start) for f in mac] == [(".bash_profile", False)]


def test_one_target_per_file_across_shells(tmp_path):
    scope = persist.Scope((shells.get("bash"), shells.get("sh"), shells.get("ksh")), user=True)
    targets = persist.targets_for(scope, linux(tmp_path), host=None)
    assert paths(targets) == [str(tmp_path / ".bashrc"), str(tmp_path / ".profile")]


def test_zsh_follows_zdotdir_and_fish_xdg(tmp_path):
    plat = linux(tmp_path, ZDOTDIR=str(tmp_path / "zdot"), XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    scope = persist.Scope((shells.get("zsh"), shells.get("fish"), shells.get("elvish")), user=True)
    assert paths(persist.targets_for(scope, plat, host=None)) == [
        str(tmp_path / "zdot/.zshrc"), str(tmp_path / "zdot/.zshenv"),
        str(tmp_path / "cfg/fish/conf.d/hfenv.fish"), str(tmp_path / "cfg/elvish/rc.elv"),
    ]


def test_owned_files_hold_the_marked_block(tmp_path):
    (target,) = persist.shell_targets(shells.get("fish"), linux(tmp_path), None)
    assert target.owned
    body = target.body(Endpoint("hf-mirror", "https://hf-mirror.com"), render.assignments("https://hf-mirror.com"))
    assert body == (b"# >>> hfenv >>>\n# Managed by hfenv: `hfenv setup` changes it, `hfenv reset` removes it.\n"
                    b"set -gx HF_ENDPOINT 'https://hf-mirror.com'\n# <<< hfenv <<<\n")


def test_tcsh_prefers_an_existing_cshrc(tmp_path):
    assert shells.get("tcsh").startup_files(linux(tmp_path))[0].path.name == ".tcshrc"
    (tmp_path / ".cshrc").write_text("")
    assert shells.get("csh").startup_files(linux(tmp_path))[0].path.name == ".cshrc"


def test_git_config_path_follows_gits_rules(tmp_path):
    plat = linux(tmp_path, XDG_CONFIG_HOME=str(tmp_path / "x"))
    assert persist.git_config_path(plat) == tmp_path / ".gitconfig"
    (tmp_path / "x" / "git").mkdir(parents=True)
    (tmp_path / "x" / "git" / "config").write_text("")
    assert persist.git_config_path(plat) == tmp_path / "x" / "git" / "config"
    (tmp_path / ".gitconfig").write_text("")
    assert persist.git_config_path(plat) == tmp_path / ".gitconfig"
    assert persist.git_config_path(linux(tmp_path, GIT_CONFIG_GLOBAL="/etc/team.gitconfig")) == \
        Path("/etc/team.gitconfig")


def test_token_file_location(tmp_path):
    home = tmp_path
    assert persist.token_file({}, home) == home / ".cache/huggingface/token"
    assert persist.token_file({"XDG_CACHE_HOME": "/c"}, home) == Path("/c/huggingface/token")
    assert persist.token_file({"HF_HOME": "/h", "XDG_CACHE_HOME": "/c"}, home) == Path("/h/token")
    assert persist.token_file({"HF_HOME": "/h", "HF_TOKEN_PATH": "/t/tok"}, home) == Path("/t/tok")


def test_no_warning_for_the_official_hub_even_with_a_token(tmp_path):
    env = {"HF_TOKEN": "hf_x"}
    assert persist.token_warning(Endpoint("hf", "https://huggingface.co"), env, tmp_path) is None
    warning = persist.token_warning(Endpoint("lab", "https://hf.lab.example:8443/hub"), env, tmp_path)
    assert "goes to hf.lab.example:8443, a third party" in warning and "hf_x" not in warning


def test_lock_paths_are_stable(tmp_path, isolated_home, monkeypatch):
    monkeypatch.setattr(persist, "SYSTEM_ROOT", tmp_path)
    plat = linux(isolated_home)
    assert persist.lock_paths(persist.Scope(user=True), plat) == [isolated_home / ".config/hfenv/setup.lock"]
    (tmp_path / "run" / "lock").mkdir(parents=True)  # world-writable on real machines: not used
    system_lock = PrivateLock(tmp_path / "etc/hfenv/system.lock")
    assert persist.lock_paths(persist.Scope(system=True), plat) == [system_lock]
    assert persist.lock_paths(persist.Scope(system=True), plat, saves_choice=True) == [
        isolated_home / ".config/hfenv/setup.lock", system_lock]


def test_setup_policy_is_plain_functions(tmp_path):
    # What the CLI used to decide inline: the saved choice, the warnings, the --system check.
    fish, cmd = shells.get("fish"), shells.get("cmd")
    assert persist.saves_choice(persist.Scope((fish,), user=True))
    assert persist.saves_choice(persist.Scope())  # plain `hfenv setup` saves the choice
    assert not persist.saves_choice(persist.Scope(system=True))  # --system alone: the machine's business
    assert persist.saves_choice(persist.Scope((fish,), user=True, system=True))
    warnings = persist.setup_warnings(persist.Scope((fish, cmd), user=True), linux(tmp_path), None)
    assert [w.split()[0] for w in warnings] == ["cmd"]
    assert persist.setup_warnings(persist.Scope((cmd,), user=False, git=True), linux(tmp_path), None) == []
    assert persist.setup_warnings(persist.Scope((cmd,), user=True), Platform("windows", tmp_path), None) == []
    scope = persist.Scope(system=True)
    assert "neither /etc/profile.d" in persist.system_problem(scope, [], linux(tmp_path))
    assert persist.system_problem(scope, [], Platform("windows", tmp_path)) is None
    assert persist.system_problem(persist.Scope(git=True), [], linux(tmp_path)) is None
