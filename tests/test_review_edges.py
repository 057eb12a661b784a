"""Defects an independent review found in issue 8's fixes (D1-D8): each through the real CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hfenv.cli import main
from hfenv.doctor.values import human_size
from hfenv.hubcheck import header_number

from conftest import run
from hubserver import LARGE_FILES, dead_url, server_tls


@pytest.fixture(autouse=True)
def nothing_leaves_this_machine(monkeypatch, tmp_path):
    from hfenv import persist

    monkeypatch.setattr(persist, "SYSTEM_ROOT", tmp_path / "root")
    blackhole = dead_url()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, blackhole)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def answering(raw, answer: bytes):
    """A raw server (hubserver.RawServer) that answers every request with `answer`."""
    return raw(lambda server, conn, head: server.send(conn, answer))


def hub_answer(extra: bytes) -> bytes:
    return (b"HTTP/1.1 200 OK\r\nX-Repo-Commit: 0123456789abcdef0123\r\nContent-Length: 0\r\n"
            + extra + b"Connection: close\r\n\r\n")


# ---- D1: numeric headers ----------------------------------------------------------------


@pytest.mark.parametrize("text, number", [
    ("123", 123), (" 7 ", 7), ("²", None), ("³", None), ("¹2", None), ("١٢", None), ("-1", None), ("", None),
    ("1" * 20, int("1" * 20)), ("1" * 21, None), (None, None), (5, None), ("1e3", None),
])
def test_header_number_takes_ascii_digits_only(text, number):
    assert header_number(text) == number


@pytest.mark.parametrize("n", [0, 999, 1000, 10 ** 6, 10 ** 12, 10 ** 20, 10 ** 1000])
def test_human_size_takes_any_int(n):
    assert human_size(n)


@pytest.mark.parametrize("value", [b"\xb2", b"\xb3", b"\xb9", b"9" * 1000])
def test_an_odd_linked_size_is_no_traceback(raw, monkeypatch, value):
    hub = answering(raw, hub_answer(b"X-Linked-Size: " + value + b"\r\n"))
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    for extra in ((), ("--json",)):
        result = run("doctor", "--shell", "bash", "--only", "--candidate", f"x={hub.url}", *extra)
        assert result.exit_code in (0, 1), result.output
        if extra:
            data = json.loads(result.stdout)
            assert data["facts"]["large_files"]["size"] is None


# ---- D3: a saved endpoint stopped early by the fallback probe is not "unusable" -------------


def test_doctor_judges_the_saved_endpoint_by_its_own_check(serve, monkeypatch, tls_ca, ca_bundle):
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_bundle))
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    slow = serve("hub", tls=server_tls(tls_ca), large_files=LARGE_FILES, delay=0.4)
    fast = serve("hub", large_files=LARGE_FILES)
    assert run("setup", "--persist", "--shell", "bash", "--endpoint", slow.url).exit_code == 0
    result = run("doctor", "--shell", "bash", "--only", "--candidate", f"x={fast.url}", "--json")
    data = json.loads(result.stdout)
    probed = {r["url"]: r for r in data["facts"]["probe"]["results"]}
    assert not probed[slow.url]["ok"] or "stopped early" in probed[slow.url]["detail"]  # the probe cut it short
    assert result.exit_code == 0, json.dumps(data["findings"], indent=1)
    stale = next(f for f in data["findings"] if f["code"] == "layers.not-in-process")
    assert stale["level"] == "warn" and "not usable" not in json.dumps(stale)


# ---- D2: hfenv's own files are read as regular files with a cap -----------------------------


def hfenv_run(*args: str, timeout: float = 20):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "hfenv", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_a_config_that_is_a_fifo_or_dev_zero_is_damage_not_a_hang(isolated_home, kind):
    import os

    path = isolated_home / ".config" / "hfenv" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    for args in (("endpoints",), ("endpoints", "add", "lab", "https://hub.lab.example")):
        result = hfenv_run(*args)
        assert result.returncode == 1 and str(path) in result.stderr and "Traceback" not in result.stderr
    result = hfenv_run("doctor", "--offline", "--shell", "bash", "--json")
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr
    assert str(path) in json.dumps(json.loads(result.stdout)["findings"])


# ---- D6: a damaged probe cache is ignored, never a traceback --------------------------------


def write_probe_cache(chosen: str, latencies: dict, tamper=None) -> None:
    """A fresh cache of the usual candidates: `latencies` {name: ms} are ok results, the others refused."""
    from hfenv import probe
    from hfenv.endpoints import CATALOG, Endpoint

    candidates = [Endpoint(n, u) for n, u in CATALOG.items()]
    results = [probe.ProbeResult(c.name, c.url, c.name in latencies, "ok" if c.name in latencies else "refused",
                                 latencies.get(c.name), [latencies[c.name]] if c.name in latencies else [], "",
                                 official=c.name == "hf")
               for c in candidates]
    report = probe.ProbeReport(chosen=Endpoint(chosen, CATALOG[chosen]), elapsed_ms=5, results=results,
                               candidates=candidates)
    path = probe.save_cache(report)
    if tamper:
        text = path.read_text()
        data = json.loads(text)
        tamper(data)
        path.write_text(json.dumps(data))


def test_a_consistent_cache_is_used(isolated_home):
    write_probe_cache("hf-mirror", {"hf-mirror": 10.0})
    done = hfenv_run("shell", "--shell", "bash")
    assert done.returncode == 0 and "https://hf-mirror.com" in done.stdout, done.stderr


def _huge_created(data):
    data["created"] = 10 ** 400


def _huge_latency(data):
    data["results"][[r["name"] for r in data["results"]].index("hf-mirror")]["latency_ms"] = 10 ** 400


def _huge_sample(data):
    data["results"][[r["name"] for r in data["results"]].index("hf-mirror")]["samples_ms"] = [10 ** 400]


@pytest.mark.slow
@pytest.mark.parametrize("tamper", [_huge_created, _huge_latency, _huge_sample])
def test_huge_numbers_in_the_cache_are_ignored(isolated_home, tamper):
    write_probe_cache("hf-mirror", {"hf-mirror": 10.0}, tamper)
    for command in (("shell", "--shell", "bash"), ("setup", "--dry-run", "--shell", "bash")):
        done = hfenv_run(*command)
        assert "Traceback" not in done.stderr and done.returncode == 3, (done.returncode, done.stderr)
        assert "probing" in done.stderr  # ignored: probed afresh (and nothing answers behind the dead proxy)


@pytest.mark.slow
def test_a_cache_whose_choice_is_not_what_its_results_choose_is_ignored(isolated_home):
    # Both usable; the probe would choose hf-mirror (10 ms): the official Hub at 2 s is far outside its margin.
    write_probe_cache("hf", {"hf": 2000.0, "hf-mirror": 10.0})
    done = hfenv_run("shell", "--shell", "bash")
    assert done.returncode == 3 and "probing" in done.stderr, (done.stdout, done.stderr)


# ---- D7: server bytes never reach doctor --json raw -------------------------------------------


@pytest.mark.slow
def test_server_control_characters_never_reach_the_download_facts(raw, monkeypatch):
    answer = (b"HTTP/1.1 404 Bad\x1b[31m\x07Thing\r\nX-Error-Message: evil\x1b]0;title\x07 here\r\n"
              b"Content-Length: 0\r\nConnection: close\r\n\r\n")
    hub = answering(raw, answer)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    result = run("doctor", "--shell", "bash", "--download", "--only", "--candidate", f"x={hub.url}", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["facts"]["download"]["ran"] and data["facts"]["download"]["chain"]
    for text in (result.stdout, json.dumps(data, ensure_ascii=False)):
        assert "\x1b" not in text and "\x07" not in text and "\\u001b" not in text and "\\u0007" not in text


# ---- D8: what --python prints is capped and type-checked ---------------------------------------


def fake_python(tmp_path, body: str):
    import os

    path = tmp_path / "fakepython"
    path.write_text("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)
    return str(path)


@pytest.mark.slow
@pytest.mark.parametrize("body, words", [
    ("head -c 3000000 /dev/zero | tr '\\0' a", "printed more than 1024 KiB"),
    (f"exec {__import__('sys').executable} -c \"print('[' * 100000)\"", "exited 0"),
    ("echo '{\"endpoint\": 5}'", "'endpoint' is not text"),
    ("echo '{\"hf_xet\": \"yes\"}'", "'hf_xet' is not true/false"),
    ("echo '{\"token_present\": [1]}'", "'token_present' is not a list"),
])
def test_an_odd_python_is_a_finding_not_a_crash(tmp_path, body, words):
    python = fake_python(tmp_path, body)
    result = CliRunner().invoke(main, ["doctor", "--offline", "--shell", "bash", "--python", python, "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    data = json.loads(result.stdout)
    assert words in data["facts"]["client"]["error"]



# ---- minor: stdout closed, a HOME that does not exist ------------------------------------------


def test_shell_with_stdout_closed_is_exit_1_with_a_line_on_stderr():
    import subprocess
    import sys

    done = subprocess.run(["sh", "-c", f'"{sys.executable}" -m hfenv shell --shell bash --endpoint hf >&-'],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 1 and "standard output is closed" in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", [("endpoints", "add", "lab", "https://hub.lab.example"),
                                     ("endpoints", "remove", "lab"),
                                     ("setup", "--persist", "--shell", "bash", "--endpoint", "hf"),
                                     ("setup", "--endpoint", "hf"),
                                     ("reset", "--shell", "bash"), ("reset", "--all")])
def test_a_home_that_does_not_exist_is_refused(tmp_path, monkeypatch, command):
    home = tmp_path / "gone" / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    done = hfenv_run(*command)
    assert done.returncode == 2 and "does not exist" in done.stderr, done.stderr
    assert not (tmp_path / "gone").exists()
