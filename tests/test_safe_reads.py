"""Files hfenv did not write: a FIFO, /dev/zero, a huge file never hang or exhaust it (issue 8 item 4).

Every test that could hang on a regression runs hfenv in a subprocess with a
timeout, so that a regression fails the test instead of stalling the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

BOUND = 60  # seconds; each of these runs takes about a second


def bounded(*argv: str, code: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", code] if code is not None else [sys.executable, "-m", "hfenv", *argv]
    full_env = {**os.environ, "NO_PROXY": "*", "HTTPS_PROXY": "http://127.0.0.1:9", **(env or {})}
    try:
        return subprocess.run(command, capture_output=True, timeout=BOUND, cwd=str(ROOT), env=full_env,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{command[-3:]} did not end within {BOUND} s: a blocking read?")


def fifo(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


READ = "import sys; from hfenv.files import read_regular; print(repr(read_regular(sys.argv[1])))"
KINDS = ["fifo", "dev-zero", "link-to-dev-zero", "huge", "empty", "bom-only", "not-utf8", "directory"]


def make(kind: str, path):
    if kind == "fifo":
        fifo(path)
    elif kind == "dev-zero":
        return "/dev/zero"
    elif kind == "link-to-dev-zero":
        os.symlink("/dev/zero", path)
    elif kind == "huge":
        with open(path, "wb") as fh:
            fh.truncate(50 * 1024 * 1024)  # 50 MB, sparse
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "bom-only":
        path.write_bytes(b"\xef\xbb\xbf")
    elif kind == "not-utf8":
        path.write_bytes(b"export X='\xff\xfe'\n")
    elif kind == "directory":
        path.mkdir()
    return str(path)


@pytest.mark.parametrize("kind", KINDS)
def test_read_regular_refuses_what_is_not_a_small_regular_file(tmp_path, kind):
    target = make(kind, tmp_path / "file")
    done = bounded(code=READ.replace("sys.argv[1]", repr(target)))
    if kind in ("empty", "bom-only", "not-utf8"):
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode().strip() == repr((tmp_path / "file").read_bytes())
    else:
        assert done.returncode == 1
        assert b"FileRefused" in done.stderr
        reason = {"fifo": b"FIFO", "huge": b"larger than 4 MiB", "directory": b"a directory"}.get(kind, b"a device")
        assert reason in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "link-to-dev-zero", "huge"])
def test_detect_doctor_and_setup_survive_a_hostile_bashrc(isolated_home, kind):
    make(kind, isolated_home / ".bashrc")
    detect = bounded("detect", "--json", env={"SHELL": "/bin/bash"})
    assert detect.returncode == 0, detect.stderr
    problems = json.loads(detect.stdout)["hf_endpoint"]["problems"]
    assert [p["path"] for p in problems] == [str(isolated_home / ".bashrc")]
    doctor = bounded("doctor", "--offline", "--json", "--shell", "bash")
    assert doctor.returncode in (0, 1), doctor.stderr
    found = [f for f in json.loads(doctor.stdout)["findings"] if "~/.bashrc" in f["message"]]
    assert found and ("FIFO" in found[0]["message"] or "regular" in found[0]["message"]
                      or "larger" in found[0]["message"])
    for command in ("setup", "reset"):
        extra = ("--persist", "--endpoint", "hf-mirror") if command == "setup" else ()
        done = bounded(command, *extra, "--shell", "bash")
        assert done.returncode == 1, done.stderr
        assert b".bashrc" in done.stderr and b"Traceback" not in done.stderr


@pytest.mark.slow
def test_reset_skips_a_fifo_among_the_other_candidate_files(isolated_home):
    (isolated_home / ".bash_profile").write_text("")  # the login file setup writes today
    fifo(isolated_home / ".profile")  # reset searches it for the block of an earlier setup
    done = bounded("reset", "--shell", "bash")
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_a_fifo_sourced_by_bashrc_is_named_not_read(isolated_home):
    (isolated_home / ".bashrc").write_text(". ~/.bash_aliases\n")
    fifo(isolated_home / ".bash_aliases")
    done = bounded("detect", "--json", env={"SHELL": "/bin/bash"})
    assert done.returncode == 0
    [problem] = json.loads(done.stdout)["hf_endpoint"]["problems"]
    assert problem["path"] == str(isolated_home / ".bash_aliases") and "FIFO" in problem["problem"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "link-to-dev-zero", "huge"])
def test_doctor_names_a_token_file_no_client_can_read(tmp_path, kind):
    token = make(kind, tmp_path / "token")
    done = bounded("doctor", "--offline", "--json", "--shell", "bash", env={"HF_TOKEN_PATH": token})
    assert done.returncode == 1, done.stderr
    [finding] = [f for f in json.loads(done.stdout)["findings"] if f["code"] == "token.file-unreadable"]
    assert token in finding["message"]


@pytest.mark.parametrize("kind", ["empty", "bom-only", "not-utf8"])
def test_degenerate_startup_files_read_normally(isolated_home, kind):
    from hfenv import startup

    path = isolated_home / ".bashrc"
    make(kind, path)
    # bash reads a BOM as part of the first word: the line after it is the one that counts.
    path.write_bytes(path.read_bytes().rstrip(b"\n") + b"\nexport HF_ENDPOINT=https://hf-mirror.com\n")
    place = startup.StartupPlace(path, ("bash",))
    lines, problems = startup.read_places([place])
    assert problems == [] and [(x.line, x.value) for x in lines] == [
        (2, "https://hf-mirror.com")]


def test_os_release_that_is_a_fifo_gives_no_name(tmp_path):
    path = fifo(tmp_path / "os-release")
    done = bounded(code=f"from hfenv.detect import read_os_release; print(read_os_release({str(path)!r}))")
    assert done.returncode == 0 and done.stdout.strip() == b"{}"


def test_filestore_checks_the_open_file_not_only_the_earlier_stat(isolated_home):
    """A FIFO swapped in after FileStore._stat looked must not hang the read: _read checks the open file."""
    path = fifo(isolated_home / ".bashrc")
    done = bounded(code=(
        "from hfenv import writers\n"
        f"t = writers.Target('bash', {str(path)!r})\n"
        "try:\n    writers.FILES._read(t, str(t.path))\nexcept writers.WriteError as e:\n    print(e)\n"))
    assert done.returncode == 0 and b"FIFO" in done.stdout and b"regular files only" in done.stdout
