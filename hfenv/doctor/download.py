"""Section "download": the end-to-end proof, one hf_hub_download in a fresh interpreter (download_script.py)."""

from __future__ import annotations

import os
import re
import tempfile

from ..i18n import N_, Msg, _, local
from .client import ClientFacts, last_json_object, run_child, script
from .context import SMALL_FILE, TEST_REPO, Context, Section
from .endpoint import EndpointFacts
from .report import Finding, Findings
from .tokens import TokenFacts
from .values import is_official, truthy

# Hub-check statuses where the endpoint answered: huggingface_hub's own error says more about these.
ANSWERED = ("not_a_hub", "http_error", "redirect_offsite", "rate_limited")

_TOKEN_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH")


def run_download(python: str, endpoint: str, timeout: float, send_token: bool, token_path: str | None) -> dict:
    """hf_hub_download of one tiny public file in a fresh interpreter, into a temporary cache."""
    # One attempt (see DOWNLOAD_SCRIPT): the interpreter's start, the metadata request and the file.
    budget = 10.0 + 3 * timeout
    with tempfile.TemporaryDirectory(prefix="hfenv-doctor-") as tmp:
        env = dict(os.environ)
        # The offline switches stay: the proof runs as every client here would (diagnose does not
        # start it when HF_HUB_OFFLINE is on).
        for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_XET_CACHE", "HF_ASSETS_CACHE"):
            env.pop(name, None)
        env.update(HF_ENDPOINT=endpoint, HF_HOME=tmp, HF_HUB_ETAG_TIMEOUT=f"{timeout:g}",
                   HF_HUB_DOWNLOAD_TIMEOUT=f"{timeout:g}", HF_HUB_DISABLE_PROGRESS_BARS="1")
        if send_token:
            if token_path and "HF_TOKEN_PATH" not in env:
                env["HF_TOKEN_PATH"] = token_path  # HF_HOME moved; the token file did not
        else:
            for name in _TOKEN_VARS:
                env.pop(name, None)
            env["HF_HUB_DISABLE_IMPLICIT_TOKEN"] = "1"
        try:
            ran = run_child([python, "-c", script("download_script.py"), TEST_REPO, SMALL_FILE], budget, env,
                            cwd=tmp)
        except OSError as exc:
            return {"ran": True, "ok": False, "chain": [["OSError", _outside(str(exc))]], "token_sent": send_token}
    if ran.timed_out:
        log = ran.stderr.decode("utf-8", "replace").splitlines()
        retried = [_outside(line.strip()) for line in log if "thrown while requesting" in line][-1:]
        return {"ran": True, "ok": False, "timed_out": True, "seconds": budget,
                "chain": [["retrying", line] for line in retried], "token_sent": send_token}
    data = last_json_object(ran) if not ran.too_big else None
    data = _checked(data) if data is not None else None
    if data is None:
        why = Msg("{python} printed more than 1 MiB", python=python) if ran.too_big else ran.last_words()
        data = {"ok": False, "chain": [["error", why]]}
    data["ran"] = True
    data["token_sent"] = send_token
    return data


def _checked(data: dict) -> dict | None:
    """The download script's answer, typed and with every message cleaned (they quote servers); None if odd."""
    chain = data.get("chain", [])
    if not isinstance(chain, list) or not all(
            isinstance(link, list) and len(link) == 2 and all(isinstance(x, str) for x in link) for link in chain):
        return None
    number = (int, float)
    if not isinstance(data.get("ok"), bool) or any(
            key in data and (not isinstance(data[key], number) or isinstance(data[key], bool))
            for key in ("size", "seconds")):
        return None
    out = {"ok": data["ok"], "chain": [[_outside(kind), _outside_lines(message)] for kind, message in chain[:8]]}
    out.update({key: data[key] for key in ("size", "seconds") if key in data})
    if "retried" in data:
        out["retried"] = bool(data["retried"])
    return out


def explain_download_error(chain: list, token_sent: bool = False) -> tuple[str, str]:
    """(what went wrong in words, fix) from huggingface_hub's exception chain (in the user's language)."""
    text = " ".join(f"{kind} {message}" for kind, message in chain)
    if "X-Repo-Commit" in text:
        return (_("the answer has no X-Repo-Commit header: this endpoint is not a Hub (a captive portal, a login "
                  "page or a plain web server answered)"),
                _("log in to the network, or choose a working endpoint (`hfenv probe`)"))
    if "OfflineModeIsEnabled" in text:
        return (_("offline mode is on"), _("unset {variable}").format(variable="HF_HUB_OFFLINE"))
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSLError" in text or "SSL:" in text:
        return (_("the certificate is not trusted; huggingface_hub (httpx) reads SSL_CERT_FILE or SSL_CERT_DIR, "
                  "not REQUESTS_CA_BUNDLE"), "export SSL_CERT_FILE=/path/to/your-ca-bundle.pem")
    if "ProxyError" in text or "proxy" in text.lower():
        return (_("the proxy failed"), _("check HTTPS_PROXY / HTTP_PROXY / NO_PROXY"))
    if re.search(r"GatedRepo|\b401\b", text):
        if token_sent:
            return (_("authentication was refused (401): an invalid token is sent with every request"),
                    _("`hf auth login` again, or unset HF_TOKEN"))
        return (_("authentication was refused (401) although no token was sent: this endpoint wants a login "
                  "even for public files (a private mirror), or the repo is gated there"),
                _("ask the endpoint's administrator for access, or choose another endpoint (`hfenv probe`)"))
    if "RepositoryNotFound" in text or "EntryNotFound" in text or re.search(r"\b404\b", text):
        return (_("404: the endpoint does not have that repo (not a Hub, or a wrong path prefix in HF_ENDPOINT)"),
                _("check the endpoint URL"))
    if re.search(r"\b403\b", text):
        return (_("403: forbidden (blocked, or a private mirror)"), _("ask the endpoint's administrator"))
    match = re.search(r"\b(5\d\d)\b", text)
    if match:
        return (_("the endpoint answered {code}, a server error (huggingface_hub would retry it)").format(
            code=match.group(1)), _("try again later, or choose another endpoint (`hfenv probe`)"))
    if re.search(r"ConnectError|ConnectTimeout|Timeout|ConnectionError|Name or service|resolve", text):
        return (_("the endpoint could not be reached"), _("check the network, proxy and name resolution"))
    return (_("see huggingface_hub's message below"), _("check the endpoint (`hfenv probe`)"))


def _outside(text: str) -> str:
    """A message that may quote a server (huggingface_hub's errors do): no control characters."""
    from ..hubcheck import clean

    return clean(text, 600)


def _outside_lines(text: str) -> str:
    """_outside, line by line: huggingface_hub's first line is its summary."""
    return "\n".join(_outside(line) for line in text[:2000].splitlines()[:20])


def judge_download(facts: dict, endpoint: str) -> list[Finding]:
    out = Findings("download")
    if facts.get("refused"):
        out.error("offline", _("not run: {variable} is on, so huggingface_hub refuses every download and "
                               "only reads what is already in the cache").format(variable=facts["refused"]),
                  _("unset {variable}").format(variable=facts["refused"]))
        return out.items
    if not facts.get("ran"):
        out.info("skipped", local(facts.get("reason")) or _("not run: `hfenv doctor --download` fetches one tiny file "
                                                     "with huggingface_hub as the end-to-end proof"))
        return out.items
    what = f"{TEST_REPO}/{SMALL_FILE}"
    if facts.get("ok"):
        out.ok("ok", _("huggingface_hub downloaded {file} ({size} bytes) through {endpoint} in {seconds} s").format(
            file=what, size=facts.get("size"), endpoint=endpoint, seconds=f"{facts.get('seconds', 0):.1f}"))
    elif facts.get("timed_out"):
        chain = facts.get("chain") or []
        why, fix = explain_download_error(chain, facts.get("token_sent", False)) if chain \
            else ("", _("choose a working endpoint (`hfenv probe`)"))
        message = _("huggingface_hub did not finish downloading {file} within {seconds} s").format(
            file=what, seconds=f"{facts['seconds']:g}")
        out.error("timeout", _("{message} ({why})").format(message=message, why=why) if why else message, fix)
        if chain:
            out.info("client-error", _("huggingface_hub said: {message}").format(
                message=_outside(local(chain[-1][1]))))
    else:
        chain = facts.get("chain") or []
        why, fix = explain_download_error(chain, facts.get("token_sent", False))
        out.error("failed", _("huggingface_hub could not download {file} through {endpoint}: {why}").format(
            file=what, endpoint=endpoint, why=why), fix)
        if chain:
            kind, message = chain[0]
            message = local(message)
            first = message.strip().splitlines()[0] if message.strip() else ""
            out.info("client-error", _("huggingface_hub said: {message}").format(
                message=f"{_outside(kind.rsplit('.', 1)[-1])}: {_outside(first)}"))
    if facts.get("ran") and facts.get("token_withheld"):
        out.info("no-token", _("the test download ran without the token (a public file; the token is not sent "
                               "to a third party to prove it)"))
    return out.items



def gather(ctx: Context) -> dict:
    options, client, checked = ctx.options, ctx.of(ClientFacts), ctx.of(EndpointFacts)
    state, check = ctx.of(TokenFacts).state, checked.check
    if not options.download:
        return {"ran": False}
    if options.offline:
        return {"ran": False, "reason": _("not run (--offline)")}
    if not client.usable_url:
        return {"ran": False, "reason": checked.skip_reason}
    send = state.value is not None and (is_official(client.endpoint, options.official_url) or options.check_token)
    if client.answer.get("offline") or truthy(ctx.env.get("HF_HUB_OFFLINE")):
        return {"ran": False, "refused": "HF_HUB_OFFLINE"}
    if check is not None and not check["ok"] and check["status"] not in ANSWERED:
        # huggingface_hub would meet the same failure the Hub check met; only an endpoint
        # that answers (not like a Hub, or with an HTTP error) gets its own explanation.
        return {"ran": False, "reason": _("not run: the endpoint check already failed ({status}); "
                                          "huggingface_hub would fail the same way").format(status=check["status"])}
    ctx.say(_("hfenv: downloading {file} with huggingface_hub...").format(file=f"{TEST_REPO}/{SMALL_FILE}"))
    download = run_download(options.python, client.endpoint, options.timeout, send, client.answer.get("token_path"))
    download["token_withheld"] = state.in_effect is not None and not send
    return download


def judge(ctx: Context, facts: dict) -> list[Finding]:
    return judge_download(facts, ctx.of(ClientFacts).endpoint)


SECTION = Section("download", N_("End-to-end download"), gather, judge, lambda facts: {"download": facts})
