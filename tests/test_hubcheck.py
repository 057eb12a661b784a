"""hfenv's one HTTP layer (hubcheck) against hostile servers: trickles, endless bodies, odd redirects,
escape sequences, and the probe's threads at exit. Real loopback servers throughout."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hfenv import doctor, hubcheck, probe
from hfenv.endpoints import Endpoint

from conftest import hfenv_cmd
from hubserver import HUB_COMMIT, dead_url, server_tls

MAX_SEND = 64 * 1024 * 1024  # an "endless" body stops here, so a failing test still ends


HUB_HEADERS = f"X-Repo-Commit: {HUB_COMMIT}\r\nContent-Length: 10\r\n".encode()


def trickled(part: str):
    """A server that answers like a Hub, but one byte (or header) at a time in `part`."""
    status = b"HTTP/1.1 200 OK\r\n"
    headers = HUB_HEADERS + b"".join(b"X-Pad-%d: x\r\n" % i for i in range(40))

    def answer(server, conn, head):
        if part == "status":
            server.trickle(conn, status)
            server.send(conn, headers + b"\r\n")
        elif part == "headers":
            server.send(conn, status)
            for line in headers.split(b"\r\n"):
                if server.stopping.wait(0.25):
                    return
                server.send(conn, line + b"\r\n")
            server.send(conn, b"\r\n")
        else:  # the body, after prompt headers
            body = json.dumps({"name": "x" * 200}).encode()
            server.send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"X-Repo-Commit: {HUB_COMMIT}\r\nContent-Length: {len(body)}\r\n\r\n".encode())
            server.trickle(conn, body)
    return answer


def endless(route_headers: bytes = b""):
    def answer(server, conn, head):
        server.send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + route_headers
                    + f"X-Repo-Commit: {HUB_COMMIT}\r\nContent-Length: {MAX_SEND}\r\n\r\n".encode())
        chunk = b'{"name": "' + b"a" * 65536
        while server.sent < MAX_SEND and not server.stopping.is_set():
            server.send(conn, chunk)
    return answer


def hfenv_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("hfenv") and t.is_alive()]


# ---- 1. the probe's threads ------------------------------------------------------------------


def test_no_hfenv_thread_is_alive_after_run_probe(serve):
    """A silent https candidate used to keep its worker inside the TLS handshake after the choice."""
    fast = serve("hub")
    silent = serve("swallow")
    report = probe.run_probe([Endpoint("a", fast.url), Endpoint("b", f"https://127.0.0.1:{silent.port}")],
                             timeout=2)
    assert report.chosen == Endpoint("a", fast.url)
    assert report.elapsed_ms < 1500  # still decided early, not at the budget
    assert hfenv_threads() == []


def test_no_hfenv_thread_is_alive_after_an_untrusted_certificate(serve, tls_ca):
    fast = serve("hub")
    untrusted = serve("hub", tls=server_tls(tls_ca), delay=0.3)
    probe.run_probe([Endpoint("a", fast.url), Endpoint("b", untrusted.url)], timeout=2)
    assert hfenv_threads() == []


def _probe_once(args: tuple[list[str], dict]) -> tuple[int | str, float]:
    cmd, env = args
    began = time.monotonic()
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=20, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "hang", time.monotonic() - began
    return done.returncode, time.monotonic() - began


@pytest.mark.slow
def test_probe_never_crashes_at_exit_with_a_silent_https_candidate(serve, tls_ca, tmp_path):
    """Issue 8.1: about 1 run in 100-200 died with SIGSEGV/SIGABRT (a worker inside OpenSSL at exit).

    150 runs, 8 at a time, half against a host that accepts and never answers TLS, half
    against an untrusted certificate (about 20 s here). The old code failed about 1 run in
    170 on this machine (4 of 700 over 3 loops), so 150 runs see it with about 60 % chance:
    a compromise between catching a regression and a suite that stays usable; loops of
    200-300 runs were used to measure before and after.
    """
    fast = serve("hub")
    silent = serve("swallow")
    untrusted = serve("hub", tls=server_tls(tls_ca), delay=0.2)
    env = dict(os.environ, HTTP_PROXY=dead_url(), HTTPS_PROXY=dead_url(), NO_PROXY="127.0.0.1,localhost")
    jobs = []
    for i in range(150):
        other = f"https://127.0.0.1:{silent.port}" if i % 2 else untrusted.url
        jobs.append((hfenv_cmd() + ["probe", "--only", "--candidate", f"a={fast.url}", "--candidate", f"b={other}",
                                    "--timeout", "2", "--json"], env))
    began = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(_probe_once, jobs))
    bad = [code for code, _ in results if code != 0]
    assert bad == [], f"{len(bad)} bad exits of {len(results)}: {bad[:10]}"
    assert time.monotonic() - began < 180


# ---- 2. one deadline per request, as wall time --------------------------------------------


TOKEN = "hf_" + "x" * 34
CHECKS = {  # each of doctor's network checks, with a 1 s timeout: the detail it reports
    "endpoint": lambda url: doctor.check_endpoint(url, timeout=1.0)["detail"],
    "whoami": lambda url: doctor.check_whoami(url, TOKEN, timeout=1.0)["detail"],
    "reach": lambda url: doctor.reach(url + "/repos/ab/cd", timeout=1.0)["detail"],
}


@pytest.mark.slow
@pytest.mark.parametrize("check, part", [("endpoint", "status"), ("endpoint", "headers"), ("whoami", "status"),
                                         ("whoami", "headers"), ("whoami", "body"), ("reach", "status"),
                                         ("reach", "headers")])
def test_every_check_ends_at_its_deadline_against_a_trickle(raw, check, part):
    """The old per-read timeout let these run for 5 s (status line) to 11 s (headers) or more."""
    server = raw(trickled(part))
    began = time.monotonic()
    assert "no complete answer within" in CHECKS[check](server.url)
    assert time.monotonic() - began < 1.6
    assert hfenv_threads() == []


@pytest.mark.slow
def test_the_probe_ends_within_its_budget_against_a_trickle(raw):
    server = raw(trickled("headers"))
    began = time.monotonic()
    report = probe.run_probe([Endpoint("slow", server.url)], timeout=1.0, samples=1)
    assert time.monotonic() - began < 1.6 and report.chosen is None
    assert hfenv_threads() == []


@pytest.mark.slow
def test_large_file_and_xet_route_end_at_their_deadline(raw, serve):
    """The large file's HEAD is answered at once; its Xet route trickles its body."""
    route = raw(trickled("body"))
    link = f"Link: <{route.url}/api/models/x/xet-read-token/{HUB_COMMIT}>; rel=\"xet-auth\"\r\nX-Xet-Hash: ab\r\n"

    def large(server, conn, head):
        server.send(conn, ("HTTP/1.1 200 OK\r\n" + link + f"X-Repo-Commit: {HUB_COMMIT}\r\n"
                           "X-Linked-Size: 10\r\nContent-Length: 10\r\n\r\n").encode())
    hub = raw(large)
    began = time.monotonic()
    facts = doctor.follow_large_file(hub.url, timeout=1.0, use_xet=True)
    assert facts["kind"] == "served" and "within" in facts["xet_error"]
    assert time.monotonic() - began < 1.6


@pytest.mark.slow
def test_doctor_as_a_whole_ends_within_its_stated_bound_against_a_trickle(raw, tmp_path):
    server = raw(trickled("headers"))
    env = dict(os.environ, HF_ENDPOINT=server.url, HTTP_PROXY=dead_url(), NO_PROXY="127.0.0.1")
    began = time.monotonic()
    done = subprocess.run(hfenv_cmd() + ["doctor", "--json", "--timeout", "1", "--shell", "bash", "--only",
                                         "--candidate", f"x={dead_url()}"],
                          capture_output=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    data = json.loads(done.stdout)
    assert data["facts"]["endpoint"]["status"] == "timeout"
    # README: network checks take at most 4 x --timeout, plus the interpreter's answer (a second or two here).
    assert time.monotonic() - began < 4 * 1 + 10


# ---- 3. capped bodies --------------------------------------------------------------------------


def test_whoami_reads_a_capped_part_of_an_endless_body(raw):
    server = raw(endless())
    began = time.monotonic()
    result = doctor.check_whoami(server.url, TOKEN, timeout=5.0)
    assert result["status"] == 200 and result["name"] is None  # 4 KiB of it is not JSON
    assert time.monotonic() - began < 5
    server.closed_by_client.wait(5)
    assert server.sent < MAX_SEND // 4  # what the kernel buffers took, not the whole stream


def test_the_xet_route_reads_a_capped_part_of_an_endless_body(raw):
    # All three headers: huggingface_hub (parse_xet_connection_info_from_headers) needs each of them.
    route = raw(endless(b"X-Xet-Cas-Url: https://cas.example\r\nX-Xet-Access-Token: t\r\n"
                        b"X-Xet-Token-Expiration: 4102444800\r\n"))
    link = f"Link: <{route.url}/api/models/x/xet-read-token/{HUB_COMMIT}>; rel=\"xet-auth\"\r\nX-Xet-Hash: ab\r\n"

    def large(server, conn, head):
        server.send(conn, ("HTTP/1.1 200 OK\r\n" + link + f"X-Repo-Commit: {HUB_COMMIT}\r\n"
                           "Content-Length: 10\r\n\r\n").encode())
    facts = doctor.follow_large_file(raw(large).url, timeout=5.0, use_xet=True)
    assert facts["xet_host"] == "cas.example"
    route.closed_by_client.wait(5)
    assert route.sent < MAX_SEND // 4


# ---- 5. the same origin, decided by the parser that connects -----------------------------------


ODD_SPELLINGS = [
    "http://localhost:{p2}\\@127.0.0.1:{p1}/x",
    "http://localhost:{p2}\\\\@127.0.0.1:{p1}/x",
    "http://user@localhost:{p2}/x",
    "http://127.0.0.1:{p1}@localhost:{p2}/x",
    "http://localhost:{p2}\t/x",
    "http://localhost%3A{p2}/x",
    "http://127.0.0.1%3A{p1}@localhost:{p2}/x",
    "HTTP://localhost:{p2}/x",
    "//localhost:{p2}/x",
    "http:/localhost:{p2}/x",
    "http:localhost:{p2}/x",
    "http://localhost:0{p2}/x",
    "http://localhost:{p2}:{p1}/x",
    "http://[::1]:{p2}/x",
    " http://localhost:{p2}/x",
]


@pytest.mark.parametrize("spelling", ODD_SPELLINGS)
def test_no_request_ever_reaches_another_origin(serve, raw, spelling):
    other = serve("hub")
    location = spelling.format(p1="{p1}", p2=other.port)

    def redirect(server, conn, head):
        server.send(conn, (f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {location.format(p1=server.port)}\r\n"
                           "Content-Length: 0\r\n\r\n").encode("latin-1"))
    hub = raw(redirect)
    result = doctor.check_endpoint(hub.url, timeout=2.0)
    report = probe.run_probe([Endpoint("odd", hub.url)], timeout=2.0, samples=1)
    large = doctor.follow_large_file(hub.url, timeout=2.0, use_xet=False)
    assert not result["ok"] and result["status"] == "redirect_offsite"
    assert report.chosen is None and report.results[0].status == "redirect_offsite"
    assert large["kind"] in ("http_error", "redirect")
    assert other.requests == [] and other.connections == 0


def test_same_origin_spellings_are_followed(serve, raw):
    """':80' or an uppercase scheme are the same origin; a relative 307 (the Hub's) too."""
    hub = serve("hub")
    for spelling in ("HTTP://127.0.0.1:{p}", "http://127.0.0.1:{p}", "//127.0.0.1:{p}"):
        def redirect(server, conn, head, spelling=spelling):
            path = head.split(b" ")[1].decode()
            server.send(conn, (f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {spelling.format(p=hub.port)}{path}\r\n"
                               "Content-Length: 0\r\n\r\n").encode())
        front = raw(redirect)
        assert hubcheck.next_hop(front.url + "/a", front.url + "/a", "/b").kind == "same"
        assert hubcheck.next_hop("https://h.example/a", "https://h.example/a", "https://H.example:443/b").kind == "same"
        assert hubcheck.next_hop("http://h.example/a", "http://h.example/a", "http://h.example:80/b").kind == "same"
        assert doctor.check_endpoint(front.url, 2.0)["status"] == "redirect_offsite"  # another port: offsite
        assert doctor.check_endpoint(hub.url, 2.0)["ok"]


# ---- 10. text from a server reaches no terminal raw ------------------------------------------------


@pytest.mark.slow
def test_control_characters_from_a_server_are_stripped(raw, tmp_path):
    evil = "\x1b]0;owned\x07\x1b[2J\rX"

    def answer(server, conn, head):
        server.send(conn, (f"HTTP/1.1 404 Not{evil}Found\r\nContent-Type: text/{evil}html\r\n"
                           f"X-Xet-Cas-Url: https://cas{evil}\r\nContent-Length: 0\r\n\r\n").encode("latin-1"))

    def portal(server, conn, head):
        server.send(conn, (f"HTTP/1.1 200 OK{evil}\r\nContent-Type: text/{evil}html\r\n"
                           "Content-Length: 0\r\n\r\n").encode("latin-1"))

    def offsite(server, conn, head):
        server.send(conn, (f"HTTP/1.1 302 Found\r\nLocation: https://cdn.example/{evil}\r\n"
                           "Content-Length: 0\r\n\r\n").encode("latin-1"))
    outputs = []
    for answerer in (answer, portal, offsite):
        server = raw(answerer)
        env = dict(os.environ, HF_ENDPOINT=server.url, NO_PROXY="127.0.0.1")
        for argv in (["probe", "--only", "--candidate", f"x={server.url}", "--timeout", "2"],
                     ["probe", "--only", "--candidate", f"x={server.url}", "--timeout", "2", "--json"],
                     ["doctor", "--shell", "bash", "--timeout", "2", "--only", "--candidate", f"y={dead_url()}"]):
            done = subprocess.run(hfenv_cmd() + argv, capture_output=True, timeout=60, env=env,
                                  stdin=subprocess.DEVNULL)
            outputs.append(done.stdout + done.stderr)
    joined = b"".join(outputs)
    for byte in (b"\x1b", b"\x07", b"\r"):
        assert byte not in joined
    assert b"not_a_hub" in joined  # the portal was judged, not skipped


def test_clean_strips_every_control_and_format_character():
    assert hubcheck.clean("a\x1b[31mb\x07c\rd\u202ee\x9bf") == "a?[31mb?c?d?e?f"


# ---- 6. proxy credentials ---------------------------------------------------------------------------

PASSWORD = "p/a#s?w@rd:1"


def _pieces(secret: str) -> list[bytes]:
    return [secret[i:i + 4].encode() for i in range(len(secret) - 3)]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["http_proxy", "HTTPS_PROXY", "ALL_PROXY", "https_proxy"])
def test_a_proxy_password_is_never_shown(name, tmp_path, isolated_home, serve):
    hub = serve("hub")
    env = {k: v for k, v in os.environ.items()}
    env[name] = f"http://alice:{PASSWORD}@127.0.0.1:3128"
    if name.lower() != "http_proxy":
        env["HTTP_PROXY"] = f"http://bob:{PASSWORD}@127.0.0.1:9"  # a second spelling, also never shown
    env["HF_ENDPOINT"] = "https://hfenv-test.invalid"
    runs = [
        (["probe", "--only", "--candidate", "x=https://hfenv-test.invalid", "--timeout", "1"], (2, 3)),
        (["probe", "--only", "--candidate", f"x={hub.url}", "--timeout", "1", "--json"], (2,)),
        (["doctor", "--shell", "bash", "--timeout", "1"], (1,)),
        (["doctor", "--shell", "bash", "--offline"], (0, 1)),
        (["doctor", "--shell", "bash", "--offline", "--json"], (0, 1)),
        (["doctor", "--shell", "bash", "--json", "--timeout", "1"], (1,)),
        (["shell", "--shell", "bash"], (2, 3)),
        (["setup", "--shell", "bash", "--dry-run"], (2, 3)),
        (["shell", "--shell", "bash", "--endpoint", "hf"], (0,)),  # never touches proxies
    ]
    outputs = []
    for argv, statuses in runs:
        done = subprocess.run(hfenv_cmd() + argv, capture_output=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
        outputs.append(done.stdout + done.stderr)
        assert b"Traceback" not in done.stderr, (argv, done.stderr[-400:])
        assert done.returncode in statuses, (argv, done.returncode, done.stderr[-400:])
        if argv[0] in ("probe", "shell", "setup") and done.returncode == 2:
            assert b"cannot be parsed" in done.stderr.strip().splitlines()[-1]
    for path in Path(isolated_home).rglob("*"):
        if path.is_file():
            outputs.append(path.read_bytes())
    joined = b"\n".join(outputs)
    assert b"cannot be parsed" in joined
    for piece in _pieces(PASSWORD):
        assert piece not in joined, piece


def test_shown_proxies_never_carry_credentials():
    env = {"https_proxy": "http://u:p@ss@proxy.lab:3128", "HTTP_PROXY": "user:secretpw@proxy.lab:8080",
           "ALL_PROXY": "socks5://u:pw1234@127.0.0.1:1080", "ftp_proxy": "http://u:x/y@h:1",
           "NO_PROXY": "localhost", "WS_PROXY": "http://h:99999"}
    shown = hubcheck.shown_proxies(env)
    assert shown == {"ALL_PROXY": "socks5://127.0.0.1:1080", "HTTP_PROXY": "http://proxy.lab:8080",
                     "NO_PROXY": "localhost", "WS_PROXY": "(cannot be parsed; value not shown)",
                     "ftp_proxy": "(cannot be parsed; value not shown)", "https_proxy": "http://proxy.lab:3128"}
    assert set(hubcheck.proxy_problems(env)) == {"ftp_proxy", "WS_PROXY"}
    for why in hubcheck.proxy_problems(env).values():
        assert "x/y" not in why and "99999" not in why
