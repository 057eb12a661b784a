"""Section "endpoint": does the effective endpoint answer like a Hub; if not, which other one does."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..endpoints import CATALOG, Endpoint, name_for_url
from ..i18n import N_, _, local, ngettext
from .client import ClientFacts
from .context import Context, Options, Section, run_together
from .layers import LayerFacts
from .report import Finding, Findings
from .values import arg, eval_hint, named, normalized

MODELSCOPE_SWITCHES = (("USE_MODELSCOPE_HUB", "1", "LLaMA-Factory"), ("VLLM_USE_MODELSCOPE", "true", "vLLM"))


def check_endpoint(url: str, timeout: float, trust=None) -> dict:
    """The probe's Hub check, once: does `url` answer like a Hub? Over within `timeout`, wall time."""
    from .. import hubcheck

    deadline = time.monotonic() + timeout
    try:
        proxy = hubcheck.proxy_for(hubcheck.hub_check_url(url))
    except hubcheck.ProxyError as exc:
        return {"url": url, "status": "proxy", "detail": str(exc), "latency_ms": None, "proxy": None, "ok": False}
    sample = hubcheck.hub_check(url, deadline, proxy, purpose="doctor", trust=trust)
    return {"url": url, "status": sample.verdict.status, "detail": sample.verdict.detail,
            "latency_ms": round(sample.ms, 1), "proxy": proxy, "ok": sample.verdict.status == "ok"}


def _fallback_probe(options: Options, endpoint: str, known_endpoints, say, also: Endpoint | None = None):
    """Probe the other endpoints when the effective one is not usable (None when there are none).

    `also`: what new shells get (when this shell predates a setup), probed too so that
    doctor can say whether opening a new terminal is the whole fix."""
    from .. import probe
    from ..endpoints import ConfigError

    if options.candidates is not None:
        candidates = list(options.candidates)
    else:
        try:
            known = known_endpoints()
        except ConfigError:  # reported under the layers already
            known = dict(CATALOG)
        candidates = [Endpoint(n, u) for n, u in known.items()]
    if also is not None and not any(normalized(c.url) == also.url for c in candidates):
        candidates = [c for c in candidates if c.name != also.name] + [also]
    candidates = [c for c in candidates if normalized(c.url) != normalized(endpoint)]
    if not candidates:
        return None
    say(ngettext("hfenv: {endpoint} is not usable; probing {count} other endpoint...",
                 "hfenv: {endpoint} is not usable; probing {count} other endpoints...", len(candidates)).format(
        endpoint=endpoint, count=len(candidates)))
    try:
        return probe.run_probe(candidates, timeout=min(options.timeout, probe.DEFAULT_TIMEOUT), samples=1,
                               official_url=options.official_url)
    except ValueError:  # hubcheck.ProxyError: a proxy variable cannot be parsed (a network finding says so)
        return None



@dataclass
class EndpointFacts:
    url: str  # the effective endpoint
    skip_reason: str | None = None  # why it was not checked
    check: dict | None = None  # check_endpoint's answer
    probed: bool = False  # the fallback probe was tried (the check failed)
    alternatives: object | None = None  # its probe.ProbeResult, None when there was nothing to probe
    also: Endpoint | None = None  # what new shells get, probed too
    also_check: dict | None = None  # check_endpoint's answer for `also`: it is judged by its own check

    @property
    def reachable(self) -> bool:
        return bool(self.check and self.check["ok"])

    @property
    def also_works(self) -> bool:
        return bool(self.also_check and self.also_check["ok"])

    @property
    def unusable(self) -> set[str]:
        """Normalised URLs found not usable just now (the probe stopping one early is no verdict on it)."""
        if self.check is None or self.check["ok"]:
            return set()
        results = self.alternatives.results if self.alternatives is not None else []
        found = {normalized(self.url)} | {normalized(r.url) for r in results if not r.ok and not stopped_early(r)}
        if self.also is not None:
            found = (found | {self.also.url}) if not self.also_works else (found - {self.also.url})
        return found


# The probe's words for a candidate it stopped because another had settled the choice (probe.stop_early).
EARLY_DECISION = ("had settled the choice", "not needed: ")


def stopped_early(result) -> bool:
    """Whether the probe stopped `result` only because another candidate was faster: it may well work."""
    return result.status == "timeout" and any(words in (result.detail or "") for words in EARLY_DECISION)


def gather(ctx: Context) -> EndpointFacts:
    from ..endpoints import known_endpoints

    client, layers = ctx.of(ClientFacts), ctx.of(LayerFacts)
    endpoint = client.endpoint
    if ctx.options.offline:
        return EndpointFacts(endpoint, _("not checked (--offline)"))
    if not client.usable_url:
        return EndpointFacts(endpoint, _("not checked: huggingface_hub's endpoint {endpoint} is malformed "
                                         "(see above)").format(endpoint=repr(endpoint)))
    ctx.say(_("hfenv: checking {endpoint}...").format(endpoint=endpoint))
    check = check_endpoint(endpoint, ctx.options.timeout, client.trust)
    if check["ok"]:
        return EndpointFacts(endpoint, check=check)
    also = None
    if layers.new_value is not None and normalized(layers.new_value) != normalized(endpoint):
        url = normalized(layers.new_value)
        also = Endpoint(layers.names.get(url) or name_for_url(url, {}), url)
    jobs = {"probe": lambda: _fallback_probe(ctx.options, endpoint, known_endpoints, ctx.say, also)}
    if also is not None:  # judged by its own direct check; the probe only suggests alternatives
        jobs["also"] = lambda: check_endpoint(also.url, ctx.options.timeout, client.trust)
    done = run_together(jobs)
    return EndpointFacts(endpoint, check=check, probed=True, alternatives=done["probe"], also=also,
                         also_check=done.get("also"))


def judge(ctx: Context, facts: EndpointFacts) -> list[Finding]:
    layers = ctx.of(LayerFacts)
    shell, saved, names, known = layers.shell, layers.saved, layers.names, layers.known
    endpoint, check, also, alternatives = facts.url, facts.check, facts.also, facts.alternatives
    out = Findings("endpoint")
    if facts.skip_reason:
        out.info("skipped", facts.skip_reason)
        return out.items
    if check["ok"]:
        out.ok("usable", _("{endpoint} answers like a Hub ({ms} ms; {detail})").format(
            endpoint=endpoint, ms=f"{check['latency_ms']:.0f}", detail=local(check["detail"])))
        return out.items
    works = {normalized(r.url) for r in alternatives.results if r.ok} if alternatives else set()
    works = (works | {also.url}) if facts.also_works else works - ({also.url} if also else set())
    chosen = alternatives.chosen if alternatives else None
    what = _("{endpoint} is not usable: {status}: {detail}").format(
        endpoint=named(endpoint, names), status=check["status"], detail=local(check["detail"]))
    stale = also is not None and also.url in works and (saved is None or normalized(saved.url) == also.url)
    if stale:
        # This shell predates the setup: new terminals already get an endpoint that works.
        out.warn("unusable", _("{what}; but that is only this shell: new terminals use {endpoint}, which works "
                               "from here").format(what=what, endpoint=named(also.url, names)),
                 _("open a new terminal, or run `{command}` in this one").format(
                     command=eval_hint(shell, also.url, saved, names)))
    else:
        fix = None  # the next finding says what is left
        if chosen:
            command = chosen.name if chosen.name in known and known[chosen.name] == chosen.url else chosen.url
            fix = _("switch to {endpoint}, which works from here: `hfenv setup --persist --endpoint {name}`, "
                    "then open a new terminal").format(
                endpoint=named(chosen.url, {normalized(chosen.url): chosen.name}), name=arg(command, shell))
            if also is not None and normalized(chosen.url) == also.url:
                fix = _("new terminals already use {endpoint}, which works from here: open one, or run "
                        "`{command}` in this one").format(endpoint=named(also.url, names),
                                                          command=eval_hint(shell, also.url, saved, names))
        out.error("unusable", what, fix)
    if alternatives is not None:
        for result in alternatives.results:
            level = "ok" if result.ok else "info"
            out.add(level, "alternative", _("probed {name} ({url}): {status}").format(
                name=result.name, url=result.url, status=result.status)
                + (_(", {ms} ms").format(ms=f"{result.latency_ms:.0f}") if result.latency_ms else "")
                + (_("; {detail}").format(detail=local(result.detail)) if result.detail else ""))
    if not chosen and not facts.also_works:
        out.error("nothing-usable", _("no Hugging Face endpoint is usable from here: not the Hub, not a mirror"),
                  _("fix the network (proxy, captive portal), or use ModelScope"))
        switches = _(", ").join(_("{assignment} ({tool})").format(assignment=f"{n}={v}", tool=tool)
                                for n, v, tool in MODELSCOPE_SWITCHES)
        out.info("modelscope", _("fallback: ModelScope (modelscope.cn) hosts many of the same models; tools "
                                 "that support it switch with {switches}. hfenv does not set these: model names "
                                 "and revisions differ between the two hubs").format(switches=switches))
    return out.items


def record(facts: EndpointFacts) -> dict:
    probe = {"probe": facts.alternatives.to_json() if facts.alternatives else None} if facts.probed else {}
    check = {**facts.check, "checked": True} if facts.check else {"url": facts.url, "checked": False}
    also = {"new_shells_endpoint": facts.also_check} if facts.also_check else {}
    return {**probe, "endpoint": check, **also}


SECTION = Section("endpoint", N_("The endpoint"), gather, judge, record)
