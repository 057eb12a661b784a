"""setup --git with real git: https://huggingface.co/ URLs reach a loopback server standing in for the mirror."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import need_program, run
from gitserver import DumbGitServer, clean_git_env, git, make_bare_repo

HUB_REPO = "https://huggingface.co/tiny-model"


def ls_remote(home, url: str = HUB_REPO, **env) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "ls-remote", url, "refs/heads/main"], env=clean_git_env(home, **env),
                          capture_output=True, text=True, timeout=30)


@pytest.fixture
def mirror(tmp_path):
    need_program("git")
    root = tmp_path / "mirror-root"
    root.mkdir()
    commit = make_bare_repo(root, "tiny-model")
    with DumbGitServer(root) as server:
        server.commit = commit
        yield server


def test_git_clone_urls_go_to_the_mirror_until_reset(isolated_home, mirror):
    gitconfig = isolated_home / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = Zhang Wei\n")
    before = gitconfig.read_bytes()
    result = run("setup", "--git", "--endpoint", mirror.url, "--json")
    assert result.exit_code == 0, result.stderr
    assert "plain http" in result.stderr  # the warning for http:// endpoints
    report = json.loads(result.stdout)
    assert report["targets"][0] == {"kind": "git", "path": str(gitconfig), "action": "updated"}

    assert git("config", "--global", "--get", f"url.{mirror.url}/.insteadof",
               env=clean_git_env(isolated_home)).strip() == "https://huggingface.co/"
    done = ls_remote(isolated_home)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{mirror.commit}\trefs/heads/main\n"
    assert "/tiny-model/info/refs?service=git-upload-pack" in mirror.paths

    again = json.loads(run("setup", "--git", "--endpoint", mirror.url, "--json").stdout)
    assert again["changed"] is False

    reset = json.loads(run("reset", "--git", "--json").stdout)
    assert [(t["kind"], t["action"]) for t in reset["targets"]] == [("git", "updated"), ("state", "removed")]
    assert gitconfig.read_bytes() == before
    mirror.paths.clear()
    assert ls_remote(isolated_home, GIT_ALLOW_PROTOCOL="file").returncode != 0  # https is not allowed
    assert mirror.paths == []  # nothing reached the mirror any more


def test_users_other_rules_are_kept(isolated_home, mirror):
    mine = '[url "https://github.com/"]\n\tinsteadOf = gh:\n'
    (isolated_home / ".gitconfig").write_text(mine)
    run("setup", "--git", "--endpoint", mirror.url)
    run("setup", "--git", "--endpoint", "hf-mirror")  # replaces hfenv's rule in place
    text = (isolated_home / ".gitconfig").read_text()
    assert text.count("insteadOf = https://huggingface.co/") == 1 and mirror.url not in text
    assert git("config", "--global", "--get", "url.https://github.com/.insteadof",
               env=clean_git_env(isolated_home)).strip() == "gh:"
    run("reset", "--git")
    assert (isolated_home / ".gitconfig").read_text() == mine


def test_git_config_global_and_xdg_are_honoured(isolated_home, tmp_path, monkeypatch, mirror):
    xdg = isolated_home / ".config" / "git" / "config"
    xdg.parent.mkdir(parents=True)
    xdg.write_text("[core]\n\tautocrlf = false\n")
    run("setup", "--git", "--endpoint", mirror.url)
    assert f'[url "{mirror.url}/"]' in xdg.read_text() and not (isolated_home / ".gitconfig").exists()
    assert ls_remote(isolated_home).returncode == 0  # git reads the XDG file when ~/.gitconfig is absent
    run("reset", "--git")

    elsewhere = tmp_path / "team" / "gitconfig"
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(elsewhere))
    run("setup", "--git", "--endpoint", mirror.url)
    assert f'[url "{mirror.url}/"]' in elsewhere.read_text()
    assert "huggingface" not in xdg.read_text()
    assert ls_remote(isolated_home, GIT_CONFIG_GLOBAL=str(elsewhere)).returncode == 0
    run("reset", "--git")
    assert not elsewhere.exists()


def test_official_hub_skips_git_and_removes_an_earlier_rule(isolated_home):
    result = run("setup", "--git", "--endpoint", "hf")
    assert result.exit_code == 0 and "needs no rewrite" in result.stderr
    assert not (isolated_home / ".gitconfig").exists()
    run("setup", "--git", "--endpoint", "hf-mirror")
    assert (isolated_home / ".gitconfig").exists()
    assert run("setup", "--git", "--endpoint", "hf").exit_code == 0
    assert not (isolated_home / ".gitconfig").exists()
