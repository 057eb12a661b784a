"""setup --persist reaches every real shell the way users start it; reset takes it all back.

A temporary HOME is seeded with Debian's /etc/skel (whose ~/.bashrc returns at
once when not interactive), hfenv runs as a separate process, and each shell
starts a child process that reports HF_ENDPOINT and HF_HUB_CACHE. Every
environment is built from nothing (`env -i` style), so the developer's own
settings cannot leak in. xonsh and elvish read their rc files only when
interactive, so they run on a pseudo-terminal.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from conftest import ROOT, need_program

MIRROR = "https://hf-mirror.com"
CACHE = "/srv/模型 cache/it's"  # a space, a quote and non-ASCII, through real startup files
SHELLS = ["bash", "zsh", "sh", "fish", "tcsh", "xonsh", "elvish"]
PTY_TIMEOUT = 30.0
RUN_TIMEOUT = 30.0

DUMP = """\
import json, os, sys
names = ("HF_ENDPOINT", "HF_HUB_CACHE")
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({n: os.environ.get(n) for n in names}, out)
"""

# How each shell is started: (label, program, argv after the program, needs a terminal, extra env).
# {cmd} is the command line that runs the child process.
STARTS = [
    ("bash -i -c", "bash", ["-i", "-c", "{cmd}"], False, {}),
    ("bash -l -c", "bash", ["-l", "-c", "{cmd}"], False, {}),
    # What sshd runs for `ssh host command`: bash, not interactive, not login, SSH_CLIENT set.
    ("bash -c over ssh", "bash", ["-c", "{cmd}"], False, {"SSH_CLIENT": "127.0.0.1 50000 22"}),
    ("zsh -i -c", "zsh", ["-i", "-c", "{cmd}"], False, {}),
    ("zsh -l -c", "zsh", ["-l", "-c", "{cmd}"], False, {}),
    ("zsh -c", "zsh", ["-c", "{cmd}"], False, {}),
    ("dash -l -c", "dash", ["-l", "-c", "{cmd}"], False, {}),
    ("ksh -l -c", "ksh", ["-l", "-c", "{cmd}"], False, {}),
    ("fish -c", "fish", ["-c", "{cmd}"], False, {}),
    ("tcsh -c", "tcsh", ["-c", "{cmd}"], False, {}),
    ("xonsh (interactive)", "xonsh", ["-i"], True, {}),
    ("elvish (interactive)", "elvish", [], True, {}),
]


def shell_env(home: Path, scratch: Path, extra: dict) -> dict:
    """A from-nothing environment; shells' history and caches go to scratch, not HOME."""
    env = {
        "HOME": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "TERM": "dumb",
        "LANG": "C.UTF-8",
        "XDG_DATA_HOME": str(scratch / "data"),
        "XDG_STATE_HOME": str(scratch / "state"),
        "XDG_CACHE_HOME": str(scratch / "cache"),
    }
    env.update(extra)
    return env


def hfenv(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}
    done = subprocess.run([sys.executable, "-m", "hfenv", *args], env=env, cwd=home, capture_output=True,
                          timeout=RUN_TIMEOUT)
    assert done.returncode == 0, done.stderr.decode()
    return done


def run_on_pty(argv: list[str], env: dict, line: str, timeout: float = PTY_TIMEOUT) -> None:
    """Start argv on a new pseudo-terminal, type `line` and `exit` once it has drawn something."""
    master, slave = os.openpty()

    def controlling_tty():  # elvish wants its terminal to be the controlling one
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=env["HOME"],
                            start_new_session=True, preexec_fn=controlling_tty)
    os.close(slave)
    deadline = time.monotonic() + timeout
    typed = False
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    if not os.read(master, 65536):
                        break
                except OSError:
                    break  # the shell exited and closed the terminal
                if not typed:
                    time.sleep(0.3)  # let the line editor finish starting
                    os.write(master, line.encode() + b"\r")
                    time.sleep(0.3)
                    os.write(master, b"exit\r")
                    typed = True
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)
        os.close(master)


def what_shells_see(home: Path, scratch: Path) -> dict[str, dict]:
    """For every start in STARTS: the variables its child process saw."""
    dump = scratch / "dump.py"
    dump.write_text(DUMP)
    seen = {}
    for number, (label, program, args, on_pty, extra) in enumerate(STARTS):
        path = need_program(program)
        out = scratch / f"seen-{number}.json"
        if out.exists():
            out.unlink()
        cmd = f"{sys.executable} {dump} {out}"
        env = shell_env(home, scratch, extra)
        if on_pty:
            run_on_pty([path, *args], env, cmd)
        else:
            subprocess.run([path, *(a.format(cmd=cmd) for a in args)], env=env, cwd=home,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=RUN_TIMEOUT)
        seen[label] = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"ran": False}
    return seen


def files_hash(home: Path, skip: tuple[str, ...]) -> dict[str, str]:
    """Every regular file and symlink under home: relative path -> mode and content hash."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(home):
        rel_dir = os.path.relpath(dirpath, home)
        dirnames[:] = [d for d in dirnames if os.path.normpath(os.path.join(rel_dir, d)) not in skip]
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if os.path.islink(path):
                digest = "link:" + os.readlink(path)
            else:
                digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            found[os.path.normpath(os.path.join(rel_dir, name))] = f"{st.st_mode:o} {digest}"
    return found


@pytest.fixture
def skel_home(tmp_path) -> Path:
    home = tmp_path / "user"
    if not os.path.isdir("/etc/skel"):
        pytest.skip("no /etc/skel here")
    shutil.copytree("/etc/skel", home, symlinks=True)
    return home


def test_every_shell_sees_the_mirror_after_setup_and_nothing_after_reset(skel_home, tmp_path):
    home, scratch = skel_home, tmp_path / "scratch"
    scratch.mkdir()
    assert "return" in (home / ".bashrc").read_text()  # Debian's interactive guard is really there
    shell_args = [a for name in SHELLS for a in ("--shell", name)]

    # A first run lets the shells create their own files (fish's variables...) before the snapshot.
    before = what_shells_see(home, scratch)
    assert all(v == {"HF_ENDPOINT": None, "HF_HUB_CACHE": None} for v in before.values()), before
    snapshot = files_hash(home, skip=(".config/hfenv",))

    hfenv(home, "setup", "--persist", *shell_args, "--endpoint", "hf-mirror", "--cache-dir", CACHE)
    after_setup = what_shells_see(home, scratch)
    expected = {"HF_ENDPOINT": MIRROR, "HF_HUB_CACHE": CACHE}
    assert {k: v for k, v in after_setup.items() if v != expected} == {}

    hfenv(home, "reset", *shell_args)
    after_reset = what_shells_see(home, scratch)
    assert {k: v for k, v in after_reset.items() if v != before[k]} == {}
    assert files_hash(home, skip=(".config/hfenv",)) == snapshot


def test_a_block_at_the_end_of_debians_bashrc_is_not_seen_over_ssh(skel_home, tmp_path):
    """Why hfenv puts its block first in ~/.bashrc: the same block appended is invisible to `ssh host cmd`."""
    need_program("bash")
    hfenv(skel_home, "setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror")
    bashrc = skel_home / ".bashrc"
    text = bashrc.read_text()
    assert text.startswith("# >>> hfenv >>>\n")
    end = text.index("# <<< hfenv <<<\n") + len("# <<< hfenv <<<\n")
    dump = tmp_path / "dump.py"
    dump.write_text(DUMP)
    out = tmp_path / "seen.json"

    def over_ssh() -> str | None:
        env = shell_env(skel_home, tmp_path, {"SSH_CLIENT": "127.0.0.1 50000 22"})
        subprocess.run(["bash", "-c", f"{sys.executable} {dump} {out}"], env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=RUN_TIMEOUT)
        return json.loads(out.read_text())["HF_ENDPOINT"]

    assert over_ssh() == MIRROR
    bashrc.write_text(text[end:] + "\n" + text[:end])  # the same block, appended instead
    assert over_ssh() is None
