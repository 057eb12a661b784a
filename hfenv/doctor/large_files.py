"""Section "large_files": where a large (LFS/Xet) file's bytes come from through the endpoint."""

from __future__ import annotations

import time

from ..i18n import N_, _, local
from .client import ClientFacts
from .context import Context, Section
from .endpoint import EndpointFacts
from .report import Finding, Findings
from .values import human_size, is_official

# Hosts where the Hub keeps file bytes; a mirror that hands large files there depends on them.
HF_STORAGE_SUFFIXES = ("huggingface.co", "hf.co")


def follow_large_file(url: str, timeout: float, use_xet: bool, trust=None, *, reach_hosts: bool = False) -> dict:
    """Where the bytes of a large file come from through `url`: hubcheck.follow_large_file (the one
    implementation, shared with the probe), as doctor's facts.

    HEAD of the file's resolve URL, same-origin redirects only; an off-origin answer names the
    storage host. For a Xet-backed file, and `use_xet`, the Xet token route names the CAS host.
    With `reach_hosts` those hosts are reached too (one HEAD each, no credentials); without, no
    request goes to them. Everything shares one deadline, `timeout` from now.
    """
    from .. import hubcheck

    found = hubcheck.follow_large_file(url, time.monotonic() + timeout, xet=use_xet, trust=trust, purpose="doctor",
                                       reach_hosts=reach_hosts)
    return facts_of(found)


def facts_of(found) -> dict:
    """doctor's facts (and JSON) for a hubcheck.LargeFiles."""
    from .. import hubcheck

    http = found.http
    facts: dict = {"file": found.file, "checked": True, "commit": found.commit, "size": found.size,
                   "xet": found.xet_backed, "status": found.code}
    if http.route == "none":
        facts.update(kind="http_error" if found.code is not None else "error", detail=http.detail)
    elif http.route == "served":
        facts.update(kind="served", host=http.host)
    else:
        facts.update(kind="redirect", host=http.host, target=hubcheck.short_url(http.url), target_url=http.url,
                     not_cached=found.not_cached)
        if http.status != hubcheck.NOT_REACHED:
            facts["reach"] = _reached(http)
    leg = found.xet
    if leg is not None and leg.url is None:
        facts["xet_error"] = leg.detail
    elif leg is not None:
        facts.update(xet_host=leg.host, xet_url=leg.url)
        if leg.status != hubcheck.NOT_REACHED:
            facts["xet_reach"] = _reached(leg)
    return facts


def _reached(leg) -> dict:
    if leg.ok:
        return {"reachable": True, "status": leg.code}
    return {"reachable": False, "detail": leg.why or leg.detail}


def reach(url: str, timeout: float, trust=None) -> dict:
    """Whether a host answers at all (any HTTP status counts): hubcheck.reach, as doctor's facts."""
    from .. import hubcheck

    status, detail, code = hubcheck.reach(url, time.monotonic() + timeout, trust=trust, purpose="doctor")
    return {"reachable": True, "status": code} if status == "ok" else {"reachable": False, "detail": detail}


def _large_with_reach(endpoint: str, timeout: float, use_xet: bool, trust=None) -> dict:
    """The large file's route and its storage hosts' reachability (hubcheck: one deadline, hosts at once)."""
    return follow_large_file(endpoint, timeout, use_xet, trust, reach_hosts=True)


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
        out.error(code, message(local(reached.get("detail"))), fix)


def judge_large_files(facts: dict, endpoint: str, official_url: str, client: dict) -> list[Finding]:
    out = Findings("large_files")
    if not facts.get("checked"):
        out.info("skipped", local(facts.get("reason")) or _("not checked"))
        return out.items
    what = facts["file"]
    kind = facts.get("kind")
    third_party = not is_official(endpoint, official_url)
    if kind in ("error", "http_error"):
        out.warn("unknown", _("could not tell where large files come from: {endpoint} answered the HEAD of "
                              "{file} with: {detail}").format(endpoint=endpoint, file=what,
                                                              detail=local(facts.get("detail"))),
                 _("`hfenv doctor --download` still proves small files; try a large one with `hf download`"))
        return out.items
    if not facts.get("commit"):
        out.error("no-commit", _("{endpoint} answers {file} ({status}) without X-Repo-Commit: huggingface_hub "
                                 "refuses such an answer, so large files fail").format(
            endpoint=endpoint, file=what, status=facts.get("status")),
                  _("use an endpoint that answers like the Hub (`hfenv probe`)"))
    size = facts.get("size")
    size_text = f" ({human_size(size)})" if isinstance(size, int) else ""
    if kind == "served":
        out.ok("served-here", _("large files come from {host} itself: it answers {file}{size} with {status}").format(
            host=facts["host"], file=what, size=size_text, status=facts["status"]))
    else:
        host = facts["host"]
        how = _("{endpoint} answers {file}{size} with a {status} redirect to {host}").format(
            endpoint=endpoint, file=what, size=size_text, status=facts["status"], host=host)
        _storage_host(out, facts.get("reach"),
                      ("redirect", _("large files come from {host}: {how}; {host} answers").format(host=host, how=how)),
                      ("unreachable", lambda why: _("large files come from {host}, which cannot be reached: {why} "
                                                    "({how})").format(host=host, why=why, how=how),
                       _("{host} must be reachable from here (directly or through HTTPS_PROXY), or use an "
                         "endpoint that serves large files itself").format(host=host)))
        if third_party and _hf_storage(host):
            out.info("hf-storage", _("this mirror hands large files to Hugging Face's own storage ({host}): "
                                     "where huggingface.co is blocked, small files work but large ones fail").format(
                host=host))
    if facts.get("xet"):
        use_xet = client.get("hf_xet") and not client.get("disable_xet")
        if client.get("hf_xet") and client.get("disable_xet"):
            _xet_decision(out, facts)
        elif not use_xet:
            out.info("xet", _("the file is Xet-backed; without hf_xet (or with HF_HUB_DISABLE_XET) "
                              "huggingface_hub follows the redirect above"))
        elif facts.get("xet_error"):
            out.error("xet-route", _("the file is Xet-backed, but its Xet route failed: {error}; hf_xet downloads "
                                     "will fail").format(error=local(facts["xet_error"])),
                      _("HF_HUB_DISABLE_XET=1 makes huggingface_hub use the plain redirect instead (`hfenv setup` "
                        "writes it: --xet auto)"))
        elif facts.get("xet_host"):
            host = facts["xet_host"]
            _storage_host(out, facts.get("xet_reach"),
                          ("xet-storage", _("the file is Xet-backed: with hf_xet, huggingface_hub fetches its bytes "
                                            "through {host}, which answers").format(host=host)),
                          ("xet-unreachable", lambda why: _("the file is Xet-backed and hf_xet fetches it through "
                                                            "{host}, which cannot be reached: {why}").format(
                              host=host, why=why),
                           _("make {host} reachable, or set HF_HUB_DISABLE_XET=1 to use the plain redirect "
                             "(`hfenv setup` writes it when the redirect works: --xet auto)").format(host=host)))
            if third_party and _hf_storage(host):
                out.info("xet-hf-storage", _("Xet storage ({host}) is Hugging Face's own, whatever the mirror").format(
                    host=host))
    return out.items



def _xet_decision(out: Findings, facts: dict) -> None:
    """HF_HUB_DISABLE_XET is set (by `hfenv setup --xet`, or by hand) while hf_xet is installed:
    say whether the Xet route still needs avoiding."""
    reached = facts.get("xet_reach") or {}
    host = facts.get("xet_host") or _("the Xet storage")
    plain = _("huggingface_hub downloads Xet-backed files over the plain HTTP route above")
    if facts.get("xet_error"):
        out.ok("xet-disabled", _("HF_HUB_DISABLE_XET is set, and the Xet route fails here ({error}): {plain}").format(
            error=local(facts["xet_error"]), plain=plain))
    elif reached.get("reachable"):
        out.info("xet-disabled-needlessly", _("HF_HUB_DISABLE_XET is set, but Xet storage {host} answers ({status}): "
                                              "{plain}, more slowly than hf_xet would").format(
            host=host, status=reached.get("status"), plain=plain),
                 _("`hfenv setup` (--xet auto) removes it when it wrote it; else unset it"))
    else:
        out.ok("xet-disabled", _("HF_HUB_DISABLE_XET is set, and Xet storage {host} cannot be reached ({why}): "
                                 "{plain} instead of hanging (what `hfenv setup --xet auto` decides)").format(
            host=host, why=local(reached.get("detail")) or _("not checked"), plain=plain))


def gather(ctx: Context) -> dict:
    client, checked = ctx.of(ClientFacts), ctx.of(EndpointFacts)
    if ctx.options.offline:
        return {"checked": False, "reason": _("not checked (--offline)")}
    if not checked.reachable:
        return {"checked": False, "reason": _("not checked: the endpoint is not usable") if client.usable_url
                else checked.skip_reason}
    ctx.say(_("hfenv: following a large file..."))
    # With hf_xet installed the Xet route is followed even when HF_HUB_DISABLE_XET is set, to say
    # whether that is still needed.
    use_xet = bool(client.answer.get("hf_xet"))
    return _large_with_reach(client.endpoint, ctx.options.timeout, use_xet, client.trust)


def judge(ctx: Context, facts: dict) -> list[Finding]:
    return judge_large_files(facts, ctx.of(ClientFacts).endpoint, ctx.options.official_url, ctx.of(ClientFacts).answer)


def record(facts: dict) -> dict:
    return {"large_files": {k: v for k, v in facts.items() if k not in ("target_url",)}}


SECTION = Section("large_files", N_("Large files (LFS/Xet)"), gather, judge, record)
