"""Section "token": which token huggingface_hub sends, who sees it, and whether it is valid."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from ..i18n import N_, Msg, _, local
from ..persist import third_party_token
from .client import ClientFacts
from .context import Context, Section
from .endpoint import EndpointFacts
from .report import MIN_SECRET, Finding, Findings
from .values import failed, host_of, is_official, truthy


def check_whoami(url: str, token: str, timeout: float, trust=None) -> dict:
    """GET /api/whoami-v2 with the token; the answer's status and account name only (a capped body)."""
    from .. import hubcheck

    s = hubcheck.session("doctor")
    target = f"{url}/api/whoami-v2"
    try:
        with hubcheck.Watch(time.monotonic() + timeout) as watch:
            answer = hubcheck.request(s, "GET", target, watch, headers={"Authorization": f"Bearer {token}"},
                                      body_cap=hubcheck.BODY_CAP, trust=trust, proxy=hubcheck.proxy_for(target))
    except (hubcheck.Failure, hubcheck.ProxyError) as exc:
        return {"status": None, "detail": failed(exc)}
    finally:
        s.close()
    name = None
    if answer.code == 200:
        try:
            body = json.loads(answer.body.decode("utf-8"))
            name = body.get("name") if isinstance(body, dict) and isinstance(body.get("name"), str) else None
        except ValueError:
            name = None
    return {"status": answer.code, "name": None if name is None else hubcheck.clean(name, 100)}



@dataclass
class TokenState:
    """Which token huggingface_hub sends, as the fresh interpreter says: names and paths only."""

    sources: list[str]  # where a token is stored ($HF_TOKEN, $HUGGING_FACE_HUB_TOKEN, the token file)
    in_effect: str | None  # the one huggingface_hub sends; "unknown" when it could not be asked
    blank: list[str]  # variables that are set but blank
    value: str | None = field(default=None, repr=False)  # the value of in_effect, for the checks only
    file_problem: str | None = None  # "PATH is a FIFO...": a token file no client can read

    def to_json(self) -> dict:
        return {"present": self.in_effect is not None, "source": self.in_effect, "sources": self.sources}


def _clean_token(text: str | None) -> str | None:
    if text is None:
        return None
    return text.replace("\r", "").replace("\n", "").strip() or None


# The fresh interpreter's words (client_script.py runs elsewhere: its answer is data), as Msgs to show.
_FILE_SOURCE = "the token file "
_FILE_PROBLEMS = {
    "is not a regular file (a FIFO, a device or a directory)":
        lambda path: Msg("{path} is not a regular file (a FIFO, a device or a directory)", path=path),
    "is larger than 64 KiB": lambda path: Msg("{path} is larger than 64 KiB", path=path),
}


def _source_words(text):
    """A token source named by client_script.py, as a Msg (its value: the same English text)."""
    if not isinstance(text, str):
        return text
    if text.startswith(_FILE_SOURCE):
        return Msg("the token file {path}", path=text[len(_FILE_SOURCE):])
    if text == "an OIDC token exchange ($HF_OIDC_RESOURCE)":
        return Msg("an OIDC token exchange ($HF_OIDC_RESOURCE)")
    return text


def _file_problem_words(text):
    if isinstance(text, str):
        for words, message in _FILE_PROBLEMS.items():
            if text.endswith(" " + words):
                return message(text[:-len(words) - 1])
    return text


def token_state(client: dict, env: Mapping[str, str]) -> TokenState:
    """The token in effect, from the fresh interpreter's answer (it applies huggingface_hub's own rules).

    Only the value of the source it names is read here, to check it; without an
    answer (no huggingface_hub) no client sends a token, and doctor says so.
    """
    if client.get("error"):
        return TokenState([], None, [], None)
    source = client.get("token_source")
    value = None
    if source in ("$HF_TOKEN", "$HUGGING_FACE_HUB_TOKEN"):
        value = _clean_token(env.get(source[1:]))
    elif source and source.startswith(_FILE_SOURCE) and client.get("token_path"):
        from ..files import read_text

        try:
            value = _clean_token(read_text(client["token_path"]))
        except OSError:
            value = None
    present = [_source_words(s) for s in client.get("token_present") or []]
    return TokenState(present, _source_words(source), list(client.get("token_blank") or []), value,
                      _file_problem_words(client.get("token_file_problem")))


def stored_secrets(env: Mapping[str, str], home: PurePath, token_path: str | None = None) -> tuple[str, ...]:
    """Every token stored for huggingface_hub here (variables, token file, stored_tokens), for redaction only."""
    from .. import persist
    from ..files import read_text

    found = [_clean_token(env.get(name)) for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")]
    files = [persist.token_file(env, home)] + ([Path(token_path)] if token_path else [])
    stored = Path(env.get("HF_STORED_TOKENS_PATH") or files[0].parent / "stored_tokens")
    for path in files:
        try:
            found.append(_clean_token(read_text(path)[:4096]))
        except OSError:  # absent, or not a small regular file
            pass
    try:  # an INI file: [name] sections with hf_token = value
        for line in read_text(stored).splitlines()[:1000]:
            key, sep, value = line.partition("=")
            if sep and key.strip() == "hf_token":
                found.append(_clean_token(value))
    except OSError:
        pass
    return tuple(dict.fromkeys(t for t in found if t))


def judge_token(state: TokenState, endpoint: str, official_url: str, env: Mapping[str, str],
                check: dict | None, reason_unchecked: str | None) -> list[Finding]:
    out = Findings("token")
    host = host_of(endpoint)
    shown_source = local(state.in_effect)
    if env.get("HF_OIDC_RESOURCE"):
        out.info("oidc", _("HF_OIDC_RESOURCE is set: huggingface_hub first exchanges a CI OIDC token, "
                           "before any stored token"))
    for name in state.blank:
        out.info("blank", _("${name} is set but blank: huggingface_hub does not use it").format(name=name))
    if state.file_problem:
        fix = (_("unset HF_TOKEN_PATH, or point it at a regular file") if env.get("HF_TOKEN_PATH") else
               _("replace it with a regular file: `hf auth login` writes one"))
        out.error("file-unreadable", _("the token file {problem}: huggingface_hub would hang or run "
                                       "out of memory reading it (hfenv did not read it)").format(
            problem=local(state.file_problem)), fix)
        if state.in_effect is None:
            return out.items
    if state.blank and "$HUGGING_FACE_HUB_TOKEN" in state.sources and state.in_effect != "$HUGGING_FACE_HUB_TOKEN":
        out.warn("legacy-ignored", _("$HUGGING_FACE_HUB_TOKEN holds a token, but huggingface_hub never reads it "
                                     "while $HF_TOKEN is set, even blank"),
                 _("unset HF_TOKEN, or put the token in it"))
    if state.in_effect == "unknown":
        out.info("unknown", _("could not tell which token huggingface_hub sends (this version reads it differently)"))
        return out.items
    if state.in_effect is None:
        out.ok("none", _("no token is stored: public repos download without one; gated and private repos "
                         "need `hf auth login`"))
        return out.items
    out.ok("present", _("a token is set, from {source} (its value is never shown)").format(source=shown_source))
    if state.value is not None and len(state.value) < MIN_SECRET:
        out.warn("malformed", _("the token in {source} looks malformed: far shorter than a Hugging Face "
                                "token (hf_ and 34 characters); it is never shown").format(source=shown_source),
                 _("`hf auth login` with a token from https://huggingface.co/settings/tokens"))
    for other in state.sources:
        if other != state.in_effect and not (state.blank and other == "$HUGGING_FACE_HUB_TOKEN"):
            out.info("shadowed", _("{other} holds a token too; {source} wins").format(
                other=local(other), source=shown_source))
    third_party = not is_official(endpoint, official_url)
    if third_party:
        if truthy(env.get("HF_HUB_DISABLE_IMPLICIT_TOKEN")):
            out.ok("not-sent", _("HF_HUB_DISABLE_IMPLICIT_TOKEN is on: the token is not sent to {host} unless "
                                 "a program passes it explicitly").format(host=host))
        else:
            out.warn("third-party", *third_party_token(endpoint))
    if check is None:
        if reason_unchecked:
            out.info("not-checked", reason_unchecked)
        return out.items
    status = check.get("status")
    if status == 200:
        out.ok("valid", (_("the token is valid on {host} (account {account})") if check.get("name") else
                         _("the token is valid on {host}")).format(host=host, account=check.get("name")))
    elif status == 401:
        out.error("invalid", _("{host} refuses the token (401): huggingface_hub sends it with every request, "
                               "and with an invalid token even public downloads fail").format(host=host),
                  _("`hf auth login` with a fresh token (https://huggingface.co/settings/tokens), or remove "
                    "{source}").format(source=shown_source))
    else:
        detail = local(check.get("detail")) or _("answered {status}").format(status=status)
        out.warn("unchecked", _("could not check the token on {host}: {detail}").format(host=host, detail=detail))
    return out.items



@dataclass
class TokenFacts:
    state: TokenState
    endpoint: str
    whoami: dict | None = None  # check_whoami's answer, None when not checked
    unchecked: str | None = None  # why the validity was not checked


def gather(ctx: Context) -> TokenFacts:
    client, checked = ctx.of(ClientFacts), ctx.of(EndpointFacts)
    endpoint, options = client.endpoint, ctx.options
    facts = TokenFacts(token_state(client.answer, ctx.env), endpoint)
    if options.offline:
        facts.unchecked = _("validity not checked (--offline)")
    elif not checked.reachable:
        facts.unchecked = _("validity not checked: the endpoint is not usable")
    elif facts.state.value is not None:
        if is_official(endpoint, options.official_url) or options.check_token:
            ctx.say(_("hfenv: checking the token..."))
            facts.whoami = check_whoami(endpoint, facts.state.value, options.timeout, client.trust)
        else:
            facts.unchecked = _("validity not checked: that would send the token to {host}; "
                                "`hfenv doctor --check-token` checks it there anyway").format(host=host_of(endpoint))
    return facts


def judge(ctx: Context, facts: TokenFacts) -> list[Finding]:
    return judge_token(facts.state, facts.endpoint, ctx.options.official_url, ctx.env, facts.whoami, facts.unchecked)


def record(facts: TokenFacts) -> dict:
    valid = None if facts.whoami is None else facts.whoami.get("status") == 200
    return {"token": {**facts.state.to_json(), "valid": valid,
                      "checked_at": host_of(facts.endpoint) if facts.whoami is not None else None}}


SECTION = Section("token", N_("Token"), gather, judge, record)
