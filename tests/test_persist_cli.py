"""setup and reset through the command line: SPEC 5's guarantees, wired end to end.

hfenv.writers' own tests cover the mechanics (atomic replace, kill, locks);
these prove that the commands use them: what is planned, printed, written and
refused, with which exit status. Every test passes --endpoint, so nothing probes.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hfenv import commands, endpoints, persist
from hfenv.cli import main

import plans
from conftest import ROOT, run

MIRROR = "https://hf-mirror.com"
HUB = "https://huggingface.co"


def run_json(*args) -> dict:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def tree(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every file, symlink and directory under root with its mode and content hash."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames if os.path.normpath(os.path.join(rel, d)) not in skip]
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                what = "link:" + os.readlink(path)
            elif stat.S_ISDIR(st.st_mode):
                what = "dir"
            else:
                what = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            found[os.path.normpath(os.path.join(rel, name))] = f"{st.st_mode:o} {what}"
    return found


def block_count(path: Path) -> int:
    return path.read_bytes().count(b"# >>> hfenv >>>")


@pytest.fixture
def config_dir(isolated_home) -> Path:
    return isolated_home / ".config" / "hfenv"


# ---- idempotent, in place, reversible ------------------------------------------


def test_setup_twice_leaves_one_block_and_reports_unchanged(isolated_home):
    first = run_json("setup", "--persist", "--shell", "zsh", "--endpoint", "hf-mirror")
    second = run_json("setup", "--persist", "--shell", "zsh", "--endpoint", "hf-mirror")
    assert first["changed"] is True and second["changed"] is False
    assert {t["action"] for t in second["targets"]} == {"unchanged"}
    for name in (".zshrc", ".zshenv"):
        assert block_count(isolated_home / name) == 1


def test_another_endpoint_replaces_the_block_in_place(isolated_home):
    zshrc = isolated_home / ".zshrc"
    zshrc.write_bytes(b"# mine, before\nsetopt autocd\n")
    run("setup", "--persist", "--shell", "zsh", "--endpoint", "hf-mirror")
    with zshrc.open("ab") as fh:
        fh.write(b"alias ll='ls -l'  # mine, after\n")
    with_mirror = zshrc.read_bytes()
    report = run_json("setup", "--persist", "--shell", "zsh", "--endpoint", "https://mirror.lab.example/hf")
    # .zshrc, .zshenv, the saved choice; hfenv's record of the files stays as it was
    assert [t["action"] for t in report["targets"]] == ["updated", "updated", "updated", "unchanged"]
    assert zshrc.read_bytes() == with_mirror.replace(MIRROR.encode(), b"https://mirror.lab.example/hf")
    assert block_count(zshrc) == 1


def test_reset_gives_back_every_file_byte_for_byte(isolated_home, config_dir):
    home = isolated_home
    (home / ".bashrc").write_bytes(b"case $- in *i*) ;; *) return;; esac\r\nPS1='\\w$ '\r\n")  # CRLF
    (home / ".profile").write_bytes(b"PATH=$HOME/bin:$PATH")  # no final newline
    (home / ".tcshrc").write_bytes(b"set prompt='\xff\xfe latin-1 \xe9'\n")  # not UTF-8
    (home / ".tcshrc").chmod(0o600)
    dotfiles = home / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "zshrc").write_bytes(b"bindkey -e\n")
    (home / ".zshrc").symlink_to("dotfiles/zshrc")  # a dotfile manager's link
    before = tree(home, skip=(".config/hfenv",))
    shells = ["--shell", "bash", "--shell", "zsh", "--shell", "tcsh", "--shell", "fish", "--shell", "elvish"]

    setup = run_json("setup", "--persist", *shells, "--endpoint", "hf-mirror", "--cache-dir", "/data/hf cache")
    assert setup["changed"]
    assert (home / ".zshrc").is_symlink() and b"hf-mirror" in (dotfiles / "zshrc").read_bytes()
    # First, and in LF even in a CRLF file: bash would read a \r into the value.
    assert (home / ".bashrc").read_bytes().startswith(b"# >>> hfenv >>>\n")
    assert stat.S_IMODE((home / ".tcshrc").stat().st_mode) == 0o600
    assert b"HF_HUB_CACHE='/data/hf'\\ 'cache'" in (home / ".profile").read_bytes()
    assert b"HF_HOME" not in (home / ".profile").read_bytes()

    reset = run_json("reset", *shells)
    assert reset["endpoint"] is None and reset["changed"]
    created = {t["path"] for t in setup["targets"] if t["action"] == "created"}
    assert created and all(not os.path.lexists(p) for p in created - {str(config_dir / "config.json")})
    after = tree(home, skip=(".config/hfenv",))
    # Directories setup created for new files stay (reset cannot know who else uses them).
    made = {k for k in after if k not in before and after[k].endswith(" dir")}
    assert {k: v for k, v in after.items() if k not in made} == before
    assert made <= {".config/fish", ".config/fish/conf.d", ".config/elvish", ".local/state/hfenv"}


def test_reset_keeps_the_saved_choice(isolated_home):
    run("setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror")
    run("reset", "--shell", "bash")
    assert endpoints.saved_choice() == endpoints.Endpoint("hf-mirror", MIRROR)


def test_reset_without_anything_to_remove_changes_nothing(isolated_home):
    report = run_json("reset", "--shell", "bash", "--shell", "fish")
    assert report == {"endpoint": None, "changed": False, "targets": [
        {"kind": "bash", "path": str(isolated_home / ".bashrc"), "action": "unchanged"},
        {"kind": "bash", "path": str(isolated_home / ".profile"), "action": "unchanged"},
        {"kind": "fish", "path": str(isolated_home / ".config/fish/conf.d/hfenv.fish"), "action": "unchanged"},
        {"kind": "state", "path": str(isolated_home / ".local/state/hfenv/state.json"), "action": "unchanged"},
    ]}
    assert not (isolated_home / ".bashrc").exists()
    assert not (isolated_home / ".config/hfenv").exists()  # a no-op takes no lock, leaves no file


# ---- previews and reports -----------------------------------------------------


def test_dry_run_writes_nothing_and_prints_the_diff(isolated_home):
    (isolated_home / ".bashrc").write_text("alias ll='ls -l'\n")
    before = tree(isolated_home)
    result = run("setup", "--persist", "--shell", "bash", "--shell", "fish", "--git", "--endpoint", "hf-mirror",
                 "--dry-run")
    assert result.exit_code == 0
    assert tree(isolated_home) == before  # not even the config, the lock or a directory
    out = result.stdout
    assert f"--- {isolated_home}/.bashrc\n+++ {isolated_home}/.bashrc\n" in out
    assert "+export HF_ENDPOINT='https://hf-mirror.com'\n" in out
    assert f"--- /dev/null\n+++ {isolated_home}/.config/fish/conf.d/hfenv.fish\n" in out
    assert '+[url "https://hf-mirror.com/"]\n' in out and "+\tinsteadOf = https://huggingface.co/\n" in out
    assert '+    "url": "https://hf-mirror.com"\n' in out  # the saved choice is part of the plan
    assert "nothing written" in result.stderr

    run("setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror")
    before = tree(isolated_home)
    result = run("reset", "--shell", "bash", "--dry-run")
    assert result.exit_code == 0 and "-export HF_ENDPOINT='https://hf-mirror.com'\n" in result.stdout
    assert tree(isolated_home) == before


def test_dry_run_json_reports_the_plan_and_writes_nothing(isolated_home):
    before = tree(isolated_home)
    report = run_json("setup", "--persist", "--shell", "sh", "--endpoint", "hf", "--dry-run")
    assert report["changed"] is True
    assert [(t["kind"], t["action"]) for t in report["targets"]] == [("sh", "created"), ("config", "created"),
                                                                     ("state", "created")]
    assert tree(isolated_home) == before


def test_json_contract_and_stdout_is_json_only(isolated_home, config_dir):
    result = run("setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)  # nothing but JSON on stdout
    assert set(report) == {"endpoint", "changed", "targets"}
    assert report["endpoint"] == {"name": "hf-mirror", "url": MIRROR}
    assert report["changed"] is True
    assert report["targets"] == [
        {"kind": "bash", "path": str(isolated_home / ".bashrc"), "action": "created"},
        {"kind": "bash", "path": str(isolated_home / ".profile"), "action": "created"},
        {"kind": "config", "path": str(config_dir / "config.json"), "action": "created"},
        {"kind": "state", "path": str(isolated_home / ".local/state/hfenv/state.json"), "action": "created"},
    ]
    assert 'eval "$(hfenv shell --shell bash)"' in result.stderr  # the hint, off stdout
    removed = run_json("reset", "--shell", "bash")
    assert [t["action"] for t in removed["targets"]] == ["removed", "removed", "removed"]  # and the record


def test_human_output_names_each_target_and_the_eval_line(isolated_home):
    result = run("setup", "--persist", "--shell", "fish", "--endpoint", "hf-mirror")
    assert result.exit_code == 0
    assert f"created    {isolated_home}/.config/fish/conf.d/hfenv.fish  [fish]" in result.stdout
    assert "hfenv shell --shell fish | source" in result.stdout
    assert result.stderr == ""


def test_setup_without_persist_only_saves_the_choice(isolated_home, config_dir):
    before = tree(isolated_home)
    preview = run_json("setup", "--shell", "zsh", "--endpoint", "hf-mirror", "--dry-run")
    assert [t["kind"] for t in preview["targets"]] == ["config"] and tree(isolated_home) == before
    result = run("setup", "--shell", "zsh", "--endpoint", "hf-mirror")
    assert result.exit_code == 0
    assert 'eval "$(hfenv shell --shell zsh)"' in result.stdout
    assert endpoints.saved_choice() == endpoints.Endpoint("hf-mirror", MIRROR)
    assert not (isolated_home / ".zshrc").exists() and not (isolated_home / ".zshenv").exists()
    again = run_json("setup", "--shell", "zsh", "--endpoint", "hf-mirror")
    assert again == {"endpoint": {"name": "hf-mirror", "url": MIRROR}, "changed": False,
                     "targets": [{"kind": "config", "path": str(config_dir / "config.json"), "action": "unchanged"}]}


def test_saving_the_choice_keeps_the_users_endpoints(isolated_home):
    assert run("endpoints", "add", "lab", "https://hf.lab.example").exit_code == 0
    run("setup", "--endpoint", "lab")
    assert endpoints.user_endpoints() == {"lab": "https://hf.lab.example"}
    assert endpoints.saved_choice() == endpoints.Endpoint("lab", "https://hf.lab.example")


# ---- all or nothing, and the errors ----------------------------------------------


def test_second_target_unwritable_exit_1_names_it_and_changes_nothing(isolated_home):
    (isolated_home / ".bashrc").write_text("alias ll='ls -l'\n")
    (isolated_home / ".config" / "fish").write_text("not a directory\n")  # conf.d cannot be made under it
    before = tree(isolated_home)
    result = run("setup", "--persist", "--shell", "bash", "--shell", "fish", "--endpoint", "hf-mirror")
    assert result.exit_code == 1
    assert f"{isolated_home}/.config/fish/conf.d/hfenv.fish" in result.stderr
    assert "nothing was changed" in result.stderr and "not a directory" in result.stderr.lower()
    assert not (isolated_home / ".config/hfenv/config.json").exists()  # the choice is not saved either
    skip = (".config/hfenv",)  # (where the lock file lives)
    assert tree(isolated_home, skip) == {k: v for k, v in before.items() if k not in skip}  # .bashrc rolled back
    assert result.stdout == ""


def test_duplicate_markers_stop_with_file_and_lines(isolated_home):
    bashrc = isolated_home / ".bashrc"
    bashrc.write_text("a\n# >>> hfenv >>>\nexport HF_ENDPOINT=x\n# <<< hfenv <<<\n"
                      "b\n# >>> hfenv >>>\n# <<< hfenv <<<\n")
    before = tree(isolated_home)
    for command in (["setup", "--persist", "--endpoint", "hf-mirror"], ["reset"]):
        result = run(*command, "--shell", "bash")
        assert result.exit_code == 1
        assert f"{bashrc}: more than one hfenv block" in result.stderr
        assert "lines 2 and 6" in result.stderr and "lines 4 and 7" in result.stderr
        assert tree(isolated_home) == before


def test_unbalanced_marker_names_its_line(isolated_home):
    (isolated_home / ".zshenv").write_text("x=1\n\n# >>> hfenv >>>\nexport HF_ENDPOINT=x\n")
    result = run("setup", "--persist", "--shell", "zsh", "--endpoint", "hf")
    assert result.exit_code == 1
    assert "line 3 has no closing" in result.stderr and ".zshenv" in result.stderr
    assert not (isolated_home / ".zshrc").exists()


@pytest.mark.parametrize("args, reason", [
    (["--shell", "nushell"], "unknown shell"),
    (["--endpoint", "ftp://hf-mirror.com"], "scheme"),
    (["--endpoint", "https://user:pw@mirror.example"], "user:password"),
    (["--cache-dir", "/data/a\nb"], "control character"),
])
def test_bad_input_is_exit_2_and_writes_nothing(isolated_home, args, reason):
    before = tree(isolated_home)
    full = ["setup", "--persist", "--shell", "bash", "--endpoint", "hf", *args]
    result = run(*full)
    assert result.exit_code == 2 and reason in result.stderr
    assert tree(isolated_home) == before


def test_no_endpoint_uses_a_probe_not_the_saved_choice(isolated_home, monkeypatch):
    plans.save_choice(endpoints.Endpoint("hf", HUB))

    class Report:
        chosen = endpoints.Endpoint("hf-mirror", MIRROR)

    monkeypatch.setattr(commands, "cached_or_new_probe", lambda: Report())  # setup loads lazily from here
    assert run_json("setup", "--persist", "--shell", "sh")["endpoint"]["url"] == MIRROR
    Report.chosen = None
    result = run("setup", "--persist", "--shell", "sh")
    assert result.exit_code == 3 and "no usable" in result.stderr


def test_undetectable_shell_with_persist_names_the_option(monkeypatch):
    from hfenv import detect

    monkeypatch.setattr(detect, "detect_shell", lambda env=None: (None, None, "no hints"))
    result = run("setup", "--persist", "--endpoint", "hf")
    assert result.exit_code == 2 and "--shell" in result.stderr
    assert run("setup", "--endpoint", "hf").exit_code == 0  # without --persist the shell is only a hint


# ---- the token warning -----------------------------------------------------------

SECRET = "hf_SECRETxSECRETxSECRETxSECRET"


@pytest.mark.parametrize("where", ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "file", "HF_HOME", "HF_TOKEN_PATH"])
def test_token_warning_for_a_third_party_endpoint(isolated_home, monkeypatch, tmp_path, where):
    if where == "file":
        path = isolated_home / ".cache" / "huggingface" / "token"  # XDG_CACHE_HOME is ~/.cache here
    elif where == "HF_HOME":
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hfhome"))
        path = tmp_path / "hfhome" / "token"
    elif where == "HF_TOKEN_PATH":
        path = tmp_path / "elsewhere" / "tok"
        monkeypatch.setenv("HF_TOKEN_PATH", str(path))
    else:
        monkeypatch.setenv(where, SECRET)
        path = None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SECRET + "\n")
    result = run("setup", "--endpoint", "hf-mirror", "--json")
    assert result.exit_code == 0
    assert "every request, token included, goes to hf-mirror.com" in result.stderr
    assert "HF_HUB_DISABLE_IMPLICIT_TOKEN=1" in result.stderr
    assert (str(path) if path else f"${where}") in result.stderr
    assert SECRET not in result.stderr + result.stdout
    official = run("setup", "--endpoint", "hf")
    assert "token" not in official.stderr


def test_no_token_no_warning(isolated_home):
    (isolated_home / ".cache" / "huggingface").mkdir(parents=True)
    (isolated_home / ".cache" / "huggingface" / "token").write_text("")  # logged out: empty file
    assert "token" not in run("setup", "--endpoint", "hf-mirror").stderr


# ---- --system --------------------------------------------------------------------


@pytest.fixture
def system_root(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "sysroot"
    for d in ("etc/profile.d", "etc/fish", "run/lock"):
        (root / d).mkdir(parents=True)
    monkeypatch.setattr(persist, "SYSTEM_ROOT", root)
    return root


def test_system_writes_profile_d_and_fish_conf_d(isolated_home, system_root, monkeypatch):
    monkeypatch.setattr("hfenv.host.SystemHost.is_admin", lambda self: True)
    report = run_json("setup", "--system", "--endpoint", "hf-mirror")
    profile_d = system_root / "etc/profile.d/hfenv.sh"
    fish = system_root / "etc/fish/conf.d/hfenv.fish"
    assert [(t["kind"], t["path"], t["action"]) for t in report["targets"]] == [
        ("system", str(profile_d), "created"), ("system", str(fish), "created"),
    ]  # --system alone: the user's saved choice stays out of it (sudo may keep HOME)
    assert profile_d.read_text() == (
        "# >>> hfenv >>>\n"
        "# Managed by hfenv: `hfenv setup` changes it, `hfenv reset` removes it.\n"
        "export HF_ENDPOINT='https://hf-mirror.com'\n"
        "# <<< hfenv <<<\n"
    )
    assert "set -gx HF_ENDPOINT 'https://hf-mirror.com'\n" in fish.read_text()
    assert stat.S_IMODE(profile_d.stat().st_mode) == stat.S_IMODE(fish.stat().st_mode) == 0o644
    assert (system_root / "etc/hfenv/system.lock").exists()
    assert not (isolated_home / ".bashrc").exists()  # --system alone leaves the user's files
    assert not (isolated_home / ".config/hfenv").exists()  # no saved choice, no user lock
    # profile.d really works for a login shell that sources it
    done = subprocess.run(["sh", "-c", f'. "{profile_d}"; echo "$HF_ENDPOINT"'], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, timeout=30)
    assert done.stdout == MIRROR + "\n"

    removed = run_json("reset", "--system")
    assert [t["action"] for t in removed["targets"]] == ["removed", "removed"]
    assert not profile_d.exists() and not fish.exists()
    assert (system_root / "etc/fish/conf.d").is_dir()


def test_system_refused_without_root_exit_1(isolated_home, system_root, monkeypatch):
    monkeypatch.setattr("hfenv.host.SystemHost.is_admin", lambda self: False)
    before = tree(system_root), tree(isolated_home)
    for command in (["setup", "--endpoint", "hf-mirror"], ["reset"]):
        result = run(*command, "--system")
        assert result.exit_code == 1
        assert "run it as root" in result.stderr and "sudo" in result.stderr
    assert (tree(system_root), tree(isolated_home)) == before
    preview = run("setup", "--system", "--endpoint", "hf-mirror", "--dry-run")  # a preview needs no root
    assert preview.exit_code == 0 and "+export HF_ENDPOINT='https://hf-mirror.com'" in preview.stdout
    assert (tree(system_root), tree(isolated_home)) == before


def test_system_without_any_system_directory_is_exit_1(isolated_home, tmp_path, monkeypatch):
    monkeypatch.setattr(persist, "SYSTEM_ROOT", tmp_path / "empty-root")
    monkeypatch.setattr("hfenv.host.SystemHost.is_admin", lambda self: True)
    result = run("setup", "--system", "--endpoint", "hf-mirror")
    assert result.exit_code == 1 and "nothing machine-wide" in result.stderr
    assert not (isolated_home / ".config" / "hfenv" / "config.json").exists()


def test_system_targets_use_the_first_fish_directory(tmp_path):
    root = tmp_path / "r"
    (root / "usr/local/etc/fish").mkdir(parents=True)
    targets = persist.system_file_targets(root)
    assert [str(t.path) for t in targets] == [str(root / "usr/local/etc/fish/conf.d/hfenv.fish")]


# ---- concurrency -------------------------------------------------------------------


def test_parallel_setups_leave_one_whole_block(isolated_home, tmp_path):
    """Several `hfenv setup` processes at once: one block, from one of them, the user's lines intact."""
    zshrc = isolated_home / ".zshrc"
    user = b"".join(b"alias a%d='echo %d'\n" % (i, i) for i in range(2000))
    zshrc.write_bytes(user)
    urls = [f"https://m{i}.example" for i in range(4)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "hfenv", "setup", "--persist", "--shell", "zsh",
                               "--endpoint", url, "--json"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for url in urls]
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    data = zshrc.read_bytes()
    assert block_count(zshrc) == 1 and data.startswith(user)
    winner = [u for u in urls if f"export HF_ENDPOINT='{u}'\n".encode() in data]
    assert len(winner) == 1
    # Each run applies all its targets under one lock, so the last one wins everywhere.
    assert f"export HF_ENDPOINT='{winner[0]}'\n" in (isolated_home / ".zshenv").read_text()
    config = json.loads((isolated_home / ".config/hfenv/config.json").read_text())
    assert config["chosen"]["url"] == winner[0]
    assert sorted(os.listdir(isolated_home)) == [".cache", ".config", ".local", ".zshenv", ".zshrc"]


@pytest.mark.parametrize("shell,argv",
                         [("zsh", ["zsh", "-c"]), ("sh", ["dash", "-l", "-c"]), ("bash", ["bash", "-l", "-c"])])
def test_crlf_startup_file_still_gives_the_exact_value(isolated_home, shell, argv):
    """A CRLF startup file (edited on Windows, say) must not put a \r into the value."""
    from conftest import need_program

    need_program(argv[0])
    home = isolated_home
    for name in (".zshenv", ".profile", ".bashrc"):
        (home / name).write_bytes(b"# edited on Windows\r\nX=1\r\n")
    assert run_json("setup", "--persist", "--shell", shell, "--endpoint", "hf-mirror")["changed"]
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "TERM": "dumb"}
    done = subprocess.run(argv + ["printenv HF_ENDPOINT"], env=env, capture_output=True, timeout=60)
    assert done.stdout == b"https://hf-mirror.com\n"
    assert b"\r" not in done.stderr and b"not found" not in done.stderr


@pytest.mark.parametrize("shell,written,appears", [
    ("bash", ".profile", ".bash_profile"),
    ("tcsh", ".cshrc", ".tcshrc"),
])
def test_reset_finds_the_block_after_the_startup_file_choice_changed(isolated_home, shell, written, appears):
    """Setup chose a file by what existed; a file created later must not hide the block from reset."""
    home = isolated_home
    (home / written).write_bytes(b"# mine\n")
    before = (home / written).read_bytes()
    run_json("setup", "--persist", "--shell", shell, "--endpoint", "hf-mirror")
    assert b">>> hfenv >>>" in (home / written).read_bytes()
    (home / appears).write_bytes(b"# created later\n")
    report = run_json("reset", "--shell", shell)
    assert {"kind": shell, "path": str(home / written), "action": "updated"} in report["targets"]
    assert (home / written).read_bytes() == before
    assert (home / appears).read_bytes() == b"# created later\n"


def test_reset_finds_zsh_blocks_written_before_zdotdir_was_set(isolated_home, monkeypatch):
    home = isolated_home
    run_json("setup", "--persist", "--shell", "zsh", "--endpoint", "hf-mirror")
    monkeypatch.setenv("ZDOTDIR", str(home / "zdot"))
    (home / "zdot").mkdir()
    run_json("reset", "--shell", "zsh")
    assert not (home / ".zshrc").exists() and not (home / ".zshenv").exists()


def test_a_shell_without_startup_files_here_is_said_not_skipped_silently(isolated_home):
    result = CliRunner().invoke(main, ["setup", "--persist", "--shell", "cmd", "--endpoint", "hf-mirror"])
    assert result.exit_code == 0
    assert "cmd has no startup file" in result.stderr
