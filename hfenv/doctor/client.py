"""Section "client": what huggingface_hub will use, asked of a fresh interpreter (client_script.py)."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePath
from typing import Mapping

from .context import CLIENT_TIMEOUT, Context, Section
from .report import Finding, Findings
from .values import DEFAULT_ENDPOINT, normalized, truthy, value_problem


def script(name: str) -> str:
    """The text of one of the programs doctor runs in a fresh interpreter (client_script.py, download_script.py)."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def ask_client(python: str, timeout: float = CLIENT_TIMEOUT) -> dict:
    """What huggingface_hub computes from this environment, asked of a fresh interpreter."""
    try:
        done = subprocess.run([python, "-c", script("client_script.py")], capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=dict(os.environ))
    except subprocess.TimeoutExpired:
        return {"python": python, "error": f"{python} did not answer within {timeout:g} s"}
    except OSError as exc:
        return {"python": python, "error": f"cannot run {python}: {exc.strerror or exc}"}
    try:
        data = json.loads(done.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
        if not isinstance(data, dict):
            raise ValueError
        return data
    except (ValueError, IndexError):
        words = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return {"python": python, "error": f"{python} exited {done.returncode}: {words[-1] if words else 'no output'}"}


def fallback_client(env: Mapping[str, str], home: PurePath) -> dict:
    """huggingface_hub's rules, applied here, for when no interpreter could answer."""
    from .. import persist

    hf_home = persist.hf_home(env, home)
    raw = env.get("HF_ENDPOINT")
    return {
        "endpoint": normalized(raw) if raw is not None else DEFAULT_ENDPOINT,
        "hf_home": hf_home,
        "hub_cache": os.path.expanduser(env.get("HF_HUB_CACHE") or env.get("HUGGINGFACE_HUB_CACHE")
                                        or os.path.join(hf_home, "hub")),
        "xet_cache": env.get("HF_XET_CACHE") or os.path.join(hf_home, "xet"),
        "token_path": str(persist.token_file(env, home)),
    }



def judge_client(client: dict, env: Mapping[str, str]) -> list[Finding]:
    out = Findings("client")
    raw = env.get("HF_ENDPOINT")
    python = client.get("python") or "python"
    if client.get("error"):
        missing = "ModuleNotFoundError" in client["error"] or "ImportError" in client["error"]
        out.error("unavailable", f"huggingface_hub could not be asked: {client['error']}",
                  f"install it for that Python: `{python} -m pip install -U huggingface_hub`" if missing
                  else "check the interpreter (`hfenv doctor --python PATH` asks another one)")
        endpoint = client.get("endpoint") or DEFAULT_ENDPOINT
    else:
        endpoint = client.get("endpoint")
        source = f"HF_ENDPOINT={raw!r}" if raw is not None else "the default: HF_ENDPOINT is not set"
        out.ok("endpoint", f"huggingface_hub {client.get('version')} (in {python}) will use {endpoint!r}, "
                           f"from {source}")
        expected = normalized(raw) if raw is not None else DEFAULT_ENDPOINT
        if endpoint != expected:
            out.warn("endpoint-overridden", f"huggingface_hub uses {endpoint!r} although HF_ENDPOINT gives "
                                            f"{expected!r} (HUGGINGFACE_CO_STAGING?)",
                     "unset HUGGINGFACE_CO_STAGING")
    if raw is not None:
        problem = value_problem(raw)
        if problem:
            out.add(problem[0], "malformed" if problem[0] == "error" else "plain-http",
                    f"HF_ENDPOINT in this process: {problem[1]}", problem[2])
    out.info("import-time", "HF_ENDPOINT is read once, when huggingface_hub is imported: setting "
                            "os.environ['HF_ENDPOINT'] after `import transformers` or `import datasets` has "
                            "no effect; set it before Python starts (restart a notebook's kernel after "
                            "changing it)")
    offline = [n for n in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE") if truthy(env.get(n))]
    if offline:
        out.warn("offline", f"{', '.join(offline)} is on: clients never contact the endpoint and only read "
                            "what is already in the cache", f"unset {' '.join(offline)} to download")
    if not client.get("error"):
        if client.get("disable_xet"):
            out.info("xet-disabled", "HF_HUB_DISABLE_XET is on: Xet-backed files download over plain HTTP")
        elif client.get("hf_xet"):
            out.ok("hf-xet", f"hf_xet {client.get('hf_xet_version') or ''} is installed: Xet-backed files "
                             "download through Xet storage".replace("  ", " "))
        else:
            out.info("no-hf-xet", "hf_xet is not installed: Xet-backed files download over plain HTTP "
                                  "from the redirect's host (slower)", "`pip install hf_xet` for faster downloads")
    libraries = client.get("libraries") or {}
    if libraries:
        listing = ", ".join(f"{k} {v}" for k, v in libraries.items())
        out.info("libraries", f"also installed there: {listing} (each reads HF_ENDPOINT through huggingface_hub "
                              "or on its own, at import time)")
    return out.items



def client_trust(client: dict):
    """The certificate trust of the huggingface_hub the fresh interpreter reported."""
    from .. import hubcheck

    return hubcheck.client_trust(client.get("version") if not client.get("error") else hubcheck.hub_version())



@dataclass
class ClientFacts:
    """The interpreter's answer (or huggingface_hub's rules applied here) and the endpoint it gives."""

    answer: dict  # client_script.py's JSON; with "error" when it could not be asked
    process: str | None  # HF_ENDPOINT in this process
    trust: object  # hubcheck.Trust of that huggingface_hub

    @property
    def endpoint(self) -> str:
        return self.answer.get("endpoint") or DEFAULT_ENDPOINT

    @property
    def usable_url(self) -> bool:
        problem = value_problem(self.endpoint)
        return problem is None or problem[0] == "warn"

    def to_json(self) -> dict:
        """The report's "endpoint": what clients here use, and why."""
        return {"url": self.endpoint, "source": "process" if self.process is not None else "default",
                "raw": self.process}


def gather(ctx: Context) -> ClientFacts:
    from .tokens import stored_secrets

    ctx.say("hfenv: asking a fresh interpreter what huggingface_hub will use...")
    answer = ask_client(ctx.options.python)
    if answer.get("token_path"):
        ctx.secrets = tuple(dict.fromkeys(ctx.secrets + stored_secrets(ctx.env, ctx.home, answer["token_path"])))
    if answer.get("error"):
        answer = {**fallback_client(ctx.env, ctx.home), **answer}
    return ClientFacts(answer, ctx.env.get("HF_ENDPOINT"), client_trust(answer))


def judge(ctx: Context, facts: ClientFacts) -> list[Finding]:
    return judge_client(facts.answer, ctx.env)


SECTION = Section("client", "What huggingface_hub will use", gather, judge, lambda facts: {"client": facts.answer})
