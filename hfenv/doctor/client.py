"""Section "client": what huggingface_hub will use, asked of a fresh interpreter (client_script.py)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePath

from ..i18n import N_, Msg, _, local
from .context import CLIENT_TIMEOUT, Context, Section
from .report import Finding, Findings
from .values import DEFAULT_ENDPOINT, normalized, truthy, value_problem


def script(name: str) -> str:
    """The text of one of the programs doctor runs in a fresh interpreter (client_script.py, download_script.py)."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


CHILD_OUTPUT_CAP = 1024 * 1024  # the scripts print one JSON line of a few KiB


@dataclass
class Ran:
    """What a child (doctor's --python) printed, at most CHILD_OUTPUT_CAP per stream."""

    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    too_big: bool = False  # it printed more than the cap, and was killed

    def last_line(self) -> str:
        lines = self.stdout.decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""

    def last_words(self) -> str:
        from ..hubcheck import clean

        lines = self.stderr.decode("utf-8", "replace").strip().splitlines()
        return clean(lines[-1], 600) if lines else Msg("exit status {code}", code=self.returncode)


def run_child(argv: list[str], timeout: float, env: Mapping[str, str], cwd: str | None = None) -> Ran:
    """Run `argv`, reading its output incrementally: killed past `timeout` or past the cap.

    OSError if it cannot start."""
    import threading

    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=dict(env), cwd=cwd)
    got = {"stdout": bytearray(), "stderr": bytearray()}
    over = threading.Event()

    def drain(name: str, stream) -> None:
        buffer = got[name]
        while True:
            chunk = stream.read1(65536)
            if not chunk:
                return
            if len(buffer) + len(chunk) > CHILD_OUTPUT_CAP:
                over.set()
                process.kill()
                return
            buffer += chunk

    readers = [threading.Thread(target=drain, args=(n, s), daemon=True)
               for n, s in (("stdout", process.stdout), ("stderr", process.stderr))]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        process.kill()
        process.wait()
    for reader in readers:
        reader.join(2.0)  # a grandchild holding the pipe open must not hold doctor
    for stream in (process.stdout, process.stderr):
        stream.close()
    return Ran(process.returncode, bytes(got["stdout"]), bytes(got["stderr"]), timed_out and not over.is_set(),
               over.is_set())


def last_json_object(ran: Ran) -> dict | None:
    """The JSON object on the child's last line; None for anything else (deep nesting included)."""
    try:
        data = json.loads(ran.last_line())
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


# The client script's answer, field by field: anything of another type means doctor could not ask the client.
_TEXT = ("python", "python_version", "raw_endpoint", "error", "version", "endpoint", "hf_home", "hub_cache",
         "xet_cache", "token_path", "hf_xet_version", "token_source", "token_file_problem")
_FLAGS = ("offline", "disable_xet", "disable_implicit_token", "hf_xet", "socksio")
_NAMES = ("token_present", "token_blank")


def answer_problem(data: dict) -> str | None:
    """Why the client script's answer cannot be believed (a field of the wrong type), or None."""
    for key, value in data.items():
        if key in _TEXT and not (value is None or isinstance(value, str)):
            return Msg("its {key} is not text", key=repr(key))
        if key in _FLAGS and not isinstance(value, bool):
            return Msg("its {key} is not true/false", key=repr(key))
        if key in _NAMES and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            return Msg("its {key} is not a list of names", key=repr(key))
        if key == "libraries" and not (isinstance(value, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items())):
            return Msg("its {key} is not a table of versions", key=repr(key))
    return None


def ask_client(python: str, timeout: float = CLIENT_TIMEOUT) -> dict:
    """What huggingface_hub computes from this environment, asked of a fresh interpreter.

    Its "error" is data (--json, and compared by text): a Msg, shown with local()."""
    try:
        ran = run_child([python, "-c", script("client_script.py")], timeout, os.environ)
    except OSError as exc:
        return {"python": python, "error": Msg("cannot run {python}: {reason}", python=python,
                                               reason=str(exc.strerror or exc))}
    if ran.timed_out:
        return {"python": python, "error": Msg("{python} did not answer within {seconds} s", python=python,
                                               seconds=f"{timeout:g}")}
    if ran.too_big:
        return {"python": python, "error": Msg("{python} printed more than {size} KiB: not the answer doctor "
                                               "asked for", python=python, size=CHILD_OUTPUT_CAP // 1024)}
    data = last_json_object(ran)
    if data is None:
        return {"python": python, "error": Msg("{python} exited {code}: {words}", python=python,
                                               code=ran.returncode, words=ran.last_words())}
    problem = answer_problem(data)
    if problem:
        return {"python": python, "error": Msg("{python} gave an answer doctor cannot use ({problem})",
                                               python=python, problem=problem)}
    if data.get("error"):
        from ..hubcheck import clean

        data["error"] = clean(data["error"], 600)
    return data


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
        out.error("unavailable", _("huggingface_hub could not be asked: {error}").format(error=local(client["error"])),
                  _("install it for that Python: `{python} -m pip install -U huggingface_hub`").format(python=python)
                  if missing else _("check the interpreter (`hfenv doctor --python PATH` asks another one)"))
        endpoint = client.get("endpoint") or DEFAULT_ENDPOINT
    else:
        endpoint = client.get("endpoint")
        source = f"HF_ENDPOINT={raw!r}" if raw is not None else _("the default: HF_ENDPOINT is not set")
        out.ok("endpoint", _("huggingface_hub {version} (in {python}) will use {endpoint}, from {source}").format(
            version=client.get("version"), python=python, endpoint=repr(endpoint), source=source))
        expected = normalized(raw) if raw is not None else DEFAULT_ENDPOINT
        if endpoint != expected:
            out.warn("endpoint-overridden", _("huggingface_hub uses {endpoint} although HF_ENDPOINT gives "
                                              "{expected} (HUGGINGFACE_CO_STAGING?)").format(
                endpoint=repr(endpoint), expected=repr(expected)),
                     _("unset {variable}").format(variable="HUGGINGFACE_CO_STAGING"))
    if raw is not None:
        problem = value_problem(raw)
        if problem:
            out.add(problem[0], "malformed" if problem[0] == "error" else "plain-http",
                    _("HF_ENDPOINT in this process: {problem}").format(problem=problem[1]), problem[2])
    out.info("import-time", _("HF_ENDPOINT is read once, when huggingface_hub is imported: setting "
                              "os.environ['HF_ENDPOINT'] after `import transformers` or `import datasets` has "
                              "no effect; set it before Python starts (restart a notebook's kernel after "
                              "changing it)"))
    offline = [n for n in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE") if truthy(env.get(n))]
    if offline:
        out.warn("offline", _("{names} is on: clients never contact the endpoint and only read "
                              "what is already in the cache").format(names=", ".join(offline)),
                 _("unset {names} to download").format(names=" ".join(offline)))
    if not client.get("error"):
        if client.get("disable_xet"):
            out.info("xet-disabled", _("HF_HUB_DISABLE_XET is on: Xet-backed files download over plain HTTP"))
        elif client.get("hf_xet"):
            out.ok("hf-xet", _("hf_xet {version} is installed: Xet-backed files download through Xet storage")
                   .format(version=client.get("hf_xet_version") or "").replace("  ", " "))
        else:
            out.info("no-hf-xet", _("hf_xet is not installed: Xet-backed files download over plain HTTP "
                                    "from the redirect's host (slower)"),
                     _("`pip install hf_xet` for faster downloads"))
    libraries = client.get("libraries") or {}
    if libraries:
        listing = ", ".join(f"{k} {v}" for k, v in libraries.items())
        out.info("libraries", _("also installed there: {listing} (each reads HF_ENDPOINT through huggingface_hub "
                                "or on its own, at import time)").format(listing=listing))
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

    ctx.say(_("hfenv: asking a fresh interpreter what huggingface_hub will use..."))
    answer = ask_client(ctx.options.python)
    if answer.get("token_path"):
        ctx.secrets = tuple(dict.fromkeys(ctx.secrets + stored_secrets(ctx.env, ctx.home, answer["token_path"])))
    if answer.get("error"):
        answer = {**fallback_client(ctx.env, ctx.home), **answer}
    return ClientFacts(answer, ctx.env.get("HF_ENDPOINT"), client_trust(answer))


def judge(ctx: Context, facts: ClientFacts) -> list[Finding]:
    return judge_client(facts.answer, ctx.env)


SECTION = Section("client", N_("What huggingface_hub will use"), gather, judge, lambda facts: {"client": facts.answer})
