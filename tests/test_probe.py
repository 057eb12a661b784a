"""The probe against real loopback servers, and its pure parts (classification, choice, early decision, cache)."""

from __future__ import annotations

import json
import math
import os
import re
import time
from pathlib import Path

import pytest

from hfenv import hubcheck, probe
from hfenv.endpoints import Endpoint
from hfenv.probe import OFFICIAL_MARGIN, ProbeReport, ProbeResult

from hubserver import HUB_COMMIT, dead_url, server_tls


def result(name, latency=None, *, ok=True, official=False, status=None):
    samples = [] if latency is None else [latency]
    return ProbeResult(name, f"https://{name}.example", ok, status or ("ok" if ok else "timeout"),
                       latency if ok else None, samples, "", official=official)


def only(report: ProbeReport, name: str) -> ProbeResult:
    return next(r for r in report.results if r.name == name)


# ---- choice (pure) -------------------------------------------------------------


def test_margin_is_the_larger_of_ratio_and_slack():
    assert OFFICIAL_MARGIN.limit(30) == 80  # +50 ms wins for fast mirrors
    assert OFFICIAL_MARGIN.limit(200) == 300  # 1.5x wins for slow ones
    assert OFFICIAL_MARGIN.beaten_below(300) == 200
    assert OFFICIAL_MARGIN.beaten_below(80) == 30
    assert OFFICIAL_MARGIN.beaten_below(40) < 0  # an official answer in 40 ms is always kept
    assert str(OFFICIAL_MARGIN) == "1.5x or +50 ms"


def test_choose_the_fastest_usable():
    results = [result("a", 90), result("b", 40), result("c", ok=False), result("d", 60)]
    assert probe.choose_endpoint(results).name == "b"


def test_choose_keeps_the_official_hub_within_the_margin():
    assert probe.choose_endpoint([result("m", 100), result("hf", 150, official=True)]).name == "hf"
    assert probe.choose_endpoint([result("m", 30), result("hf", 80, official=True)]).name == "hf"
    assert probe.choose_endpoint([result("m", 30), result("hf", 81, official=True)]).name == "m"
    assert probe.choose_endpoint([result("m", 100), result("hf", 151, official=True)]).name == "m"


def test_choose_ignores_an_unusable_official_hub_and_returns_none_when_nothing_is_usable():
    assert probe.choose_endpoint([result("m", 500), result("hf", ok=False, official=True)]).name == "m"
    assert probe.choose_endpoint([result("a", ok=False), result("b", ok=False, status="tls")]) is None
    assert probe.choose_endpoint([]) is None


def test_choose_breaks_ties_by_candidate_order():
    assert probe.choose_endpoint([result("first", 50), result("second", 50)]).name == "first"


def test_rank_puts_the_choice_first_then_usable_by_latency_then_the_rest_in_order():
    results = [result("x", ok=False), result("m1", 30), result("hf", 70, official=True), result("m2", 20),
               result("y", ok=False)]
    chosen = probe.choose_endpoint(results)
    assert [r.name for r in probe.rank(results, chosen)] == ["hf", "m2", "m1", "x", "y"]


# ---- early decision (pure) ---------------------------------------------------------


def test_latency_to_win():
    assert probe.latency_to_win(False, []) == math.inf
    assert probe.latency_to_win(False, [result("a", ok=False)]) == math.inf
    assert probe.latency_to_win(False, [result("m", 40), result("n", 60)]) == 40
    assert probe.latency_to_win(True, [result("m", 30)]) == 80  # the official Hub gets the margin
    assert probe.latency_to_win(True, [result("m", 200)]) == 300
    # a mirror must beat an official leader by the margin, not just beat it
    assert probe.latency_to_win(False, [result("hf", 300, official=True)]) == 200
    assert probe.latency_to_win(False, [result("hf", 300, official=True), result("m", 150)]) == 150


def test_median_floor_assumes_samples_not_taken_could_take_no_time():
    assert probe.median_floor([], 500.0, 3) == 0.0  # one slow sample proves nothing out of three
    assert probe.median_floor([], 500.0, 1) == 500.0
    assert probe.median_floor([90.0], 70.0, 3) == 70.0
    assert probe.median_floor([90.0, 95.0], 10.0, 3) == 90.0


def test_why_stop_silent_candidate_after_a_winners_whole_measurement():
    assert probe.why_stop([], 239.0, 3, 80.0) is None
    assert probe.why_stop([], 240.0, 3, 80.0) == "silent"
    assert probe.why_stop([], 10_000.0, 3, math.inf) is None  # nobody usable yet: keep waiting
    assert probe.why_stop([], 0.0, 3, -10.0) == "silent"  # cannot win at any speed


def test_why_stop_when_answered_samples_prove_it_cannot_win():
    assert probe.why_stop([90.0], 41.0, 3, 40.0) == "beaten"  # median >= min(90, 41) > 40
    assert probe.why_stop([90.0], 39.0, 3, 40.0) is None  # the sample in flight might still be fast...
    assert probe.why_stop([30.0, 90.0], 100.0, 3, 40.0) == "beaten"  # median >= 90
    assert probe.why_stop([30.0, 90.0], 10.0, 3, 40.0) is None  # the third could still land at 30
    # provably out (median >= 70), but its partial median (55) would win if reported: keep measuring
    assert probe.why_stop([10.0, 100.0], 70.0, 3, 60.0) is None


# ---- one answer (pure) ------------------------------------------------------------


def test_classify_answer():
    start = "https://m.example/openai-community/gpt2/resolve/main/config.json"
    ok = probe.classify_answer(start, start, 200, {"x-repo-commit": HUB_COMMIT})
    assert (ok.status, ok.commit) == ("ok", HUB_COMMIT)
    hop = probe.classify_answer(start, start, 307, {"Location": "/api/resolve-cache/models/x/y"})
    assert hop.follow == "https://m.example/api/resolve-cache/models/x/y"
    same = probe.classify_answer(start, start, 302, {"Location": "https://M.example:443/elsewhere"})
    assert same.follow == "https://M.example:443/elsewhere"
    other_port = probe.classify_answer(start, start, 302, {"Location": "https://m.example:8443/x"})
    assert other_port.status == "redirect_offsite"
    downgrade = probe.classify_answer(start, start, 301, {"Location": "http://m.example/x"})
    assert downgrade.status == "redirect_offsite"
    assert probe.classify_answer(start, start, 307, {}).status == "http_error"
    portal = probe.classify_answer(start, start, 200, {"Content-Type": "text/html; charset=utf-8"})
    assert portal.status == "not_a_hub" and "text/html" in portal.detail
    assert "not a Hub" in probe.classify_answer(start, start, 404, {}).detail
    assert probe.classify_answer(start, start, 503, {}).status == "http_error"
    assert probe.classify_answer(start, start, 407, {}).status == "proxy"
    assert probe.classify_answer(start, start, 502, {}, proxy="http://p:3128").status == "proxy"
    assert probe.classify_answer(start, start, 502, {}).status == "http_error"


# ---- every status against a real server ----------------------------------------------


def test_ok_follows_the_hubs_relative_307_with_a_new_connection_per_sample(serve):
    hub = serve("hub")
    report = probe.run_probe([Endpoint("lab", hub.url)], samples=3)
    lab = only(report, "lab")
    assert (lab.status, lab.ok, len(lab.samples_ms)) == ("ok", True, 3)
    assert lab.latency_ms == sorted(lab.samples_ms)[1] and HUB_COMMIT[:12] in lab.detail
    assert report.chosen == Endpoint("lab", hub.url)
    # One fresh connection per sample, both hops on it; then one for the choice's large-file route.
    assert hub.connections == 3 + 1
    seen = hub.requests
    assert [s.method for s in seen] == ["HEAD"] * 7
    assert seen[-1].path == f"/{probe.HUB_REPO}/resolve/main/{hubcheck.LARGE_FILE}"
    assert seen[0].path == f"/{probe.HUB_REPO}/resolve/main/{probe.HUB_FILE}"
    assert seen[1].path.startswith(f"/api/resolve-cache/models/{probe.HUB_REPO}/{HUB_COMMIT}/")
    assert seen[0].headers["User-Agent"].startswith("hfenv/")


@pytest.mark.parametrize(("mode", "options", "status", "words"), [
    ("portal", {}, "not_a_hub", "captive portal"),
    ("status", {"status": 503}, "http_error", "503"),
    ("status", {"status": 404}, "http_error", "404"),
    ("reset", {}, "reset", "reset"),
    ("garbage", {}, "error", "not an HTTP answer"),
    ("loop", {}, "error", "redirects"),
])
def test_unusable_answers(serve, mode, options, status, words):
    server = serve(mode, **options)
    report = probe.run_probe([Endpoint("x", server.url)], samples=2)
    x = only(report, "x")
    assert (x.status, x.ok, x.latency_ms) == (status, False, None)
    assert words in x.detail
    assert report.chosen is None


def test_a_mirror_that_forwards_to_another_origin_is_redirect_offsite(serve):
    forwarder = serve("redirect", redirect_to="https://huggingface.co")
    x = only(probe.run_probe([Endpoint("fwd", forwarder.url)]), "fwd")
    assert x.status == "redirect_offsite"
    assert f"https://huggingface.co/{probe.HUB_REPO}/resolve/main/{probe.HUB_FILE}" in x.detail


def test_refused():
    x = only(probe.run_probe([Endpoint("dead", dead_url())]), "dead")
    assert x.status == "refused" and "refused" in x.detail


def test_dns_failure_of_a_reserved_name(monkeypatch):
    # RFC 6761: names under .invalid never resolve. The system resolver might still ask
    # a DNS server off this machine, so the lookup answers here, the way glibc does.
    import socket

    real = socket.getaddrinfo

    def no_such_name(host, *args, **kwargs):
        if str(host).endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    x = only(probe.run_probe([Endpoint("nx", "https://hfenv-probe-test.invalid")]), "nx")
    assert x.status == "dns" and "hfenv-probe-test.invalid" in x.detail


def test_timeout_when_the_host_accepts_and_never_answers(serve):
    hole = serve("swallow")
    x = only(probe.run_probe([Endpoint("hole", hole.url)], timeout=0.5), "hole")
    assert (x.status, x.ok) == ("timeout", False)
    assert "0.5 s budget" in x.detail


def test_tls_untrusted_certificate_then_trusted_through_the_clients_variable(serve, tls_ca, ca_bundle, monkeypatch):
    """The installed huggingface_hub is 2.x (httpx): SSL_CERT_FILE is its variable, and the advice names it."""
    hub = serve("hub", tls=server_tls(tls_ca))
    x = only(probe.run_probe([Endpoint("secure", hub.url)]), "secure")
    assert x.status == "tls" and "point SSL_CERT_FILE at" in x.detail
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_bundle))
    x = only(probe.run_probe([Endpoint("secure", hub.url)]), "secure")
    assert (x.status, x.ok) == ("ok", True)


def test_requests_ca_bundle_alone_is_not_what_huggingface_hub_2_trusts(serve, tls_ca, ca_bundle, monkeypatch):
    """httpx ignores REQUESTS_CA_BUNDLE: a mirror trusted only through it fails for the client, so for the probe too."""
    hub = serve("hub", tls=server_tls(tls_ca))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_bundle))
    assert only(probe.run_probe([Endpoint("secure", hub.url)]), "secure").status == "tls"
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_bundle.parent / "missing.pem"))  # not the client's variable
    assert only(probe.run_probe([Endpoint("secure", hub.url)]), "secure").status == "ok"


def test_client_trust_follows_the_huggingface_hub_version():
    env = {"REQUESTS_CA_BUNDLE": "/r.pem", "CURL_CA_BUNDLE": "/c.pem", "SSL_CERT_FILE": "/s.pem", "SSL_CERT_DIR": "/d"}
    old = hubcheck.client_trust("0.36.0", env)
    assert (old.client, old.source, old.verify, old.advice) == ("requests", "REQUESTS_CA_BUNDLE", "/r.pem",
                                                                "REQUESTS_CA_BUNDLE")
    assert hubcheck.client_trust("0.36.0", {"CURL_CA_BUNDLE": "/c.pem", "SSL_CERT_FILE": "/s.pem"}).verify == "/c.pem"
    for version in ("1.2.0", "2.4.0", None):
        new = hubcheck.client_trust(version, env)
        assert (new.client, new.source, new.verify, new.advice) == ("httpx", "SSL_CERT_FILE", "/s.pem", "SSL_CERT_FILE")
    assert hubcheck.client_trust("2.4.0", {"SSL_CERT_DIR": "/d", "REQUESTS_CA_BUNDLE": "/r.pem"}).verify == "/d"
    assert hubcheck.client_trust("2.4.0", {"REQUESTS_CA_BUNDLE": "/r.pem"}).source is None


def test_https_speaking_to_a_plain_http_port_is_tls(serve):
    hub = serve("hub")
    x = only(probe.run_probe([Endpoint("x", hub.url.replace("http://", "https://"))]), "x")
    assert x.status == "tls"


# ---- proxies ------------------------------------------------------------------------


def test_through_a_working_proxy_the_result_names_it(serve, forward_proxy, monkeypatch):
    hub = serve("hub")
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
    x = only(probe.run_probe([Endpoint("lab", hub.url)], samples=2), "lab")
    assert (x.status, x.proxy) == ("ok", forward_proxy.url)
    assert f"via proxy {forward_proxy.url}" in x.detail
    assert [s.method for s in forward_proxy.requests] == ["HEAD"] * 4 + ["HEAD"]  # + the large-file route


def test_https_through_a_connect_proxy(serve, forward_proxy, tls_ca, ca_bundle, monkeypatch):
    hub = serve("hub", tls=server_tls(tls_ca))
    monkeypatch.setenv("HTTPS_PROXY", forward_proxy.url)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_bundle))
    x = only(probe.run_probe([Endpoint("lab", hub.url)], samples=1), "lab")
    assert (x.status, x.proxy) == ("ok", forward_proxy.url)
    assert [s.method for s in forward_proxy.requests] == ["CONNECT"] * 2  # the check, the large-file route


def test_a_dead_proxy_is_status_proxy(serve, monkeypatch):
    hub = serve("hub")
    proxy = dead_url()
    monkeypatch.setenv("HTTP_PROXY", proxy)
    x = only(probe.run_probe([Endpoint("lab", hub.url)]), "lab")
    assert (x.status, x.proxy) == ("proxy", proxy)
    assert hub.connections == 0


def test_a_proxy_that_cannot_reach_the_host_is_status_proxy(forward_proxy, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", forward_proxy.url)
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
    for scheme in ("https", "http"):  # CONNECT refused / an error page for a plain request
        x = only(probe.run_probe([Endpoint("x", dead_url(scheme))]), "x")
        assert x.status == "proxy" and "502" in x.detail


def test_no_proxy_bypasses_the_proxy(serve, monkeypatch):
    hub = serve("hub")
    monkeypatch.setenv("HTTP_PROXY", dead_url())
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    x = only(probe.run_probe([Endpoint("lab", hub.url)]), "lab")
    assert (x.status, x.proxy) == ("ok", None)
    assert "proxy" not in x.detail


# ---- the choice, the budget and the early decision -------------------------------------


def test_all_unusable_chooses_nothing(serve):
    report = probe.run_probe([Endpoint("portal", serve("portal").url), Endpoint("dead", dead_url())])
    assert report.chosen is None
    assert {r.status for r in report.results} == {"not_a_hub", "refused"}
    assert report.to_json()["chosen"] is None


@pytest.mark.parametrize("wait_all", [True, False])
def test_close_latencies_are_ranked_right(serve, wait_all):
    fast = serve("hub", delay=0.05, jitter=0.01, seed=1)
    slow = serve("hub", delay=0.10, jitter=0.01, seed=2)
    report = probe.run_probe([Endpoint("slow", slow.url), Endpoint("fast", fast.url)], wait_all=wait_all)
    assert [r.name for r in report.results] == ["fast", "slow"]
    assert report.chosen.name == "fast"
    assert only(report, "fast").latency_ms < only(report, "slow").latency_ms


def test_the_official_hub_is_kept_within_the_margin(serve):
    official = serve("hub", delay=0.03)
    mirror = serve("hub", delay=0.01)
    report = probe.run_probe([Endpoint("hf", official.url), Endpoint("mirror", mirror.url)],
                             official_url=official.url)
    assert report.chosen.name == "hf"
    assert only(report, "hf").official and not only(report, "mirror").official
    assert "official Hub is kept" in probe.format_table(report)


def test_a_swallowing_server_cannot_push_the_probe_past_its_budget(serve):
    hole = serve("swallow")
    began = time.monotonic()
    report = probe.run_probe([Endpoint("hole", hole.url)], timeout=1.0)
    assert time.monotonic() - began < 2.0  # a correctness bound, generous on purpose
    assert only(report, "hole").status == "timeout" and report.chosen is None


def test_early_decision_official_hub_swallowing_and_a_fast_mirror(serve):
    hole = serve("swallow")
    mirror = serve("hub", delay=0.03)
    began = time.monotonic()
    report = probe.run_probe([Endpoint("hf", hole.url), Endpoint("hf-mirror", mirror.url)],
                             official_url=hole.url, timeout=3.0)
    wall = time.monotonic() - began
    assert report.chosen.name == "hf-mirror"
    hf = only(report, "hf")
    assert hf.status == "timeout"
    assert re.fullmatch(r"no answer in \d+ ms; hf-mirror had settled the choice in \d+ ms", hf.detail)
    waited = int(re.search(r"no answer in (\d+) ms", hf.detail).group(1))
    mirror_ms = only(report, "hf-mirror").latency_ms
    assert waited >= 3 * OFFICIAL_MARGIN.limit(mirror_ms) - 1  # the official Hub had its whole chance
    assert wall < 1.5  # decided, not timed out: far from the 3 s budget


def test_early_decision_a_silent_mirror_cannot_beat_a_fast_official_hub(serve):
    official = serve("hub", delay=0.08)  # a mirror would need under 30 ms to displace it
    hole = serve("swallow")
    began = time.monotonic()
    report = probe.run_probe([Endpoint("hf", official.url), Endpoint("hole", hole.url)],
                             official_url=official.url, timeout=3.0)
    assert time.monotonic() - began < 1.5
    assert report.chosen.name == "hf"
    assert re.fullmatch(r"no answer in \d+ ms; hf had settled the choice in \d+ ms", only(report, "hole").detail)


def test_early_decision_an_official_hub_that_answers_once_then_hangs(serve):
    official = serve("hub", delay=0.03, swallow_after=1)
    mirror = serve("hub", delay=0.01)
    began = time.monotonic()
    report = probe.run_probe([Endpoint("hf", official.url), Endpoint("mirror", mirror.url)],
                             official_url=official.url, timeout=3.0)
    assert time.monotonic() - began < 1.5
    hf = only(report, "hf")
    assert report.chosen.name == "mirror" and hf.status == "timeout"
    assert hf.detail.startswith("sample 2 of 3: no answer in ") and len(hf.samples_ms) == 1


def test_early_decision_a_mirror_is_not_needed_when_the_official_hub_is_very_fast(serve):
    official = serve("hub")
    hole = serve("swallow")
    report = probe.run_probe([Endpoint("hf", official.url), Endpoint("hole", hole.url)], official_url=official.url)
    assert report.chosen.name == "hf"
    assert "not needed: hf answered in" in only(report, "hole").detail


def test_early_decision_stops_a_slower_candidate_once_its_samples_prove_it_cannot_win(serve):
    fast = serve("hub", delay=0.04)
    # Twice as slow: its first answer proves it cannot win, and comes well before fast's whole
    # measurement (3 x 40 ms), which would make a still-silent sample a timeout on a loaded machine.
    slow = serve("hub", delay=0.08)
    report = probe.run_probe([Endpoint("fast", fast.url), Endpoint("slow", slow.url)])
    s = only(report, "slow")
    assert report.chosen.name == "fast"
    assert s.ok and s.status == "ok" and len(s.samples_ms) < 3
    assert "stopped early: cannot beat fast" in s.detail


def test_wait_all_waits_for_every_candidate_within_the_budget(serve):
    hole = serve("swallow")
    mirror = serve("hub", delay=0.02)
    slow = serve("hub", delay=0.15)
    report = probe.run_probe([Endpoint("hf", hole.url), Endpoint("mirror", mirror.url), Endpoint("slow", slow.url)],
                             official_url=hole.url, timeout=1.0, wait_all=True)
    assert report.elapsed_ms >= 950
    assert only(report, "hf").detail == "no answer within the 1 s budget"
    assert len(only(report, "slow").samples_ms) == 3
    assert report.chosen.name == "mirror"


def test_budget_keeps_the_samples_a_slow_candidate_did_answer(serve):
    slow = serve("hub", delay=0.4)
    report = probe.run_probe([Endpoint("slow", slow.url)], timeout=1.0)
    s = only(report, "slow")
    assert s.ok and 1 <= len(s.samples_ms) < 3 and "within the 1 s budget" in s.detail
    assert report.chosen.name == "slow"


def test_progress_reports_each_candidate(serve):
    lines: list[str] = []
    probe.run_probe([Endpoint("lab", serve("hub").url), Endpoint("dead", dead_url())], progress=lines.append)
    assert lines[0].startswith("hfenv: probing 2 endpoint(s)")
    assert any("lab: ok" in line for line in lines) and any("dead: refused" in line for line in lines)
    assert lines[-1].startswith("hfenv: chose lab")


def test_json_contract_and_table(serve):
    report = probe.run_probe([Endpoint("lab", serve("hub").url), Endpoint("dead", dead_url())], samples=2)
    data = report.to_json()
    assert set(data) == {"chosen", "elapsed_ms", "results"}
    assert data["chosen"] == {"name": "lab", "url": report.chosen.url}
    assert isinstance(data["elapsed_ms"], int)
    for row in data["results"]:
        assert {"name", "url", "ok", "status", "latency_ms", "samples_ms", "detail"} <= set(row)
        assert row["status"] in probe.STATUSES
    json.dumps(data)
    table = probe.format_table(report).splitlines()
    assert table[1].startswith("*  lab") and "refused" in table[2]
    assert table[-1].startswith("chosen: lab")


def test_no_candidates_and_bad_arguments():
    assert probe.run_probe([]).chosen is None
    with pytest.raises(ValueError):
        probe.run_probe([Endpoint("x", "http://127.0.0.1:1")], samples=0)


# ---- cache --------------------------------------------------------------------------------


def sample_report(created=None, chosen=True) -> ProbeReport:
    """A report consistent with itself: results are those of its candidates, chosen is usable."""
    results = [ProbeResult("hf-mirror", "https://hf-mirror.com", True, "ok", 31.0, [31.0], ""),
               ProbeResult("hf", "https://huggingface.co", False, "timeout", None, [], "", official=True)]
    return ProbeReport(chosen=Endpoint("hf-mirror", "https://hf-mirror.com") if chosen else None,
                       elapsed_ms=250, results=results, created=time.time() if created is None else created,
                       candidates=[Endpoint("hf", "https://huggingface.co"), Endpoint("hf-mirror", "https://hf-mirror.com")])


def test_cache_path_follows_xdg_cache_home(isolated_home):
    assert probe.cache_path() == isolated_home / ".cache" / "hfenv" / "probe.json"


def test_cache_round_trip():
    report = sample_report()
    path = probe.save_cache(report)
    assert path == probe.cache_path() and path.exists()
    loaded = probe.load_cache()
    assert loaded.to_json() == report.to_json()
    assert loaded.created == report.created and loaded.candidates == report.candidates
    assert probe.load_cache(candidates=list(reversed(report.candidates))) is not None


def test_cache_staleness_and_clock_skew(tmp_path):
    path = tmp_path / "probe.json"
    probe.save_cache(sample_report(created=time.time() - probe.CACHE_MAX_AGE - 5), path)
    assert probe.load_cache(path=path) is None
    assert probe.load_cache(max_age=probe.CACHE_MAX_AGE + 60, path=path) is not None
    probe.save_cache(sample_report(created=time.time() + 3600), path)
    assert probe.load_cache(path=path) is None


def test_cache_without_a_choice_is_not_reused(tmp_path):
    path = tmp_path / "probe.json"
    probe.save_cache(sample_report(chosen=False), path)
    assert probe.load_cache(path=path) is None


def test_cache_is_ignored_when_proxy_settings_or_candidates_changed(tmp_path, monkeypatch):
    path = tmp_path / "probe.json"
    probe.save_cache(sample_report(), path)
    assert probe.load_cache(path=path, candidates=[Endpoint("lab", "https://lab.example")]) is None
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    assert probe.load_cache(path=path) is None
    assert "127.0.0.1:3128" not in path.read_text()


@pytest.mark.parametrize("damage", [
    b"", b"{", b"null", b"[]", b"\xff\xfe not json", b'{"version": 1}',
    lambda d: d.update(created="yesterday"),
    lambda d: d.update(created=float("nan")),
    lambda d: d.update(elapsed_ms=True),
    lambda d: d.update(results="abc"),
    lambda d: d.update(results=[{"name": "x"}]),
    lambda d: d["results"][0].update(status="great"),
    lambda d: d["results"][0].update(samples_ms=["fast"]),
    lambda d: d["results"][0].update(ok="yes"),
    lambda d: d.update(chosen={"name": "evil", "url": "https://x.example/$(reboot)"}),
    lambda d: d.update(chosen="hf"),
    lambda d: d.update(candidates=None),
    lambda d: d.update(version=99),
    # Consistent in form, not with itself: chosen must be one of its own usable results.
    lambda d: d.update(chosen={"name": "hf", "url": "https://huggingface.co"}),  # a timeout
    lambda d: d.update(chosen={"name": "hf-mirror", "url": "https://evil.example"}),
    lambda d: d.update(chosen={"name": "lab", "url": "https://hf-mirror.com"}),
    lambda d: d["results"][0].update(status="not_a_hub"),
    lambda d: d["results"][0].update(latency_ms=None),
    lambda d: d["results"][0].update(url="https://evil.example", ok=True),
    lambda d: d["results"][0].update(url="https://hf-mirror.com/'x'"),
    lambda d: d.update(chosen={"name": "e", "url": "https://e.example/`id`"},
                       candidates=d["candidates"] + [{"name": "e", "url": "https://e.example/`id`"}]),
    lambda d: d["candidates"].append({"name": "lab", "url": "https://lab.example"}),  # no result for it
    lambda d: d["candidates"].append(d["candidates"][0]),
    lambda d: d["results"].append(dict(d["results"][0])),
    lambda d: d["candidates"][1].update(url="https://HF-mirror.com/"),
    lambda d: d["candidates"][1].update(name="x\x1b[2J"),
    lambda d: d.update(candidates=[["hf"]]),
    lambda d: d.update(results={"a": 1}),
])
def test_a_damaged_cache_is_ignored(tmp_path, damage):
    path = tmp_path / "probe.json"
    probe.save_cache(sample_report(), path)
    if callable(damage):
        data = json.loads(path.read_text())
        damage(data)
        path.write_text(json.dumps(data))
    else:
        path.write_bytes(damage)
    assert probe.load_cache(path=path) is None


def test_a_consistent_cache_is_used_and_its_candidates_must_match_exactly(tmp_path):
    path = tmp_path / "probe.json"
    report = sample_report()
    probe.save_cache(report, path)
    assert probe.load_cache(path=path).chosen == Endpoint("hf-mirror", "https://hf-mirror.com")
    assert probe.load_cache(path=path, candidates=report.candidates + report.candidates[:1]) is None
    assert probe.load_cache(path=path, candidates=report.candidates[:1]) is None


@pytest.mark.parametrize("how", ["deep", "fifo", "huge"])
def test_a_cache_that_cannot_be_read_sanely_is_ignored(tmp_path, how):
    path = tmp_path / "probe.json"
    if how == "deep":
        path.write_text("[" * 200000 + "]" * 200000)
    elif how == "fifo":
        os.mkfifo(path)  # nothing ever writes: a read would wait forever
    else:
        path.write_text('{"pad": "' + "x" * (2 << 20) + '"}')
    assert probe.load_cache(path=path) is None


def test_an_unwritable_cache_is_not_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert probe.save_cache(sample_report(), blocker / "probe.json") is None
    assert probe.load_cache(path=Path(blocker / "probe.json")) is None
