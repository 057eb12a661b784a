"""SPEC 10: where a large file's bytes come from (hubcheck.follow_large_file), against loopback
Hubs that model LFS redirects and Xet (X-Xet-Hash, Link rel="xet-auth", the token route's
X-Xet-Cas-Url / X-Xet-Access-Token / X-Xet-Token-Expiration) as huggingface_hub 2.x parses them."""

from __future__ import annotations

import time

import pytest

from hfenv import hubcheck

from hubserver import LARGE_FILES, dead_url

BUDGET = 2.0


def follow(url: str, budget: float = BUDGET, **kwargs) -> hubcheck.LargeFiles:
    return hubcheck.follow_large_file(url, time.monotonic() + budget, **kwargs)


def test_a_mirror_that_serves_large_files_itself(serve):
    hub = serve("hub", large_files=LARGE_FILES)
    found = follow(hub.url)
    assert found.http.route == "served" and found.http.ok and found.xet is None
    assert found.http.host == hubcheck.host_of(hub.url)
    assert found.commit and found.size == LARGE_FILES["openai-community/gpt2"]["model.safetensors"]


def test_an_lfs_redirect_is_judged_by_reaching_its_host_without_the_token(serve):
    cdn = serve("cdn")
    hub = serve("hub", large_files=LARGE_FILES, lfs_redirect=cdn.url)
    found = follow(hub.url)
    assert (found.http.route, found.http.status, found.http.host) == ("lfs", "ok", hubcheck.host_of(cdn.url))
    assert [r.method for r in cdn.requests] == ["HEAD"]  # one round trip to the storage host
    assert not any(k.lower() == "authorization" for r in cdn.requests for k in r.headers)


def test_an_lfs_host_that_refuses_is_named(serve):
    hub = serve("hub", large_files=LARGE_FILES, lfs_redirect=dead_url())
    found = follow(hub.url)
    assert found.http.route == "lfs" and found.http.status == "refused" and not found.bytes_ok
    assert "cannot be reached" in found.http.detail


def test_xet_route_reaches_the_cas_host(serve):
    cas, cdn = serve("cdn"), serve("cdn")
    hub = serve("hub", large_files=LARGE_FILES, lfs_redirect=cdn.url, xet_cas=cas.url)
    found = follow(hub.url)
    assert found.xet is not None and found.xet.ok and found.xet.host == hubcheck.host_of(cas.url)
    assert found.leg(use_xet=True) is found.xet and found.leg(use_xet=False) is found.http
    token_calls = [r for r in hub.requests if "xet-read-token" in r.path]
    assert [r.method for r in token_calls] == ["GET"]
    assert [r.method for r in cas.requests] == ["HEAD"]
    assert not found.xet_needs_disabling


def test_a_swallowing_cas_host_is_a_timeout_and_the_http_route_is_the_fix(serve):
    cas, cdn = serve("swallow"), serve("cdn")
    hub = serve("hub", large_files=LARGE_FILES, lfs_redirect=cdn.url, xet_cas=cas.url)
    began = time.monotonic()
    found = follow(hub.url, budget=0.8)
    assert time.monotonic() - began < 0.8 + 1.0
    assert found.xet.status == "timeout" and found.http.ok
    assert found.xet_needs_disabling and found.bytes_ok
    assert "HF_HUB_DISABLE_XET=1" in found.summary(use_xet=True)
    assert cas.connections >= 1  # the CAS host saw the attempt


def test_a_refused_cas_host(serve):
    hub = serve("hub", large_files=LARGE_FILES, xet_cas=dead_url())
    found = follow(hub.url)
    assert found.xet.status == "refused" and found.http.route == "served" and found.xet_needs_disabling


def test_a_token_route_on_huggingface_co_is_sent_to_the_endpoint(serve):
    # huggingface_hub rewrites https://huggingface.co... routes to HF_ENDPOINT; so does hfenv,
    # and nothing is sent to the real huggingface.co.
    cas = serve("cdn")
    hub = serve("hub", large_files=LARGE_FILES, xet_cas=cas.url, xet_route_base="https://huggingface.co")
    found = follow(hub.url)
    assert found.xet.ok
    assert any("xet-read-token" in r.path for r in hub.requests)


def test_a_file_without_xet_headers_has_no_xet_leg(serve):
    hub = serve("hub", large_files=LARGE_FILES)  # no xet_cas: no X-Xet-Hash, no Link
    assert follow(hub.url).xet is None


def test_a_rate_limited_endpoint_is_named_with_retry_after(serve):
    hub = serve("status", status=429, retry_after="30")
    sample = hubcheck.hub_check(hub.url, time.monotonic() + BUDGET)
    assert sample.verdict.status == "rate_limited"
    assert "Retry-After: 30 s" in sample.verdict.detail


def test_an_uncached_file_sent_to_the_official_hub_is_named(serve):
    official = serve("hub", large_files=LARGE_FILES)
    mirror = serve("hub", large_files=LARGE_FILES, uncached_to=official.url)
    found = follow(mirror.url, official_url=official.url)
    assert found.not_cached and found.http.ok and found.http.host == hubcheck.host_of(official.url)
    assert "not cached: sends you to" in found.http.detail
    assert found.to_json()["not_cached"] is True
    # The metadata check names it too, when a mirror forwards small files the same way.
    forward = serve("redirect", redirect_to=official.url)
    sample = hubcheck.hub_check(forward.url, time.monotonic() + BUDGET)
    assert sample.verdict.status == "redirect_offsite"
    assert "not cached" not in sample.verdict.detail  # 308 to a non-official host in the default
    verdict = hubcheck.classify_answer(forward.url + "/x", forward.url + "/x", 307,
                                       {"Location": official.url + "/x"}, official_url=official.url)
    assert verdict.detail.startswith("not cached: sends you to")


def test_large_files_json_round_trips():
    found = hubcheck.LargeFiles("r/f", hubcheck.Leg("lfs", "cdn", "ok", "fine"),
                                hubcheck.Leg("xet", "cas", "timeout", "slow"))
    data = found.to_json(use_xet=True)
    assert (data["route"], data["host"], data["status"]) == ("xet", "cas", "timeout")
    back = hubcheck.LargeFiles.from_json(data)
    assert back.http == found.http and back.xet == found.xet
    with pytest.raises(ValueError):
        hubcheck.LargeFiles.from_json({"file": "x", "http": {"route": 1}})


# ---- the probe follows the bytes ------------------------------------------------------------

from hfenv import probe  # noqa: E402
from hfenv.endpoints import Endpoint  # noqa: E402


def by_name(report, name):
    return next(r for r in report.results if r.name == name)


def test_the_probe_does_not_choose_a_hub_whose_large_files_cannot_come_through(serve):
    # The official Hub is fast and would be kept, but sends its large files to a dead host;
    # the mirror serves them itself, and wins, saying why.
    official = serve("hub", large_files=LARGE_FILES, lfs_redirect=dead_url())
    mirror = serve("hub", large_files=LARGE_FILES, delay=0.02)
    report = probe.run_probe([Endpoint("hf", official.url), Endpoint("mirror", mirror.url)],
                             official_url=official.url, samples=1, timeout=3)
    assert report.chosen == Endpoint("mirror", mirror.url)
    hf = by_name(report, "hf")
    assert hf.ok and hf.bytes_fail and "not chosen: mirror's large files come through" in hf.detail
    assert "refused" in hf.detail
    data = report.to_json()
    rows = {r["name"]: r for r in data["results"]}
    assert rows["mirror"]["large_files"]["route"] == "served" and rows["mirror"]["large_files"]["status"] == "ok"
    assert rows["hf"]["large_files"]["route"] == "lfs" and rows["hf"]["large_files"]["status"] == "refused"
    assert "chosen: mirror" in probe.format_table(report)


def test_only_the_choice_is_followed_when_its_bytes_come_through(serve):
    cdn = serve("cdn")
    official = serve("hub", large_files=LARGE_FILES, lfs_redirect=cdn.url)
    mirror = serve("hub", large_files=LARGE_FILES, delay=0.05)
    report = probe.run_probe([Endpoint("hf", official.url), Endpoint("mirror", mirror.url)],
                             official_url=official.url, samples=1, timeout=3)
    assert report.chosen.name == "hf" and by_name(report, "mirror").large_files is None
    assert not any(hubcheck.LARGE_FILE in r.path for r in mirror.requests)
    assert [r.method for r in cdn.requests] == ["HEAD"]


def test_when_no_candidate_brings_the_bytes_the_metadata_choice_stands(serve):
    hub = serve("hub", large_files=LARGE_FILES, lfs_redirect=dead_url())
    report = probe.run_probe([Endpoint("lab", hub.url)], samples=1, timeout=3)
    assert report.chosen.name == "lab" and report.results[0].bytes_fail
    assert "cannot be reached" in report.results[0].detail


def test_a_rate_limited_candidate_in_the_probe(serve):
    hub = serve("status", status=429, retry_after="120")
    row = probe.run_probe([Endpoint("busy", hub.url)], samples=1).results[0]
    assert (row.status, row.ok) == ("rate_limited", False) and "Retry-After: 120 s" in row.detail
    assert "rate_limited" in probe.STATUSES


def test_the_cache_keeps_the_large_file_route(serve):
    cas = serve("swallow")
    hub = serve("hub", large_files=LARGE_FILES, xet_cas=cas.url)
    report = probe.run_probe([Endpoint("lab", hub.url)], samples=1, timeout=1.5)
    found = report.results[0].large_files
    assert found.xet.status == "timeout" and found.xet_needs_disabling
    path = probe.save_cache(report)
    back = probe.load_cache(path=path, candidates=[Endpoint("lab", hub.url)])
    assert back is not None and back.results[0].large_files.xet_needs_disabling


def test_a_hub_without_the_test_file_is_unknown_not_a_failure(serve):
    hub = serve("hub")  # no large files: the HEAD of model.safetensors is a 404
    report = probe.run_probe([Endpoint("lab", hub.url)], samples=1, timeout=3)
    found = report.results[0].large_files
    assert found.unknown and not found.bytes_fail and not report.results[0].bytes_fail
    assert report.to_json()["results"][0]["large_files"]["route"] == "none"


def test_only_a_route_on_huggingface_co_itself_is_rewritten():
    def answer(route: str) -> hubcheck.Answer:
        return hubcheck.Answer(url="http://m/", code=200, reason="OK", headers={"x-xet-hash": "ab"},
                               links={"xet-auth": {"url": route}})
    assert hubcheck.xet_route(answer("https://huggingface.co/api/x"), "http://m:1") == "http://m:1/api/x"
    assert hubcheck.xet_route(answer("https://huggingface.co.evil.example/api/x"), "http://m:1") \
        == "https://huggingface.co.evil.example/api/x"
    assert hubcheck.xet_route(hubcheck.Answer("http://m/", 200, "OK", {}), "http://m:1") is None
