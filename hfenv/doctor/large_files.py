"""Section "large_files": where a large (LFS/Xet) file's bytes come from through the endpoint."""

from __future__ import annotations

import time

from .client import ClientFacts
from .context import LARGE_FILE, TEST_REPO, Context, Section, run_together
from .endpoint import EndpointFacts
from .report import Finding, Findings
from .values import failed, host_of, human_size, is_official

# Hosts where the Hub keeps file bytes; a mirror that hands large files there depends on them.
HF_STORAGE_SUFFIXES = ("huggingface.co", "hf.co")


def follow_large_file(url: str, timeout: float, use_xet: bool, trust=None) -> dict:
    """Where the bytes of a large file come from through `url`, as huggingface_hub would find out.

    HEAD of the file's resolve URL, following same-origin redirects only (as
    huggingface_hub does); an answer that redirects elsewhere names the host
    the bytes come from, without any request to it (an ambiguous Location is
    an error). For a Xet-backed file, and with hf_xet in use, the Xet token
    route names the storage host instead. Nothing is downloaded; the HEAD and
    the Xet route share one deadline, `timeout` from now.
    """
    from .. import hubcheck

    start = f"{url}/{TEST_REPO}/resolve/main/{LARGE_FILE}"
    facts: dict = {"file": f"{TEST_REPO}/{LARGE_FILE}", "checked": True}
    s = hubcheck.session("doctor")
    try:
        proxy = hubcheck.proxy_for(start)
        with hubcheck.Watch(time.monotonic() + timeout) as watch:
            answer, hop = hubcheck.follow(s, "HEAD", start, watch, trust=trust, proxy=proxy)
            code = answer.code
            if hop is not None and hop.kind == "offsite":
                facts.update(status=code, kind="redirect", host=host_of(hop.url), target=hubcheck.short_url(hop.url),
                             target_url=hop.url)
            elif hop is not None:
                facts.update(status=code, kind="http_error", detail=f"answered {code}, but {hop.reason}")
            elif 200 <= code < 300:
                facts.update(status=code, kind="served", host=host_of(answer.url))
            else:
                facts.update(status=code, kind="http_error", detail=hubcheck.classify_answer(
                    start, answer.url, code, answer.headers).detail)
            facts["commit"] = bool(answer.header("X-Repo-Commit").strip())
            facts["size"] = answer.header("X-Linked-Size") or (answer.header("Content-Length") if code < 300 else None)
            route = (answer.links.get("xet-auth") or {}).get("url") or answer.header("X-Xet-Refresh-Route")
            facts["xet"] = bool(answer.header("X-Xet-Hash") and route)
            if facts["xet"] and use_xet and facts.get("kind") != "http_error":
                facts.update(_xet_storage(s, watch, url, route, trust))
    except (hubcheck.Failure, hubcheck.ProxyError) as exc:
        facts.update(kind="error", status=None, detail=failed(exc))
    finally:
        s.close()
    return facts


def _xet_storage(s, watch, endpoint: str, route: str, trust) -> dict:
    from .. import hubcheck

    # huggingface_hub sends a route that points at huggingface.co to the configured endpoint instead.
    home = "https://huggingface.co"
    if route.startswith(home + "/"):
        route = endpoint + route[len(home):]
    try:
        hubcheck.origin(route)
        answer = hubcheck.request(s, "GET", route, watch, body_cap=hubcheck.BODY_CAP, trust=trust,
                                  proxy=hubcheck.proxy_for(route))
    except hubcheck.Ambiguous as exc:
        return {"xet_error": f"the Xet token route is ambiguous ({exc}): not contacted"}
    except (hubcheck.Failure, hubcheck.ProxyError) as exc:
        return {"xet_error": failed(exc)}
    cas = answer.header("X-Xet-Cas-Url")
    if answer.code != 200 or not cas:
        return {"xet_error": f"the Xet token route answered {answer.code} without X-Xet-Cas-Url"}
    return {"xet_host": host_of(cas), "xet_url": cas.rstrip("/")}


def reach(url: str, timeout: float, trust=None) -> dict:
    """Whether a host answers at all (any HTTP status counts): a HEAD, no redirect followed."""
    from .. import hubcheck

    s = hubcheck.session("doctor")
    try:
        hubcheck.origin(url)
        with hubcheck.Watch(time.monotonic() + timeout) as watch:
            answer = hubcheck.request(s, "HEAD", url, watch, trust=trust, proxy=hubcheck.proxy_for(url))
        return {"reachable": True, "status": answer.code}
    except hubcheck.Ambiguous as exc:
        return {"reachable": False, "detail": f"its URL is ambiguous ({exc}): not contacted"}
    except (hubcheck.Failure, hubcheck.ProxyError) as exc:
        return {"reachable": False, "detail": failed(exc)}
    finally:
        s.close()


def _large_with_reach(endpoint: str, timeout: float, use_xet: bool, trust=None) -> dict:
    """The large file's route (one deadline), then its storage hosts' reachability (together, one more)."""
    facts = follow_large_file(endpoint, timeout, use_xet, trust)
    jobs = {}
    if facts.get("kind") == "redirect":
        jobs["reach"] = lambda: reach(facts["target_url"], timeout, trust)
    if facts.get("xet_url"):
        jobs["xet_reach"] = lambda: reach(facts["xet_url"], timeout, trust)
    facts.update(run_together(jobs) if jobs else {})
    return facts



def _hf_storage(host: str) -> bool:
    name = host.split(":")[0].lower()
    return any(name == s or name.endswith("." + s) for s in HF_STORAGE_SUFFIXES)


def _storage_host(out: Findings, reached: dict | None, answers: tuple[str, str], fails: tuple) -> None:
    """Whether a storage host answered reach()'s HEAD: `answers` (code, message) and its status, or
    `fails` (code, message from why it failed, fix)."""
    reached = reached or {}
    if reached.get("reachable"):
        out.ok(answers[0], f"{answers[1]} ({reached.get('status')})")
    else:
        code, message, fix = fails
        out.error(code, message(reached.get("detail")), fix)


def judge_large_files(facts: dict, endpoint: str, official_url: str, client: dict) -> list[Finding]:
    out = Findings("large_files")
    if not facts.get("checked"):
        out.info("skipped", facts.get("reason", "not checked"))
        return out.items
    what = facts["file"]
    kind = facts.get("kind")
    third_party = not is_official(endpoint, official_url)
    if kind in ("error", "http_error"):
        out.warn("unknown", f"could not tell where large files come from: {endpoint} answered the HEAD of "
                            f"{what} with: {facts.get('detail')}",
                 "`hfenv doctor --download` still proves small files; try a large one with `hf download`")
        return out.items
    if not facts.get("commit"):
        out.error("no-commit", f"{endpoint} answers {what} ({facts.get('status')}) without X-Repo-Commit: "
                               "huggingface_hub refuses such an answer, so large files fail",
                  "use an endpoint that answers like the Hub (`hfenv probe`)")
    size = facts.get("size")
    size_text = f" ({human_size(int(size))})" if size and str(size).isdigit() else ""
    if kind == "served":
        out.ok("served-here", f"large files come from {facts['host']} itself: it answers {what}{size_text} "
                              f"with {facts['status']}")
    else:
        host = facts["host"]
        how = f"{endpoint} answers {what}{size_text} with a {facts['status']} redirect to {host}"
        _storage_host(out, facts.get("reach"), ("redirect", f"large files come from {host}: {how}; {host} answers"),
                      ("unreachable", lambda why: f"large files come from {host}, which cannot be reached: "
                                                  f"{why} ({how})",
                       f"{host} must be reachable from here (directly or through HTTPS_PROXY), or use an "
                       "endpoint that serves large files itself"))
        if third_party and _hf_storage(host):
            out.info("hf-storage", f"this mirror hands large files to Hugging Face's own storage ({host}): "
                                   "where huggingface.co is blocked, small files work but large ones fail")
    if facts.get("xet"):
        use_xet = client.get("hf_xet") and not client.get("disable_xet")
        if not use_xet:
            out.info("xet", "the file is Xet-backed; without hf_xet (or with HF_HUB_DISABLE_XET) "
                            "huggingface_hub follows the redirect above")
        elif facts.get("xet_error"):
            out.error("xet-route", f"the file is Xet-backed, but its Xet route failed: {facts['xet_error']}; "
                                  "hf_xet downloads will fail", "HF_HUB_DISABLE_XET=1 makes huggingface_hub use "
                                                                "the plain redirect instead")
        elif facts.get("xet_host"):
            host = facts["xet_host"]
            _storage_host(out, facts.get("xet_reach"),
                          ("xet-storage", "the file is Xet-backed: with hf_xet, huggingface_hub fetches its bytes "
                                          f"through {host}, which answers"),
                          ("xet-unreachable", lambda why: f"the file is Xet-backed and hf_xet fetches it through "
                                                          f"{host}, which cannot be reached: {why}",
                           f"make {host} reachable, or set HF_HUB_DISABLE_XET=1 to use the plain redirect"))
            if third_party and _hf_storage(host):
                out.info("xet-hf-storage", f"Xet storage ({host}) is Hugging Face's own, whatever the mirror")
    return out.items



def gather(ctx: Context) -> dict:
    client, checked = ctx.of(ClientFacts), ctx.of(EndpointFacts)
    if ctx.options.offline:
        return {"checked": False, "reason": "not checked (--offline)"}
    if not checked.reachable:
        return {"checked": False, "reason": "not checked: the endpoint is not usable" if client.usable_url
                else checked.skip_reason}
    ctx.say("hfenv: following a large file...")
    use_xet = bool(client.answer.get("hf_xet") and not client.answer.get("disable_xet"))
    return _large_with_reach(client.endpoint, ctx.options.timeout, use_xet, client.trust)


def judge(ctx: Context, facts: dict) -> list[Finding]:
    return judge_large_files(facts, ctx.of(ClientFacts).endpoint, ctx.options.official_url, ctx.of(ClientFacts).answer)


def record(facts: dict) -> dict:
    return {"large_files": {k: v for k, v in facts.items() if k not in ("target_url",)}}


SECTION = Section("large_files", "Large files (LFS/Xet)", gather, judge, record)
