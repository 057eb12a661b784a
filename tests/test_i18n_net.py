"""The probe and the HTTP layer speak Chinese: real `hfenv probe` runs against loopback servers that
fail every way a mirror fails, under LANG=zh_CN.UTF-8 and again under HFENV_LANG=en; details stay
English as data (JSON, the probe cache, doctor's matching) and are shown in the user's language."""

from __future__ import annotations

import gettext
import io
import json
import time

import pytest
import trustme
from i18n_extract import CATALOG, english_prose

from hfenv import hubcheck, i18n, probe
from hfenv.endpoints import Endpoint
from hfenv.hubcheck import LargeFiles, Leg
from hfenv.i18n import Msg, local
from hfenv.probe import ProbeReport, ProbeResult

from conftest import hfenv_process, subprocess_env
from hubserver import LARGE_FILES, dead_url, server_tls

# Words hfenv quotes from elsewhere and does not translate: OpenSSL's verify message, and the
# plain-http warning of endpoints.py (another helper's file; drop it here once it is translated).
QUOTED = ("unable to get local issuer certificate", "self-signed certificate in certificate chain",
          "uses plain http: traffic (and any token) travels unencrypted")


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" or "\uff01" <= ch <= "\uff5e" for ch in text)


@pytest.fixture
def chinese(monkeypatch):
    """This process renders `local()` in Chinese (the shipped catalog, compiled in memory)."""
    catalog = gettext.GNUTranslations(io.BytesIO(i18n.compile_po(CATALOG.read_text(encoding="utf-8"))))
    monkeypatch.setattr(i18n, "_catalog", lambda: catalog)
    yield
    i18n.reset()


def hfenv(*args, env_extra: dict, home):
    return hfenv_process(*args, env=subprocess_env(**{"HOME": str(home), **env_extra}), timeout=60)


def both(*args, env: dict, home):
    """The same command under LANG=zh_CN.UTF-8, then with HFENV_LANG=en overriding it."""
    zh = hfenv(*args, env_extra={"LANG": "zh_CN.UTF-8", **env}, home=home)
    en = hfenv(*args, env_extra={"LANG": "zh_CN.UTF-8", "HFENV_LANG": "en", **env}, home=home)
    return zh, en


@pytest.fixture
def trusted(tls_ca, ca_bundle):
    """The environment that trusts the test CA (both clients' variables), loopback direct."""
    return {"SSL_CERT_FILE": str(ca_bundle), "REQUESTS_CA_BUNDLE": str(ca_bundle), "NO_PROXY": "127.0.0.1,localhost"}


# ---- real commands ---------------------------------------------------------------------------


def test_every_way_a_candidate_fails_in_chinese_then_english(serve, raw, tls_ca, trusted, isolated_home):
    tls = lambda: server_tls(tls_ca)  # noqa: E731

    def drip(server, conn, head):  # a status line, one byte every 0.3 s: never complete in time
        server.trickle(conn, b"HTTP/1.1 200 OK\r\nX-Repo-Commit: abc\r\n\r\n", every=0.3)

    candidates = {
        "gone": dead_url("https"),
        "nothub": serve("status", tls=tls(), status=404).url,
        "busy": serve("status", tls=tls(), status=429, retry_after="30").url,
        "forged": serve("hub", tls=server_tls(trustme.CA())).url,
        "fwd": serve("redirect", tls=tls(), redirect_to=dead_url("https")).url,
        "wifi": serve("portal", tls=tls()).url,
        "quiet": serve("swallow", tls=tls()).url,
        "drip": raw(drip).url,
    }
    args = ["probe", "--only", "--timeout", "1", "--samples", "1"]
    for name, url in candidates.items():
        args += ["--candidate", f"{name}={url}"]
    zh, en = both(*args, env=trusted, home=isolated_home)
    assert zh.returncode == en.returncode == 3, zh.stderr
    assert english_prose(zh.stdout + zh.stderr, allowed=QUOTED) == []
    rows = {line.split()[0]: line for line in zh.stdout.splitlines()[1:-1]}
    assert "拒绝连接：该端口上没有服务在监听" in rows["gone"]
    assert "返回 404 Not Found（这里没有 openai-community/gpt2/config.json：不是 Hub，或者路径前缀不对）" \
        in rows["nothub"]
    assert "返回 429（请求过多，Retry-After：30 秒）：它限制了请求频率" in rows["busy"]
    assert "证书不受信任：" in rows["forged"] and "请把 SSL_CERT_FILE 指向它的 CA 证书包" in rows["forged"]
    assert "：它把请求转发到别处，自己并不提供文件" in rows["fwd"]
    assert "但没有 X-Repo-Commit：这是强制门户（captive portal）、登录页或普通网站，不是 Hub" in rows["wifi"]
    assert "1 秒时限内没有响应" in rows["quiet"] and "1 秒时限内没有响应" in rows["drip"]
    assert zh.stdout.splitlines()[-1].startswith("没有可用的端点（测速耗时")
    # The same run in English: the details as they always were, nothing Chinese.
    assert not has_cjk(en.stdout + en.stderr)
    rows = {line.split()[0]: line for line in en.stdout.splitlines()[1:-1]}
    assert "connection refused by 127.0.0.1:" in rows["gone"] and "nothing listens there" in rows["gone"]
    assert "answered 404 Not Found (no openai-community/gpt2/config.json here" in rows["nothub"]
    assert "answered 429 Too Many Requests (Retry-After: 30 s)" in rows["busy"]
    assert "certificate not trusted:" in rows["forged"] and "point SSL_CERT_FILE at its CA bundle" in rows["forged"]
    assert "it forwards elsewhere instead of serving files itself" in rows["fwd"]
    assert "a captive portal, login page or plain web server, not a Hub" in rows["wifi"]
    assert "no answer within the 1 s budget" in rows["quiet"]


def test_a_proxy_that_wants_a_password_and_one_that_cannot_be_parsed(serve, isolated_home):
    gate = serve("status", status=407)
    args = ("probe", "--only", "--timeout", "1", "--samples", "1", "--candidate", f"lab={dead_url()}")
    zh, en = both(*args, env={"HTTP_PROXY": gate.url}, home=isolated_home)
    assert zh.returncode == en.returncode == 3
    assert english_prose(zh.stdout + zh.stderr, allowed=QUOTED) == []
    assert f"代理 {gate.url} 要求认证（407）：请在代理 URL 中写上 user:password" in zh.stdout
    assert f"the proxy {gate.url} wants authentication (407)" in en.stdout and not has_cjk(en.stdout + en.stderr)

    secret = "http://hfuser:se/cret@127.0.0.1:9"
    zh, en = both(*args, env={"HTTP_PROXY": secret}, home=isolated_home)
    assert zh.returncode == en.returncode == 2
    assert english_prose(zh.stdout + zh.stderr, allowed=QUOTED) == []
    assert "HTTP_PROXY 无法解析：host:port 后面还有别的内容" in zh.stderr and "不显示其值" in zh.stderr
    assert "HTTP_PROXY cannot be parsed: something follows host:port" in en.stderr
    for done in (zh, en):
        assert "se/cret" not in done.stdout + done.stderr and "hfuser" not in done.stdout + done.stderr


def test_large_file_routes_in_chinese_and_the_json_and_cache_stay_english(serve, trusted, tls_ca, isolated_home):
    pytest.importorskip("hf_xet")  # the Xet route is the client's only when hf_xet is installed
    hub = serve("hub", tls=server_tls(tls_ca), large_files=LARGE_FILES, xet_cas=dead_url("https"))
    lfs = serve("hub", tls=server_tls(tls_ca), large_files=LARGE_FILES, lfs_redirect=dead_url("https"))
    for name, server, phrases in (
        ("lfs", lfs, ["大文件（lfs，经由 127.0.0.1:", "，但连不上该主机：", "拒绝连接"]),
        ("xet", hub, ["提交 607a30d783df；大文件（xet，经由 127.0.0.1:", "：refused：连不上 Xet 存储 127.0.0.1:",
                      "；普通 HTTP 路径可用：设置 HF_HUB_DISABLE_XET=1"]),
    ):
        args = ("probe", "--only", "--samples", "1", "--candidate", f"{name}={server.url}")
        zh, en = both(*args, env=trusted, home=isolated_home)
        assert zh.returncode == en.returncode == 0, zh.stderr
        assert english_prose(zh.stdout + zh.stderr, allowed=QUOTED) == []
        for phrase in phrases:
            assert phrase in zh.stdout
        assert not has_cjk(en.stdout + en.stderr) and "large files (" in en.stdout
    # The last text run (xet) wrote the cache under a Chinese locale: English text, plus its structure.
    zh_env = {"LANG": "zh_CN.UTF-8", **trusted}
    zh = hfenv("probe", "--only", "--samples", "1", "--candidate", f"xet={hub.url}", env_extra=zh_env,
               home=isolated_home)
    cached = probe.cache_path().read_text(encoding="utf-8")
    assert not has_cjk(cached) and "Xet storage 127.0.0.1:" in cached and '"detail_msg"' in cached
    done = hfenv("probe", "--only", "--samples", "1", "--candidate", f"xet={hub.url}", "--json", env_extra=zh_env,
                 home=isolated_home)
    assert done.returncode == 0 and not has_cjk(done.stdout + done.stderr)
    [row] = json.loads(done.stdout)["results"]
    assert "detail_msg" not in row and "large files (xet via 127.0.0.1:" in row["detail"]
    # setup --endpoint makes no request: its Xet decision quotes the cached route, in Chinese.
    done = hfenv("setup", "--dry-run", "--endpoint", hub.url, "--shell", "bash", env_extra=zh_env,
                 home=isolated_home)
    assert done.returncode == 0, done.stderr
    assert "Xet：自动：连不上 Xet 存储（refused：连不上 Xet 存储 127.0.0.1:" in done.stderr
    assert english_prose(done.stderr, allowed=QUOTED) == []


def test_a_candidate_stopped_early_says_why_in_chinese(serve, trusted, tls_ca, isolated_home):
    fast, slow = serve("hub", tls=server_tls(tls_ca)), serve("hub", tls=server_tls(tls_ca), delay=1.5)
    args = ("probe", "--only", "--timeout", "2", "--samples", "2", "--candidate", f"fast={fast.url}",
            "--candidate", f"slow={slow.url}")
    zh, en = both(*args, env=trusted, home=isolated_home)
    assert zh.returncode == en.returncode == 0
    assert english_prose(zh.stdout + zh.stderr, allowed=QUOTED) == []
    [row] = [line for line in zh.stdout.splitlines() if line.split()[:1] == ["slow"]]
    assert "毫秒内没有响应；fast 已在" in row and "毫秒时决定了选择" in row
    assert "fast had settled the choice in" in en.stdout


# ---- details are data: English values, Chinese when shown ----------------------------------


def test_doctor_matches_the_english_value_of_an_early_decision(serve, chinese):
    from hfenv.doctor.endpoint import stopped_early

    fast, slow = serve("hub"), serve("hub", delay=1.5)
    report = probe.run_probe([Endpoint("fast", fast.url), Endpoint("slow", slow.url)], timeout=2, samples=2)
    [late] = [r for r in report.results if r.name == "slow"]
    assert isinstance(late.detail, Msg) and "had settled the choice" in late.detail
    assert stopped_early(late)  # doctor/endpoint.py's EARLY_DECISION, on the English value
    assert "已在" in local(late.detail) and "had settled" not in local(late.detail)


def test_a_proxy_error_never_shows_the_value_in_either_language(monkeypatch, chinese):
    secret = "http://hfuser:p/ss#w@127.0.0.1:9"
    monkeypatch.setenv("HTTPS_PROXY", secret)
    with pytest.raises(hubcheck.ProxyError) as caught:
        hubcheck.proxy_for("https://mirror.example/x")
    for text in (str(caught.value), local(str(caught.value)), *map(local, hubcheck.proxy_problems().values()),
                 *map(local, hubcheck.shown_proxies().values())):
        assert "p/ss" not in text and "hfuser" not in text
    assert local(str(caught.value)).startswith("HTTPS_PROXY 无法解析：")
    assert str(caught.value).startswith("HTTPS_PROXY cannot be parsed: ")


def test_a_missing_large_file_is_named_not_the_hub_checks_file():
    start = "https://m.example/openai-community/gpt2/resolve/main/model.safetensors"
    verdict = hubcheck.classify_answer(start, start, 404, {})
    assert "no openai-community/gpt2/model.safetensors here" in verdict.detail
    start = hubcheck.hub_check_url("https://m.example/prefix")
    assert "no openai-community/gpt2/config.json here" in hubcheck.classify_answer(start, start, 404, {}).detail


# ---- the cache keeps the structure (hostile input: checked strictly) --------------------------


def cached_report() -> ProbeReport:
    found = LargeFiles("openai-community/gpt2/model.safetensors",
                       http=Leg("served", "m.example", "ok", Msg("{host} serves {file} itself ({code})",
                                                                  host="m.example", file="f", code=200)),
                       xet=Leg("xet", "cas.example", "refused",
                               Msg("Xet storage {host} cannot be reached: {detail}", host="cas.example",
                                   detail=Msg("connection refused by {where}{via}: nothing listens there",
                                              where="cas.example:443", via=""))))
    detail = hubcheck.joined(Msg("commit {commit}", commit="607a30d783df"), found.summary(True))
    results = [ProbeResult("m", "https://m.example", True, "ok", 31.0, [31.0], detail, large_files=found),
               ProbeResult("hf", "https://huggingface.co", False, "timeout", None, [],
                           Msg("no answer within the {seconds} s budget", seconds="3"), official=True)]
    return ProbeReport(chosen=Endpoint("m", "https://m.example"), elapsed_ms=250, results=results,
                       created=time.time(), candidates=[Endpoint("hf", "https://huggingface.co"),
                                                        Endpoint("m", "https://m.example")])


def test_a_cached_result_is_shown_in_chinese_and_stored_in_english(tmp_path, chinese):
    report, path = cached_report(), tmp_path / "probe.json"
    probe.save_cache(report, path)
    assert not has_cjk(path.read_text(encoding="utf-8"))
    loaded = probe.load_cache(path=path)
    assert loaded.to_json() == report.to_json()  # the text, as before
    for old, new in zip(report.results, loaded.results):
        assert isinstance(new.detail, Msg) and local(new.detail) == local(old.detail) and has_cjk(local(new.detail))
    xet = loaded.results[0].large_files.xet
    assert local(xet.detail) == "连不上 Xet 存储 cas.example：cas.example:443 拒绝连接：该端口上没有服务在监听"
    assert "提交 607a30d783df；大文件（xet，经由 cas.example）" in probe.format_table(loaded)


def test_a_cache_of_plain_text_still_loads(tmp_path):
    path = tmp_path / "probe.json"
    probe.save_cache(cached_report(), path)
    data = json.loads(path.read_text())
    for row in data["results"]:
        row.pop("detail_msg", None)
    path.write_text(json.dumps(data))
    loaded = probe.load_cache(path=path)
    assert loaded is not None and not isinstance(loaded.results[0].detail, Msg)


def forge(data: dict, message) -> None:
    data["results"][1]["detail_msg"] = message


@pytest.mark.parametrize("damage", [
    # it must render to exactly the text beside it
    lambda d: forge(d, {"template": "no answer within the {seconds} s budget", "args": [], "kwargs": {"seconds": "9"}}),
    lambda d: forge(d, "something else"),
    # only plain named or numbered fields: no attribute or item access, no format spec, no conversion
    lambda d: forge(d, {"template": "{x.__class__}", "args": [], "kwargs": {"x": "a"}}),
    lambda d: forge(d, {"template": "{x[0]}", "args": [], "kwargs": {"x": "a"}}),
    lambda d: forge(d, {"template": "{x:>999999999}", "args": [], "kwargs": {"x": "a"}}),
    lambda d: forge(d, {"template": "{x!r}", "args": [], "kwargs": {"x": "a"}}),
    lambda d: forge(d, {"template": "{0}{1}", "args": ["a"], "kwargs": {}}),
    lambda d: forge(d, {"template": "{y}", "args": [], "kwargs": {"x": "a"}}),
    lambda d: forge(d, {"template": "{}", "args": [], "kwargs": {}}),
    # a small structure that would expand enormously
    lambda d: forge(d, {"template": "{a}" * 300, "args": [], "kwargs": {"a": {"template": "{b}" * 300, "args": [],
                                                                            "kwargs": {"b": "x" * 100}}}}),
    # too deep, too many parts, odd types, control characters, keys that are no fields
    lambda d: forge(d, json.loads('{"template": "{a}", "args": [], "kwargs": {"a": ' * 40 + '"x"'
                                  + '}}' * 40)),
    lambda d: forge(d, {"template": "{}" * 300, "args": ["x"] * 300, "kwargs": {}}),
    lambda d: forge(d, {"template": "{a}", "args": [], "kwargs": {"a": True}}),
    lambda d: forge(d, {"template": "{a}", "args": [], "kwargs": {"a": None}}),
    lambda d: forge(d, {"template": "{a}", "args": [], "kwargs": {"a": [1]}}),
    lambda d: forge(d, {"template": "\x1b[2J{a}", "args": [], "kwargs": {"a": "x"}}),
    lambda d: forge(d, {"template": "{a}", "args": [], "kwargs": {"a": "\x1b]0;x\x07"}}),
    lambda d: forge(d, {"template": "{a}", "args": [], "kwargs": {"not a name": "x"}}),
    lambda d: forge(d, {"template": "{a}", "args": [], "kwargs": {"a": "x"}, "extra": 1}),
    lambda d: forge(d, {"template": 5, "args": [], "kwargs": {}}),
    lambda d: d["results"][0]["large_files"]["xet"].update(detail_msg={"template": "x", "args": [], "kwargs": {}}),
])
def test_a_forged_message_structure_makes_the_cache_ignored(tmp_path, damage):
    path = tmp_path / "probe.json"
    probe.save_cache(cached_report(), path)
    assert probe.load_cache(path=path) is not None
    data = json.loads(path.read_text())
    damage(data)
    path.write_text(json.dumps(data))
    assert probe.load_cache(path=path) is None
