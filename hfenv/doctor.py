"""`hfenv doctor`: what every Hugging Face client on this machine will actually do (SPEC 6).

The result is data: a list of :class:`Finding` (section, level, code, message,
fix) plus plain facts per section. ``format_report`` turns it into the human
report (one verdict line per section, then the details); ``Report.to_json``
is the ``--json`` shape (the README's section "hfenv doctor" documents both).

**Levels.** ``ok``: as it should be. ``info``: worth knowing, nothing to do.
``warn``: works, but something deserves attention (a third party sees the
token, plain http, low disk). ``error``: something breaks downloads or leaves
shells disagreeing; any error makes the exit status 1, warnings alone do not.

**The effective endpoint** is what huggingface_hub computes from this
process's environment: ``HF_ENDPOINT`` with a trailing slash removed, else
https://huggingface.co. It is asked of a fresh interpreter (``--python``
picks another one), since the variable is read once, at import time: a
process that already imported huggingface_hub (or transformers, datasets)
keeps what it read then. Every network check uses that endpoint.

**Token policy.** The token's value never leaves this module except in the
``Authorization`` header of one request, and every byte printed is scrubbed
of it (and of any 8-character piece of it) anyway. Its validity is checked
(``GET /api/whoami-v2``) only against the official Hub, or against a
third-party endpoint when ``--check-token`` says so: sending the token to a
mirror is exactly what the third-party warning is about. ``--download``
sends the token only where the validity check would; elsewhere it downloads
the public test file without it.

**Network.** ``--offline`` makes no request at all. Otherwise every request
goes through :mod:`hfenv.hubcheck`: each is bounded by ``timeout`` as wall
time (redirects included), bodies are capped, a redirect to another origin is
never followed (its host is reported, nothing is sent there), and
certificates are trusted as the client's huggingface_hub trusts them. The
network checks end within about 4 x ``timeout`` (README, "Time bound"). The
fallback probe (when the effective endpoint is not usable) probes the catalog
and the user's endpoints, or the ``--candidate`` endpoints given.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Callable, Collection, Iterable, Mapping
from urllib.parse import urlsplit

from .endpoints import (
    CATALOG, OFFICIAL, PUBLIC_FILE, PUBLIC_REPO, Endpoint, EndpointError, check_url, name_for_url,
)

LEVELS = ("ok", "info", "warn", "error")
# The verdict of a section is its first finding of the highest rank: a note (info) never hides an ok.
_VERDICT_RANK = {"info": 0, "ok": 1, "warn": 2, "error": 3}

SECTIONS = {
    "layers": "Where HF_ENDPOINT is set",
    "client": "What huggingface_hub will use",
    "endpoint": "The endpoint",
    "token": "Token",
    "large_files": "Large files (LFS/Xet)",
    "download": "End-to-end download",
    "network": "Proxies and certificates",
    "storage": "Cache and disk",
    "tools": "git, git-lfs and the hf CLI",
}

DEFAULT_ENDPOINT = CATALOG[OFFICIAL]
DEFAULT_TIMEOUT = 5.0
CLIENT_TIMEOUT = 30.0
# A public repo every Hub and mirror has: a tiny file for --download, a large (LFS/Xet) one to follow.
TEST_REPO, SMALL_FILE = PUBLIC_REPO, PUBLIC_FILE  # the file the probe checks
LARGE_FILE = "model.safetensors"
LOW_DISK = 10 * 1024**3  # a 7B model in 16 bits is about 15 GB
SCHEMA_VERSION = 1
# Hub-check statuses where the endpoint answered: huggingface_hub's own error says more about these.
ANSWERED = ("not_a_hub", "http_error", "redirect_offsite")
MIN_SECRET = 8  # redaction removes every piece this long of a token; a real token is 37 characters
MODELSCOPE_SWITCHES = (("USE_MODELSCOPE_HUB", "1", "LLaMA-Factory"), ("VLLM_USE_MODELSCOPE", "true", "vLLM"))
# Hosts where the Hub keeps file bytes; a mirror that hands large files there depends on them.
HF_STORAGE_SUFFIXES = ("huggingface.co", "hf.co")


# ---- findings and the report ---------------------------------------------------


@dataclass(frozen=True)
class Finding:
    section: str
    level: str
    code: str
    message: str
    fix: str | None = None

    def __post_init__(self):
        if self.level not in LEVELS or self.section not in SECTIONS:
            raise ValueError(f"bad finding {self.section}/{self.level}")

    def to_json(self) -> dict:
        return {"section": self.section, "level": self.level, "code": self.code,
                "message": self.message, "fix": self.fix}


@dataclass
class Report:
    endpoint: dict  # {"url", "source", "raw"}
    findings: list[Finding]
    facts: dict
    offline: bool = False
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def needs_action(self) -> bool:
        return any(f.level == "error" for f in self.findings)

    @property
    def exit_status(self) -> int:
        return 1 if self.needs_action else 0

    def in_section(self, section: str) -> list[Finding]:
        return [f for f in self.findings if f.section == section]

    def verdict(self, section: str) -> Finding | None:
        found = self.in_section(section)
        if not found:
            return None
        top = max(_VERDICT_RANK[f.level] for f in found)
        return next(f for f in found if _VERDICT_RANK[f.level] == top)

    def sections(self) -> list[dict]:
        out = []
        for section, title in SECTIONS.items():
            verdict = self.verdict(section)
            if verdict is not None:
                out.append({"id": section, "title": title, "level": verdict.level, "verdict": verdict.message})
        return out

    def counts(self) -> dict[str, int]:
        return {level: sum(f.level == level for f in self.findings) for level in LEVELS}

    def to_json(self) -> dict:
        return {
            "schema": SCHEMA_VERSION,
            "exit_status": self.exit_status,
            "needs_action": self.needs_action,
            "offline": self.offline,
            "endpoint": self.endpoint,
            "counts": self.counts(),
            "sections": self.sections(),
            "findings": [f.to_json() for f in self.findings],
            "facts": self.facts,
        }

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def to_safe_json(self) -> dict:
        """to_json() with every string redacted, ready for json.dumps."""
        return redact_data(self.to_json(), self.secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    """text without any 8-character piece of a secret: one pass over the original text.

    Every place where a piece occurs is found in `text` as given, overlapping
    places are merged, and each merged span becomes "[redacted]" once; the
    result is never searched again, so the marker cannot feed a new match.
    Secrets shorter than MIN_SECRET are not searched for: no real token is that
    short (doctor reports such a token as malformed), and replacing a word like
    "true" everywhere would corrupt the report, not protect anything. Doctor
    never prints a token's value itself; this is the second line of defence.
    """
    pieces = {secret[i:i + MIN_SECRET] for secret in secrets if len(secret) >= MIN_SECRET
              for i in range(len(secret) - MIN_SECRET + 1)}
    if not pieces or not text:
        return text
    spans = []
    for piece in pieces:
        start = text.find(piece)
        while start >= 0:
            spans.append((start, start + len(piece)))
            start = text.find(piece, start + 1)
    if not spans:
        return text
    spans.sort()
    out, kept, end = [], 0, -1
    for start, stop in spans:
        if start > end:
            if end >= 0:
                out.append("[redacted]")
            out.append(text[kept:start])
        end = max(end, stop)
        kept = end
    out.append("[redacted]")
    out.append(text[kept:])
    return "".join(out)


def redact_data(data, secrets: tuple[str, ...]):
    """The same JSON-like data with every string (keys too) redacted: the structure never changes."""
    if isinstance(data, str):
        return redact(data, secrets)
    if isinstance(data, dict):
        return {redact_data(k, secrets) if isinstance(k, str) else k: redact_data(v, secrets)
                for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [redact_data(v, secrets) for v in data]
    return data


class _Findings:
    """Collects findings for one section."""

    def __init__(self, section: str):
        self.section = section
        self.items: list[Finding] = []

    def add(self, level: str, code: str, message: str, fix: str | None = None) -> None:
        self.items.append(Finding(self.section, level, f"{self.section}.{code}", message, fix))

    def ok(self, code: str, message: str, fix: str | None = None) -> None:
        self.add("ok", code, message, fix)

    def info(self, code: str, message: str, fix: str | None = None) -> None:
        self.add("info", code, message, fix)

    def warn(self, code: str, message: str, fix: str | None = None) -> None:
        self.add("warn", code, message, fix)

    def error(self, code: str, message: str, fix: str | None = None) -> None:
        self.add("error", code, message, fix)


# ---- values --------------------------------------------------------------------


def normalized(value: str) -> str:
    """What huggingface_hub makes of a value: the value without trailing slashes."""
    return value.rstrip("/")


def value_problem(raw: str) -> tuple[str, str, str] | None:
    """(level, what is wrong, fix) for an HF_ENDPOINT value, or None when it is fine."""
    if raw == "":
        return ("error", "it is set but empty: huggingface_hub then builds URLs without a host and every "
                "download fails", "unset it (the official Hub is the default) or give a URL")
    if raw != raw.strip():
        return ("error", f"{raw!r} has spaces around it: clients use the value verbatim, and a URL starting "
                "or ending with a space does not work", f"write it without the spaces: {raw.strip()}")
    if "://" not in raw:
        guess = f"https://{raw.rstrip('/')}"
        return ("error", f"{raw!r} has no scheme: clients need a full URL", f"write {guess}")
    slash = raw.endswith("/")
    try:
        url, warnings = check_url(raw)
    except EndpointError as exc:
        return ("error", f"{raw!r} is not a usable endpoint URL: {exc}", "give a plain https:// URL "
                "(`hfenv endpoints` lists the known ones)")
    if slash:
        return ("error", f"{raw!r} ends with a slash: huggingface_hub drops it, but the datasets library "
                "builds `//` URLs from it that mirrors answer with 404", f"write {url}")
    if warnings:
        return ("warn", f"{raw} uses plain http: traffic, and any token sent with it, travels unencrypted",
                "use https:// if the endpoint offers it")
    return None


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def is_official(url: str, official_url: str) -> bool:
    from .endpoints import is_official_url

    return is_official_url(url, official_url)


def _s(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


# ---- layers: where HF_ENDPOINT is set ----------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One line that sets, exports or unsets HF_ENDPOINT."""

    where: str  # "file", "windows-user", "windows-machine"
    label: str  # "~/.bashrc:3"
    value: str | None  # None: this line unsets it, or only exports it
    path: str | None = None
    line: int | None = None
    in_block: bool | None = None  # inside hfenv's marker block
    shells: tuple[str, ...] = ()  # the shells that read it; () = every new program
    dynamic: bool = False  # computed when the shell starts ($VAR, $(...)); value is the text
    hfenv_target: bool = False  # a place `hfenv setup --persist` writes
    action: str = "set"  # "set", "unset", or "export" (exports what an earlier line assigned)
    exported: bool | None = True  # for "set": True exports it, False does not, None keeps what it was

    def applies_to(self, shell: str | None) -> bool:
        return shell is None or not self.shells or shell in self.shells

    @property
    def assigns(self) -> bool:
        return self.action == "set" and self.value is not None

    def to_json(self) -> dict:
        return {"where": self.where, "label": self.label, "value": self.value, "path": self.path,
                "line": self.line, "in_block": self.in_block, "shells": list(self.shells),
                "dynamic": self.dynamic, "hfenv_target": self.hfenv_target, "action": self.action,
                "exported": self.exported}


# Where startup files set HF_ENDPOINT: one reader for doctor, detect and setup (hfenv.startup).
from .startup import (NAME, StartupPlace, parse_line, shell_commands,  # noqa: E402,F401 (doctor's names)
                      startup_places)


def read_settings(places: list[StartupPlace], home: PurePath) -> tuple[list[Setting], list[tuple[str, str]]]:
    """The HF_ENDPOINT lines of each file (in read order), and (label, problem) for files doctor could not judge."""
    from .startup import read_places

    lines, problems = read_places(places)
    settings = [Setting(
        where="file", label=f"{pretty_path(line.path, home)}:{line.line}", value=line.value, path=line.path,
        line=line.line, in_block=line.in_block, shells=line.shells, dynamic=line.dynamic,
        hfenv_target=line.hfenv_target, action=line.action, exported=line.exported,
    ) for line in lines]
    return settings, [(pretty_path(path, home), problem) for path, problem in problems]


def read_windows_environment(host) -> tuple[list[Setting], list[tuple[str, str]]]:
    """HF_ENDPOINT in the Windows machine and user environment (the user's wins), through persist's seam."""
    from . import persist

    settings, problems = [], []
    for where, (hive, key), label in (("windows-machine", persist.MACHINE_ENVIRONMENT,
                                       "Windows machine environment"),
                                      ("windows-user", persist.USER_ENVIRONMENT, "Windows user environment")):
        try:
            found = host.read_value(hive, key, "HF_ENDPOINT")
        except OSError as exc:
            problems.append((label, f"cannot read {hive}\\{key}: {exc}"))
            continue
        if found is not None:
            value = str(found[0])
            settings.append(Setting(where=where, label=label, value=value, path=f"{hive}\\{key}",
                                    dynamic="%" in value, hfenv_target=True))
    return settings, problems


def pretty_path(path, home: PurePath) -> str:
    text, home_text = str(path), str(home)
    if home_text and (text == home_text or text.startswith(home_text.rstrip("/\\") + os.sep)):
        return "~" + text[len(home_text.rstrip("/\\")):]
    return text


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _labels(settings: list[Setting]) -> str:
    return _join(list(dict.fromkeys(s.label for s in settings)))


def _shown(value: str) -> str:
    """A value in a sentence: quoted when spaces (or nothing) would hide where it starts or ends."""
    return value if value and value == value.strip() and " " not in value else repr(value)


def _arg(value: str, shell: str | None = None) -> str:
    """A value as one argument of a command in a fix, quoted for the user's shell when it needs it."""
    from . import shells

    if re.fullmatch(r"[A-Za-z0-9_./:@%+,=~-]+", value):
        return value
    try:
        return shells.get(shell or "sh").quote(value)
    except (shells.UnknownShell, shells.UnsafeValue):
        import shlex

        return shlex.quote(value)


def final_settings(settings: list[Setting]) -> list[Setting]:
    """Per file (or environment), the assignment that wins: the last one."""
    last: dict[str, Setting] = {}
    for setting in settings:
        if setting.assigns:
            last[setting.path or setting.label] = setting
    return list(last.values())


def new_shell_value(settings: list[Setting], shell: str | None) -> tuple[Setting | None, Setting | None]:
    """What a new `shell` ends with, reading `settings` in order: (the assignment whose value it
    exports, or None; the assignment it keeps as an unexported shell variable, or None)."""
    current, exported = None, False
    for setting in settings:
        if not setting.applies_to(shell):
            continue
        if setting.action == "unset":
            current, exported = None, False
        elif setting.action == "export":
            exported = True
        elif setting.value is not None:
            current = setting
            if setting.exported is not None:
                exported = setting.exported
    return (current, None) if exported else (None, current)


def _eval_hint(shell: str | None, value: str | None, saved: Endpoint | None,
               names: Mapping[str, str] | None = None) -> str:
    """The line that sets `value` in the shell already open (by its name where it has one)."""
    from . import shells

    hint = 'eval "$(hfenv shell)"'
    if shell:
        try:
            hint = shells.get(shell).eval_hint
        except shells.UnknownShell:
            pass
    if value is not None and (saved is None or normalized(saved.url) != normalized(value)):
        name = (names or {}).get(normalized(value))
        hint = hint.replace("hfenv shell", f"hfenv shell --endpoint {_arg(name or value, shell)}", 1)
    return hint


def _named(value: str, names: Mapping[str, str] | None) -> str:
    """An endpoint in a sentence: `hf-mirror (https://hf-mirror.com)` where it has a name."""
    name = (names or {}).get(normalized(value))
    return f"{name} ({_shown(value)})" if name else _shown(value)


def _export_line(setting: Setting) -> str | None:
    """The line that would export this assignment, from the shell's own template."""
    from . import render, shells

    try:
        [line] = render.render_lines(shells.get(setting.shells[0]), [("HF_ENDPOINT", setting.value)], key="persist")
    except Exception:  # an unknown shell, a value no line can carry, a template without a persist line
        return None
    return line


def judge_layers(settings: list[Setting], process: str | None, shell: str | None, saved: Endpoint | None,
                 saved_problem: str | None, problems: list[tuple[str, str]], platform_system: str,
                 unusable: Collection[str] = (), names: Mapping[str, str] | None = None) -> list[Finding]:
    """Where HF_ENDPOINT is set, and whether the places agree (pure).

    `settings` come in the order a new shell reads them: the last exported
    assignment a shell reads is what its programs get. This shell is compared
    with that value only; shells whose own files set it are compared with each
    other; a place that every shell reading it overrides later is only noted.

    A shell opened before the files changed (right after `hfenv setup`) is a
    warning: new shells get the right value, and the fix is a new terminal or
    the eval line. It is an error when new shells get a value that is not the
    saved choice, or one found `unusable` (normalised URLs) just now.
    `names` (normalised URL -> name) names endpoints in messages and fixes.
    """
    out = _Findings("layers")
    own = [shell] + sorted({s.shells[0] for s in settings if s.where == "file" and len(s.shells) == 1} - {shell})
    outcome = {name: new_shell_value(settings, name) for name in own}
    this, this_unexported = outcome[shell]
    winners = {name: won for name, (won, _) in outcome.items() if won is not None and not won.dynamic}
    elsewhere = [s for s in final_settings(settings) if not s.dynamic and s.exported is not False
                 and not s.applies_to(shell)]
    values = list(dict.fromkeys([normalized(s.value) for s in winners.values()]
                                + [normalized(s.value) for s in elsewhere]))
    new_terminal = "open a new terminal" + (" (windows already open keep the old environment)"
                                            if platform_system == "windows" else "")
    where_shell = f"{shell}, your shell," if shell else "this shell"

    def stale(value: str) -> tuple[str, str]:
        """(level, fix) for this shell when new shells get `value`."""
        if normalized(value) in unusable:
            return "error", (f"new terminals would get {_named(value, names)}, which is not usable from here "
                             "(see the endpoint check): choose one that works with "
                             "`hfenv setup --persist --endpoint NAME`")
        fix = f"{new_terminal}, or run `{_eval_hint(shell, value, saved, names)}` in this one"
        if saved is not None and normalized(saved.url) != normalized(value):
            return "error", fix
        return "warn", fix

    def agreeing(won: Setting) -> list[Setting]:
        return [s for s in final_settings(settings) if s.applies_to(shell) and not s.dynamic
                and s.exported is not False and normalized(s.value) == normalized(won.value)]

    distinct = list(dict.fromkeys(winners.values()))
    if len({normalized(s.value) for s in distinct}) > 1:
        listing = "; ".join(f"{s.label} sets {_shown(s.value)}" for s in distinct)
        users = ", ".join(f"{name or 'this shell'} {_shown(s.value)}" for name, s in winners.items())
        by_hand = [s.label for s in distinct if not s.in_block and s.where == "file"]
        fix = "keep one: `hfenv setup --persist --endpoint NAME|URL` (with --shell for each shell you use) " \
              "rewrites hfenv's blocks"
        if by_hand:
            fix += f"; lines outside hfenv's block ({', '.join(by_hand)}) must be edited by hand"
        out.error("files-disagree", f"the startup files disagree: {listing}; new shells use different "
                                    f"endpoints ({users})", fix)

    if this is not None and this.dynamic:
        out.info("computed", f"{this.label}, read last by {shell or 'this shell'}, computes HF_ENDPOINT when the shell "
                             f"starts ({this.value}): doctor cannot compare it with this shell")
    elif process is None:
        if this is not None:
            level, fix = stale(this.value)
            out.add(level, "not-in-process", f"set in {_labels(agreeing(this))} but not in this shell: "
                                             f"programs started here use {DEFAULT_ENDPOINT}, new "
                                             f"terminals use {_named(this.value, names)}", fix)
        elif elsewhere or winners:
            others = [s for s in elsewhere + list(winners.values())]
            names = sorted({n for s in others for n in s.shells}) or ["other programs"]
            value = others[-1].value
            out.error("other-shells-only", f"set for {', '.join(names)} ({_labels(others)}) but not for "
                                           f"{where_shell} nor in this process: new {shell or 'terminals'} "
                                           f"use {DEFAULT_ENDPOINT}, the others {_shown(value)}",
                      f"`hfenv setup --persist --shell {shell or 'NAME'} --endpoint {_arg(value, shell)}` "
                      "(or remove those lines if they are stale)")
        elif this_unexported is None:
            out.ok("unset", f"HF_ENDPOINT is set nowhere: every client uses the official Hub {DEFAULT_ENDPOINT}")
    else:
        keep = f"`hfenv setup --persist --endpoint {_arg(normalized(process), shell)}`"
        if this is None and not elsewhere and not winners:
            out.warn("process-only", f"HF_ENDPOINT={_shown(process)} is set in this shell only: new terminals, "
                                     "cron jobs and `ssh host command` will not see it", f"to keep it: {keep}")
        elif this is not None and normalized(this.value) != normalized(process):
            value = this.value
            level, fix = stale(value)
            if fix.startswith(new_terminal):
                fix = (f"to use {_named(value, names)} here: {new_terminal} or run "
                       f"`{_eval_hint(shell, value, saved, names)}`; to keep {_shown(normalized(process))}: {keep}")
            out.add(level, "process-differs", f"this shell has HF_ENDPOINT={_shown(process)}, but {this.label}, "
                                              f"read last by {shell or 'this shell'}, sets {_shown(value)}: new "
                                              f"terminals will use {_named(value, names)}", fix)
        elif this is None:
            only = _labels(elsewhere or list(winners.values()))
            unexported = f"; {this_unexported.label} assigns it without exporting it" if this_unexported else ""
            out.error("not-for-this-shell", f"this shell has HF_ENDPOINT={_shown(process)}, but none of the "
                                            f"startup files of {where_shell} exports it (only {only}{unexported}): "
                                            f"new {shell or 'terminals'} use {DEFAULT_ENDPOINT}",
                      f"`hfenv setup --persist --shell {shell or 'NAME'} "
                      f"--endpoint {_arg(normalized(process), shell)}`")
        else:
            out.ok("agree", f"{_join(['this shell'] + [s.label for s in agreeing(this)])} agree: {_shown(process)}")

    for name, (_, unexported) in outcome.items():
        if unexported is not None:
            line = _export_line(unexported) if unexported.shells else None
            out.warn("not-exported", f"{unexported.label} assigns HF_ENDPOINT={_shown(unexported.value)} without "
                                     f"exporting it: {name or 'the shell'} keeps it to itself, and the programs it "
                                     "starts (python, hf, git) do not see it",
                     f"write `{line}` instead" if line else "export it")
    for setting in settings:
        if not setting.assigns or setting.dynamic or setting.exported is False:
            continue
        readers = [n for n in own if setting.applies_to(n)]
        later = [outcome[n][0] for n in readers]
        if readers and all(w is not setting and w is not None and w.path != setting.path
                           and normalized(w.value) != normalized(setting.value) for w in later):
            out.info("overridden", f"{setting.label} sets {_shown(setting.value)}, but "
                                   f"{_labels([w for w in later if w is not None])}, read later, "
                                   f"override{'s' if len({w.label for w in later}) == 1 else ''} it")

    for setting in settings:
        malformed = value_problem(setting.value) if setting.assigns and not setting.dynamic else None
        if malformed and malformed[0] == "error":
            out.error("malformed", f"{setting.label} sets a malformed value: {malformed[1]}", malformed[2])
    for setting in settings:
        out.add(*_describe(setting))
    multiple: dict[str, list[Setting]] = {}
    for setting in settings:
        if setting.assigns:
            multiple.setdefault(setting.path or setting.label, []).append(setting)
    for group in multiple.values():
        if len({s.value for s in group}) > 1:
            out.warn("same-file-twice", f"{_labels(group)} assign HF_ENDPOINT more than once: the last one "
                                        f"({group[-1].label}) wins", "keep one assignment")
    for label, problem in problems:
        out.warn("unreadable", f"{label}: {problem}")

    if saved_problem:
        # `hfenv shell` and `setup` stop on it (exit 1), so it needs action here too.
        out.error("saved-choice-unreadable", f"hfenv's config is damaged: {saved_problem}",
                  "edit the key named, or `hfenv endpoints add|remove NAME` / `hfenv setup --endpoint NAME`")
    elif saved is None:
        out.info("no-saved-choice", "hfenv has no saved choice (`hfenv setup` saves one; `hfenv shell` "
                                    "without --endpoint probes instead)")
    else:
        effective = normalized(process) if process is not None else DEFAULT_ENDPOINT
        # When the saved choice matches the process or the files, the findings above already say it all.
        if normalized(saved.url) != effective and normalized(saved.url) not in values:
            out.warn("saved-differs", f"hfenv's saved choice is {saved.name} ({saved.url}), but clients here "
                                      f"use {_shown(effective)}: `hfenv shell` without --endpoint gives {saved.url}",
                     "run `hfenv setup --persist --endpoint NAME|URL` with the one you want: it updates both")
        else:
            out.ok("saved-choice", f"hfenv's saved choice: {saved.name} ({saved.url})")
    return out.items


def _describe(setting: Setting) -> tuple[str, str, str, str | None]:
    """A detail line for one place (level, code, message, fix)."""
    readers = ", ".join(setting.shells) if setting.shells else "every new program"
    if setting.action == "unset":
        return ("info", "unsets", f"{setting.label} unsets HF_ENDPOINT (read by {readers})", None)
    if setting.action == "export":
        return ("info", "exports", f"{setting.label} exports HF_ENDPOINT, assigned before it (read by {readers})",
                None)
    if setting.dynamic:
        return ("info", "dynamic", f"{setting.label} computes HF_ENDPOINT when the shell starts "
                                   f"({setting.value}); doctor cannot tell its value (read by {readers})", None)
    exported = {True: "", False: ", not exported", None: ", exported only if an earlier line exports it"}[
        setting.exported]
    if setting.where == "file":
        if setting.in_block:
            where = "hfenv's block"
        elif setting.hfenv_target:
            where = "outside hfenv's block: `hfenv setup`/`reset` leave this line alone"
        else:
            where = "a file hfenv does not manage"
        level = "ok" if setting.in_block else "info"
        return (level, "place", f"{setting.label} ({where}; read by {readers}{exported}): {_shown(setting.value)}",
                None)
    return ("ok", "place", f"{setting.label}: {_shown(setting.value)} (every new program)", None)


# ---- the client: a fresh interpreter ----------------------------------------------

CLIENT_SCRIPT = r"""
import importlib.util, json, os, sys
out = {"python": sys.executable, "python_version": sys.version.split()[0],
       "raw_endpoint": os.environ.get("HF_ENDPOINT")}
def version(dist):
    try:
        from importlib.metadata import version as v
        return v(dist)
    except Exception:
        return None
def clean(text):
    return None if text is None else (text.replace("\r", "").replace("\n", "").strip() or None)
def file_problem(path):
    # A FIFO would hang the read, /dev/zero would fill the memory: look at the open file first.
    import stat
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return "is not a regular file (a FIFO, a device or a directory)"
        if st.st_size > 65536:
            return "is larger than 64 KiB"
    finally:
        os.close(fd)
    return None
def token_source(c):
    # Names only, never a value. huggingface_hub's own readers, without get_token(): that one may
    # refresh an OAuth token (a request, and a write) or run an OIDC exchange.
    present = ["$" + n for n in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN") if clean(os.environ.get(n))]
    blank = [n for n in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN") if n in os.environ and not clean(os.environ[n])]
    try:
        from huggingface_hub.utils import _auth as a
    except Exception:
        a = None
    path = getattr(c, "HF_TOKEN_PATH", None)
    problem = path and file_problem(path)
    try:
        in_file = bool(path and not problem and clean(open(path, encoding="utf-8", errors="replace").read(65537)))
    except OSError:
        in_file = False
    if in_file:
        present.append("the token file " + path)
    source = None
    if os.environ.get("HF_OIDC_RESOURCE"):
        source = "an OIDC token exchange ($HF_OIDC_RESOURCE)"
    elif a is None or not hasattr(a, "_get_token_from_environment") or not hasattr(a, "_get_token_from_file"):
        source = "unknown"
    elif a._get_token_from_environment():
        source = "$HF_TOKEN" if os.environ.get("HF_TOKEN") else "$HUGGING_FACE_HUB_TOKEN"
    elif problem:
        source = None
    else:
        try:
            source = "the token file " + path if a._get_token_from_file() else None
        except OSError:
            source = None
    return {"token_source": source, "token_present": present, "token_blank": blank,
            "token_file_problem": ("%s %s" % (path, problem)) if problem and source is None else None}
try:
    import huggingface_hub
    from huggingface_hub import constants as c
except Exception as exc:
    out["error"] = "%s: %s" % (type(exc).__name__, exc)
else:
    g = lambda *names: next((getattr(c, n) for n in names if hasattr(c, n)), None)
    out.update(
        version=getattr(huggingface_hub, "__version__", None), endpoint=g("ENDPOINT"),
        hf_home=g("HF_HOME"), hub_cache=g("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"),
        xet_cache=g("HF_XET_CACHE"), token_path=g("HF_TOKEN_PATH"),
        offline=bool(g("HF_HUB_OFFLINE")), disable_xet=bool(g("HF_HUB_DISABLE_XET")),
        disable_implicit_token=bool(g("HF_HUB_DISABLE_IMPLICIT_TOKEN")),
    )
    out.update(token_source(c))
out["hf_xet"] = importlib.util.find_spec("hf_xet") is not None
out["hf_xet_version"] = version("hf_xet") or version("hf-xet")
out["socksio"] = importlib.util.find_spec("socksio") is not None
out["libraries"] = {d: version(d) for d in ("transformers", "datasets", "diffusers", "sentence-transformers")
                    if version(d)}
print(json.dumps(out))
"""


def ask_client(python: str, timeout: float = CLIENT_TIMEOUT) -> dict:
    """What huggingface_hub computes from this environment, asked of a fresh interpreter."""
    try:
        done = subprocess.run([python, "-c", CLIENT_SCRIPT], capture_output=True, timeout=timeout,
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
    from . import persist

    hf_home = os.path.expanduser(env.get("HF_HOME") or os.path.join(
        env.get("XDG_CACHE_HOME") or os.path.join(str(home), ".cache"), "huggingface"))
    raw = env.get("HF_ENDPOINT")
    return {
        "endpoint": normalized(raw) if raw is not None else DEFAULT_ENDPOINT,
        "hf_home": hf_home,
        "hub_cache": os.path.expanduser(env.get("HF_HUB_CACHE") or env.get("HUGGINGFACE_HUB_CACHE")
                                        or os.path.join(hf_home, "hub")),
        "xet_cache": env.get("HF_XET_CACHE") or os.path.join(hf_home, "xet"),
        "token_path": str(persist.token_file(env, home)),
    }


def _truthy(value: str | None) -> bool:
    return (value or "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def judge_client(client: dict, env: Mapping[str, str]) -> list[Finding]:
    out = _Findings("client")
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
    offline = [n for n in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE") if _truthy(env.get(n))]
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


# ---- network checks ------------------------------------------------------------------


def client_trust(client: dict):
    """The certificate trust of the huggingface_hub the fresh interpreter reported."""
    from . import hubcheck

    return hubcheck.client_trust(client.get("version") if not client.get("error") else hubcheck.hub_version())


def _failed(exc: Exception) -> str:
    """A proxy variable that cannot be parsed (hubcheck.ProxyError) or a request's Failure, in words."""
    return getattr(exc, "detail", None) or str(exc)


def check_endpoint(url: str, timeout: float, trust=None) -> dict:
    """The probe's Hub check, once: does `url` answer like a Hub? Over within `timeout`, wall time."""
    from . import hubcheck

    deadline = time.monotonic() + timeout
    try:
        proxy = hubcheck.proxy_for(hubcheck.hub_check_url(url))
    except hubcheck.ProxyError as exc:
        return {"url": url, "status": "proxy", "detail": str(exc), "latency_ms": None, "proxy": None, "ok": False}
    sample = hubcheck.hub_check(url, deadline, proxy, purpose="doctor", trust=trust)
    return {"url": url, "status": sample.verdict.status, "detail": sample.verdict.detail,
            "latency_ms": round(sample.ms, 1), "proxy": proxy, "ok": sample.verdict.status == "ok"}


def follow_large_file(url: str, timeout: float, use_xet: bool, trust=None) -> dict:
    """Where the bytes of a large file come from through `url`, as huggingface_hub would find out.

    HEAD of the file's resolve URL, following same-origin redirects only (as
    huggingface_hub does); an answer that redirects elsewhere names the host
    the bytes come from, without any request to it (an ambiguous Location is
    an error). For a Xet-backed file, and with hf_xet in use, the Xet token
    route names the storage host instead. Nothing is downloaded; the HEAD and
    the Xet route share one deadline, `timeout` from now.
    """
    from . import hubcheck

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
        facts.update(kind="error", status=None, detail=_failed(exc))
    finally:
        s.close()
    return facts


def _xet_storage(s, watch, endpoint: str, route: str, trust) -> dict:
    from . import hubcheck

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
        return {"xet_error": _failed(exc)}
    cas = answer.header("X-Xet-Cas-Url")
    if answer.code != 200 or not cas:
        return {"xet_error": f"the Xet token route answered {answer.code} without X-Xet-Cas-Url"}
    return {"xet_host": host_of(cas), "xet_url": cas.rstrip("/")}


def reach(url: str, timeout: float, trust=None) -> dict:
    """Whether a host answers at all (any HTTP status counts): a HEAD, no redirect followed."""
    from . import hubcheck

    s = hubcheck.session("doctor")
    try:
        hubcheck.origin(url)
        with hubcheck.Watch(time.monotonic() + timeout) as watch:
            answer = hubcheck.request(s, "HEAD", url, watch, trust=trust, proxy=hubcheck.proxy_for(url))
        return {"reachable": True, "status": answer.code}
    except hubcheck.Ambiguous as exc:
        return {"reachable": False, "detail": f"its URL is ambiguous ({exc}): not contacted"}
    except (hubcheck.Failure, hubcheck.ProxyError) as exc:
        return {"reachable": False, "detail": _failed(exc)}
    finally:
        s.close()


def check_whoami(url: str, token: str, timeout: float, trust=None) -> dict:
    """GET /api/whoami-v2 with the token; the answer's status and account name only (a capped body)."""
    from . import hubcheck

    s = hubcheck.session("doctor")
    target = f"{url}/api/whoami-v2"
    try:
        with hubcheck.Watch(time.monotonic() + timeout) as watch:
            answer = hubcheck.request(s, "GET", target, watch, headers={"Authorization": f"Bearer {token}"},
                                      body_cap=hubcheck.BODY_CAP, trust=trust, proxy=hubcheck.proxy_for(target))
    except (hubcheck.Failure, hubcheck.ProxyError) as exc:
        return {"status": None, "detail": _failed(exc)}
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


# ---- the token -----------------------------------------------------------------------


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
    elif source and source.startswith("the token file ") and client.get("token_path"):
        from .files import read_text

        try:
            value = _clean_token(read_text(client["token_path"]))
        except OSError:
            value = None
    return TokenState(list(client.get("token_present") or []), source, list(client.get("token_blank") or []),
                      value, client.get("token_file_problem"))


def stored_secrets(env: Mapping[str, str], home: PurePath, token_path: str | None = None) -> tuple[str, ...]:
    """Every token stored for huggingface_hub here (variables, token file, stored_tokens), for redaction only."""
    from . import persist
    from .files import read_text

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
    out = _Findings("token")
    host = host_of(endpoint)
    if env.get("HF_OIDC_RESOURCE"):
        out.info("oidc", "HF_OIDC_RESOURCE is set: huggingface_hub first exchanges a CI OIDC token, "
                         "before any stored token")
    for name in state.blank:
        out.info("blank", f"${name} is set but blank: huggingface_hub does not use it")
    if state.file_problem:
        fix = ("unset HF_TOKEN_PATH, or point it at a regular file" if env.get("HF_TOKEN_PATH") else
               "replace it with a regular file: `hf auth login` writes one")
        out.error("file-unreadable", f"the token file {state.file_problem}: huggingface_hub would hang or run "
                                     "out of memory reading it (hfenv did not read it)", fix)
        if state.in_effect is None:
            return out.items
    if state.blank and "$HUGGING_FACE_HUB_TOKEN" in state.sources and state.in_effect != "$HUGGING_FACE_HUB_TOKEN":
        out.warn("legacy-ignored", "$HUGGING_FACE_HUB_TOKEN holds a token, but huggingface_hub never reads it "
                                   "while $HF_TOKEN is set, even blank", "unset HF_TOKEN, or put the token in it")
    if state.in_effect == "unknown":
        out.info("unknown", "could not tell which token huggingface_hub sends (this version reads it differently)")
        return out.items
    if state.in_effect is None:
        out.ok("none", "no token is stored: public repos download without one; gated and private repos "
                       "need `hf auth login`")
        return out.items
    out.ok("present", f"a token is set, from {state.in_effect} (its value is never shown)")
    if state.value is not None and len(state.value) < MIN_SECRET:
        out.warn("malformed", f"the token in {state.in_effect} looks malformed: far shorter than a Hugging Face "
                              "token (hf_ and 34 characters); it is never shown",
                 "`hf auth login` with a token from https://huggingface.co/settings/tokens")
    for other in state.sources:
        if other != state.in_effect and not (state.blank and other == "$HUGGING_FACE_HUB_TOKEN"):
            out.info("shadowed", f"{other} holds a token too; {state.in_effect} wins")
    third_party = not is_official(endpoint, official_url)
    if third_party:
        if _truthy(env.get("HF_HUB_DISABLE_IMPLICIT_TOKEN")):
            out.ok("not-sent", f"HF_HUB_DISABLE_IMPLICIT_TOKEN is on: the token is not sent to {host} unless "
                               "a program passes it explicitly")
        else:
            out.warn("third-party", f"with HF_ENDPOINT={endpoint}, every request huggingface_hub makes, token "
                                    f"included, goes to {host}, a third party",
                     "for public downloads: export HF_HUB_DISABLE_IMPLICIT_TOKEN=1 (the token is then sent "
                     "only when a program passes it explicitly)")
    if check is None:
        if reason_unchecked:
            out.info("not-checked", reason_unchecked)
        return out.items
    status = check.get("status")
    if status == 200:
        account = f" (account {check['name']})" if check.get("name") else ""
        out.ok("valid", f"the token is valid on {host}{account}")
    elif status == 401:
        out.error("invalid", f"{host} refuses the token (401): huggingface_hub sends it with every request, "
                             "and with an invalid token even public downloads fail",
                  f"`hf auth login` with a fresh token (https://huggingface.co/settings/tokens), or remove "
                  f"{state.in_effect}")
    else:
        detail = check.get("detail") or f"answered {status}"
        out.warn("unchecked", f"could not check the token on {host}: {detail}")
    return out.items


# ---- large files ----------------------------------------------------------------------


def _hf_storage(host: str) -> bool:
    name = host.split(":")[0].lower()
    return any(name == s or name.endswith("." + s) for s in HF_STORAGE_SUFFIXES)


def judge_large_files(facts: dict, endpoint: str, official_url: str, client: dict) -> list[Finding]:
    out = _Findings("large_files")
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
    size_text = f" ({_size(int(size))})" if size and str(size).isdigit() else ""
    if kind == "served":
        out.ok("served-here", f"large files come from {facts['host']} itself: it answers {what}{size_text} "
                              f"with {facts['status']}")
    else:
        host = facts["host"]
        reach_facts = facts.get("reach") or {}
        how = f"{endpoint} answers {what}{size_text} with a {facts['status']} redirect to {host}"
        if reach_facts.get("reachable"):
            out.ok("redirect", f"large files come from {host}: {how}; {host} answers "
                               f"({reach_facts.get('status')})")
        else:
            out.error("unreachable", f"large files come from {host}, which cannot be reached: "
                                     f"{reach_facts.get('detail')} ({how})",
                      f"{host} must be reachable from here (directly or through HTTPS_PROXY), or use an "
                      "endpoint that serves large files itself")
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
            xet_reach = facts.get("xet_reach") or {}
            host = facts["xet_host"]
            if xet_reach.get("reachable"):
                out.ok("xet-storage", f"the file is Xet-backed: with hf_xet, huggingface_hub fetches its bytes "
                                      f"through {host}, which answers ({xet_reach.get('status')})")
            else:
                out.error("xet-unreachable", f"the file is Xet-backed and hf_xet fetches it through {host}, "
                                             f"which cannot be reached: {xet_reach.get('detail')}",
                          f"make {host} reachable, or set HF_HUB_DISABLE_XET=1 to use the plain redirect")
            if third_party and _hf_storage(host):
                out.info("xet-hf-storage", f"Xet storage ({host}) is Hugging Face's own, whatever the mirror")
    return out.items


# ---- the end-to-end download ------------------------------------------------------------

DOWNLOAD_SCRIPT = r"""
import json, logging, os, sys, time
began = time.monotonic()
class FirstFailure(logging.Handler):
    # huggingface_hub logs "... thrown while requesting ..." before each retry, with growing pauses:
    # one attempt is the proof; report its failure at once instead of retrying for many seconds.
    def emit(self, record):
        message = record.getMessage()
        if "thrown while requesting" in message:
            print(json.dumps({"ok": False, "chain": [["attempt", message[:600]]], "retried": False,
                              "seconds": time.monotonic() - began}), flush=True)
            os._exit(0)
logging.getLogger("huggingface_hub").addHandler(FirstFailure())
logging.getLogger("huggingface_hub.utils._http").setLevel(logging.WARNING)  # whatever HF_HUB_VERBOSITY says
try:
    from huggingface_hub import hf_hub_download
    path = hf_hub_download(sys.argv[1], sys.argv[2])
    print(json.dumps({"ok": True, "size": os.path.getsize(path), "seconds": time.monotonic() - began}))
except BaseException as exc:
    chain, seen, current = [], set(), exc
    while current is not None and id(current) not in seen and len(chain) < 8:
        seen.add(id(current))
        chain.append([type(current).__module__ + "." + type(current).__name__, str(current)[:600]])
        current = current.__cause__ or current.__context__
    print(json.dumps({"ok": False, "chain": chain, "seconds": time.monotonic() - began}))
"""

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
            done = subprocess.run([python, "-c", DOWNLOAD_SCRIPT, TEST_REPO, SMALL_FILE], capture_output=True,
                                  timeout=budget, stdin=subprocess.DEVNULL, env=env, cwd=tmp)
        except subprocess.TimeoutExpired as exc:
            log = (exc.stderr or b"").decode("utf-8", "replace").splitlines()
            retried = [line.strip() for line in log if "thrown while requesting" in line][-1:]
            return {"ran": True, "ok": False, "timed_out": True, "seconds": budget,
                    "chain": [["retrying", line[:600]] for line in retried], "token_sent": send_token}
        except OSError as exc:
            return {"ran": True, "ok": False, "chain": [["OSError", str(exc)]], "token_sent": send_token}
    try:
        data = json.loads(done.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        data = {"ok": False, "chain": [["error", tail[-1] if tail else f"exit status {done.returncode}"]]}
    data["ran"] = True
    data["token_sent"] = send_token
    return data


def explain_download_error(chain: list, token_sent: bool = False) -> tuple[str, str]:
    """(what went wrong in words, fix) from huggingface_hub's exception chain."""
    text = " ".join(f"{kind} {message}" for kind, message in chain)
    if "X-Repo-Commit" in text:
        return ("the answer has no X-Repo-Commit header: this endpoint is not a Hub (a captive portal, a login "
                "page or a plain web server answered)", "log in to the network, or choose a working endpoint "
                                                        "(`hfenv probe`)")
    if "OfflineModeIsEnabled" in text:
        return ("offline mode is on", "unset HF_HUB_OFFLINE")
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSLError" in text or "SSL:" in text:
        return ("the certificate is not trusted; huggingface_hub (httpx) reads SSL_CERT_FILE or SSL_CERT_DIR, "
                "not REQUESTS_CA_BUNDLE", "export SSL_CERT_FILE=/path/to/your-ca-bundle.pem")
    if "ProxyError" in text or "proxy" in text.lower():
        return ("the proxy failed", "check HTTPS_PROXY / HTTP_PROXY / NO_PROXY")
    if re.search(r"GatedRepo|\b401\b", text):
        if token_sent:
            return ("authentication was refused (401): an invalid token is sent with every request",
                    "`hf auth login` again, or unset HF_TOKEN")
        return ("authentication was refused (401) although no token was sent: this endpoint wants a login "
                "even for public files (a private mirror), or the repo is gated there",
                "ask the endpoint's administrator for access, or choose another endpoint (`hfenv probe`)")
    if "RepositoryNotFound" in text or "EntryNotFound" in text or re.search(r"\b404\b", text):
        return ("404: the endpoint does not have that repo (not a Hub, or a wrong path prefix in HF_ENDPOINT)",
                "check the endpoint URL")
    if re.search(r"\b403\b", text):
        return ("403: forbidden (blocked, or a private mirror)", "ask the endpoint's administrator")
    match = re.search(r"\b(5\d\d)\b", text)
    if match:
        return (f"the endpoint answered {match.group(1)}, a server error (huggingface_hub would retry it)",
                "try again later, or choose another endpoint (`hfenv probe`)")
    if re.search(r"ConnectError|ConnectTimeout|Timeout|ConnectionError|Name or service|resolve", text):
        return ("the endpoint could not be reached", "check the network, proxy and name resolution")
    return ("see huggingface_hub's message below", "check the endpoint (`hfenv probe`)")


def _outside(text: str) -> str:
    """A message that may quote a server (huggingface_hub's errors do): no control characters."""
    from .hubcheck import clean

    return clean(text, 600)


def judge_download(facts: dict, endpoint: str) -> list[Finding]:
    out = _Findings("download")
    if facts.get("refused"):
        out.error("offline", f"not run: {facts['refused']} is on, so huggingface_hub refuses every download and "
                             "only reads what is already in the cache", f"unset {facts['refused']}")
        return out.items
    if not facts.get("ran"):
        out.info("skipped", facts.get("reason") or "not run: `hfenv doctor --download` fetches one tiny file "
                                                   "with huggingface_hub as the end-to-end proof")
        return out.items
    what = f"{TEST_REPO}/{SMALL_FILE}"
    if facts.get("ok"):
        out.ok("ok", f"huggingface_hub downloaded {what} ({facts.get('size')} bytes) through {endpoint} in "
                     f"{facts.get('seconds', 0):.1f} s")
    elif facts.get("timed_out"):
        chain = facts.get("chain") or []
        why, fix = explain_download_error(chain, facts.get("token_sent", False)) if chain \
            else ("", "choose a working endpoint (`hfenv probe`)")
        out.error("timeout", f"huggingface_hub did not finish downloading {what} within {facts['seconds']:g} s"
                  + (f" ({why})" if why else ""), fix)
        if chain:
            out.info("client-error", f"huggingface_hub said: {_outside(chain[-1][1])}")
    else:
        chain = facts.get("chain") or []
        why, fix = explain_download_error(chain, facts.get("token_sent", False))
        out.error("failed", f"huggingface_hub could not download {what} through {endpoint}: {why}", fix)
        if chain:
            kind, message = chain[0]
            first = message.strip().splitlines()[0] if message.strip() else ""
            out.info("client-error", f"huggingface_hub said: {_outside(kind.rsplit('.', 1)[-1])}: {_outside(first)}")
    if facts.get("ran") and facts.get("token_withheld"):
        out.info("no-token", "the test download ran without the token (a public file; the token is not sent "
                             "to a third party to prove it)")
    return out.items


# ---- proxies and certificates ------------------------------------------------------------

def proxy_facts(env: Mapping[str, str], endpoint: str | None) -> dict:
    """Proxy variables as they may be shown (never a credential), which one the endpoint uses, the CA."""
    from . import hubcheck

    used, problem = None, None
    if endpoint:
        try:
            used = hubcheck.proxy_for(endpoint)
        except hubcheck.ProxyError as exc:
            problem = str(exc)
        except Exception:  # a malformed endpoint URL: reported by the checks themselves
            used = None
    ca = {name: env[name] for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
          if env.get(name)}
    facts = {"variables": hubcheck.shown_proxies(env), "unparsable": hubcheck.proxy_problems(env),
             "endpoint_proxy": used, "ca": ca}
    if problem:
        facts["endpoint_proxy_problem"] = problem
    return facts


def judge_network(facts: dict, endpoint: str, client: dict) -> list[Finding]:
    out = _Findings("network")
    variables = facts["variables"]
    if not any(not n.lower().startswith("no_") for n in variables):
        out.ok("direct", "no proxy variables: connections go direct")
    elif facts["endpoint_proxy"]:
        out.ok("proxy", f"requests to {host_of(endpoint)} go through the proxy {facts['endpoint_proxy']} "
                        "(huggingface_hub and hfenv both honour the proxy variables)")
    else:
        out.ok("bypass", f"requests to {host_of(endpoint)} bypass the proxy (NO_PROXY)")
    for name, value in variables.items():
        out.info("variable", f"{name}={value}")
    lowered: dict[str, set] = {}
    for name, value in variables.items():
        lowered.setdefault(name.lower(), set()).add(value)
    for name, values in lowered.items():
        if len(values) > 1:
            out.warn("case-differs", f"{name} and {name.upper()} differ: most tools use the lowercase one, some "
                                     "the uppercase", f"give {name} and {name.upper()} the same value")
    socks = [n for n, v in variables.items() if v.lower().startswith("socks")]
    if socks and not client.get("socksio") and not client.get("error"):
        out.error("socks", f"{', '.join(socks)} is a SOCKS proxy, but huggingface_hub's HTTP client needs the "
                           "socksio package for it: downloads fail", "`pip install socksio`")
    for name, why in (facts.get("unparsable") or {}).items():
        out.error("proxy-unparsable", f"{name} cannot be parsed ({why}); its value is not shown: requests "
                                      "through it fail", f"percent-encode the special characters of the "
                                                         f"password in {name}, or fix its host:port")
    ca = facts["ca"]
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if name in ca and not (os.path.isdir if name == "SSL_CERT_DIR" else os.path.isfile)(ca[name]):
            out.error("ca-missing", f"{name}={ca[name]} does not exist: TLS connections fail",
                      f"point {name} at an existing {'directory' if name == 'SSL_CERT_DIR' else 'PEM file'}, "
                      "or unset it")
    version = str(client.get("version") or "")
    if version[:1].isdigit():
        from . import hubcheck

        trust = hubcheck.client_trust(version, ca)
        ignored = [n for n in ca if n not in trust.variables]
        if ignored and not trust.source:
            out.warn("ca-bundle", f"{', '.join(ignored)} is set, but huggingface_hub {version} ({trust.client}) "
                                  f"reads {' or '.join(trust.variables)} instead: a certificate trusted only "
                                  "through it is not trusted by huggingface_hub, nor by hfenv's checks",
                     f"export {trust.advice}={ca[ignored[0]]}")
        elif ca:
            used = f"trusts {trust.source}" if trust.source else "uses its default store"
            out.info("ca", f"certificates: huggingface_hub {version} ({trust.client}) {used}; set: "
                           + ", ".join(f"{k}={v}" for k, v in ca.items()))
    elif ca:
        out.info("ca", "certificates: " + ", ".join(f"{k}={v}" for k, v in ca.items()))
    return out.items


# ---- cache and disk --------------------------------------------------------------------


def storage_facts(client: dict) -> list[dict]:
    out, seen = [], set()
    for name, key in (("HF_HOME", "hf_home"), ("HF_HUB_CACHE", "hub_cache"), ("HF_XET_CACHE", "xet_cache")):
        path = client.get(key)
        if not path or path in seen:
            continue
        seen.add(path)
        existing = Path(path)
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        entry = {"name": name, "path": path, "exists": Path(path).exists(), "checked": str(existing)}
        try:
            entry["free_bytes"] = shutil.disk_usage(existing).free
            entry["device"] = os.stat(existing).st_dev
        except OSError:
            entry["free_bytes"] = None
        entry["writable"] = os.access(existing, os.W_OK | os.X_OK)
        out.append(entry)
    return out


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def judge_storage(entries: list[dict], home: PurePath) -> list[Finding]:
    out = _Findings("storage")
    told_devices = set()
    for entry in entries:
        shown = pretty_path(entry["path"], home)
        free = entry.get("free_bytes")
        state = "" if entry["exists"] else "not created yet; "
        if not entry["writable"]:
            parent = "" if entry["exists"] else f" (nor created: {pretty_path(entry['checked'], home)} is read-only)"
            out.error("not-writable", f"{entry['name']} {shown} cannot be written{parent}: downloads fail",
                      f"fix its permissions, or point {entry['name']} at a writable directory")
            continue
        where = "" if entry["exists"] else f" in {pretty_path(entry['checked'], home)}"
        free_text = f"{_size(free)} free{where}" if free is not None else "free space unknown"
        if free is not None and free < LOW_DISK and entry.get("device") not in told_devices:
            told_devices.add(entry.get("device"))
            out.warn("low-disk", f"{entry['name']} {shown}: only {free_text}; a 7B model needs about 15 GB",
                     f"free space, or point {entry['name']} at a larger disk (`hfenv setup --cache-dir PATH`)")
        else:
            out.ok("path", f"{entry['name']} {shown} ({state}{free_text})")
    return out.items


# ---- tools ------------------------------------------------------------------------------


def _run(argv: list[str], timeout: float = 5.0) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
                              cwd=tempfile.gettempdir())
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace").strip()


def tool_facts(client: dict) -> dict:
    facts: dict = {}
    git = shutil.which("git")
    facts["git"] = {"path": git, "version": (_run([git, "--version"]) or "").replace("git version ", "")} \
        if git else None
    lfs = shutil.which("git-lfs")
    facts["git_lfs"] = {"path": lfs, "version": (_run([lfs, "version"]) or "").split(" (")[0]} if lfs else None
    if git:
        facts["lfs_filter"] = bool(_run([git, "config", "--get", "filter.lfs.process"]))
        rules = []
        for line in (_run([git, "config", "--get-regexp", r"^url\..*\.insteadof$"]) or "").splitlines():
            key, _, value = line.partition(" ")
            base = key[len("url."):-len(".insteadof")] if key.lower().endswith(".insteadof") else key
            if value.startswith(("https://huggingface.co", "http://huggingface.co", "https://hf.co")):
                rules.append({"base": base, "instead_of": value})
        facts["git_rules"] = rules
    hf = shutil.which("hf")
    facts["hf"] = {"path": hf, "runs": _shebang(hf)} if hf else None
    if hf and client.get("python") and facts["hf"]["runs"]:
        try:
            same = os.path.samefile(facts["hf"]["runs"], client["python"])
        except OSError:
            same = False
        facts["hf"]["version"] = client.get("version") if same else None
    legacy = shutil.which("huggingface-cli")
    facts["huggingface_cli"] = legacy
    return facts


def _shebang(path: str) -> str | None:
    """The interpreter a script runs (read, not run: starting the CLI would be slow)."""
    from .files import read_start

    try:
        first = read_start(path, 512).split(b"\n", 1)[0]
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode("utf-8", "replace").split()
    if not words:
        return None
    if os.path.basename(words[0]) == "env" and len(words) > 1:
        return shutil.which(words[-1]) or words[-1]
    return words[0]


def judge_tools(facts: dict, endpoint: str, official_url: str) -> list[Finding]:
    out = _Findings("tools")
    git = facts.get("git")
    if git:
        out.ok("git", f"git {git['version'] or '(version unknown)'} ({git['path']})")
    else:
        out.info("no-git", "git is not on PATH: needed only to `git clone` repos (huggingface_hub does not use it)")
    lfs = facts.get("git_lfs")
    if lfs:
        if git and not facts.get("lfs_filter"):
            out.info("lfs-not-installed", f"{lfs['version'] or 'git-lfs'} is installed but not set up for git: "
                                          "clones get pointer files instead of weights", "`git lfs install`")
        else:
            out.ok("git-lfs", f"{lfs['version'] or 'git-lfs'} ({lfs['path']})")
    elif git:
        out.info("no-git-lfs", "git-lfs is not on PATH: `git clone` of a model repo gets small pointer files "
                               "instead of the weights", "install git-lfs, then `git lfs install`")
    hf = facts.get("hf")
    if hf:
        version = f" (huggingface_hub {hf['version']})" if hf.get("version") else ""
        runs = "" if hf.get("version") or not hf.get("runs") else f", runs {hf['runs']}"
        out.ok("hf", f"the hf CLI: {hf['path']}{version}{runs}")
    else:
        out.info("no-hf", "the hf CLI is not on PATH (it comes with huggingface_hub: "
                          "`pip install -U huggingface_hub`)")
    if facts.get("huggingface_cli") and not hf:
        out.info("legacy-cli", f"huggingface-cli ({facts['huggingface_cli']}) is the old name of `hf`")
    rules = facts.get("git_rules") or []
    mirror = not is_official(endpoint, official_url)
    for rule in rules:
        base = normalized(rule["base"])
        if normalized(base) == normalized(endpoint):
            out.ok("git-mirror", f"`git clone {rule['instead_of']}...` goes to {base} (git's url.insteadOf)")
        else:
            out.warn("git-mirror-differs", f"`git clone {rule['instead_of']}...` goes to {base}, but HF_ENDPOINT "
                                           f"gives {endpoint}",
                     "`hfenv setup --git --endpoint NAME|URL` with the one you want (or `hfenv reset --git`)")
    if mirror and not rules and git:
        out.info("git-direct", f"`git clone https://huggingface.co/...` goes to huggingface.co itself, not to "
                               f"{endpoint}", f"`hfenv setup --git --endpoint {endpoint}` routes it there")
    return out.items


# ---- the whole diagnosis ------------------------------------------------------------------


@dataclass
class Options:
    offline: bool = False
    download: bool = False
    check_token: bool = False
    timeout: float = DEFAULT_TIMEOUT
    python: str = sys.executable
    shell: str | None = None  # the shell whose startup files count as this shell's (None: detected)
    candidates: list[Endpoint] | None = None  # for the fallback probe (None: catalog and user endpoints)
    official_url: str = DEFAULT_ENDPOINT
    root: Path | None = None  # prefix for machine-wide files (tests)
    platform: object | None = None
    host: object | None = None
    progress: Callable[[str], None] | None = None


def diagnose(options: Options) -> Report:
    """Run every check and return the findings (network only without --offline)."""
    from . import detect
    from .endpoints import ConfigError, known_endpoints, saved_choice

    platform = options.platform or detect.current_platform()
    env = platform.env
    home = platform.home
    secrets = stored_secrets(env, home)
    progress = options.progress

    def say(line: str) -> None:
        if progress is not None:
            progress(redact(line, secrets))
    host = options.host
    if host is None:
        from .host import system_host

        host = system_host()
    findings: list[Finding] = []
    facts: dict = {}

    # Layers.
    shell = options.shell
    if shell is None:
        shell = detect.detect_shell(env)[0]
    places = startup_places(platform, host, options.root)
    settings, problems = read_settings(places, home)
    if platform.system == "windows":
        win, win_problems = read_windows_environment(host)
        settings += win
        problems += win_problems
    saved, saved_problem = None, None
    try:
        saved = saved_choice()
        known = known_endpoints()
    except ConfigError as exc:
        saved_problem = str(exc)
        known = dict(CATALOG)
    process = env.get("HF_ENDPOINT")
    # What a new shell of the user's gets: after `hfenv setup`, the shell already open predates it.
    won, _ = new_shell_value(settings, shell)
    new_value = None
    if won is not None and not won.dynamic and (value_problem(won.value) or ("warn",))[0] == "warn":
        new_value = won.value
    layers_at = len(findings)  # judged after the endpoint check, which may find new shells' value unusable
    facts["layers"] = {"process": process, "shell": shell, "settings": [s.to_json() for s in settings],
                       "saved_choice": saved.as_dict() if saved else None}
    # Endpoints are named by their names where they have one (a bare URL's "name" is its host).
    names = {normalized(url): name for name, url in known.items()}
    for candidate in options.candidates or ():
        names.setdefault(normalized(candidate.url), candidate.name)
    if saved is not None and saved.name != name_for_url(saved.url, {}):
        names.setdefault(normalized(saved.url), saved.name)
    unusable: set[str] = set()

    # The client.
    say("hfenv: asking a fresh interpreter what huggingface_hub will use...")
    client = ask_client(options.python)
    if client.get("token_path"):
        secrets = tuple(dict.fromkeys(secrets + stored_secrets(env, home, client["token_path"])))
    if client.get("error"):
        client = {**fallback_client(env, home), **client}
    findings += judge_client(client, env)
    facts["client"] = client
    endpoint = client.get("endpoint") or DEFAULT_ENDPOINT
    source = "process" if process is not None else "default"
    problem = value_problem(endpoint)
    usable_url = problem is None or problem[0] == "warn"
    endpoint_info = {"url": endpoint, "source": source, "raw": process}
    trust = client_trust(client)

    # The endpoint (and the fallback probe).
    out = _Findings("endpoint")
    check = None
    skip_reason = None
    if options.offline:
        skip_reason = "not checked (--offline)"
    elif not usable_url:
        skip_reason = f"not checked: huggingface_hub's endpoint {endpoint!r} is malformed (see above)"
    if skip_reason:
        out.info("skipped", skip_reason)
    else:
        say(f"hfenv: checking {endpoint}...")
        check = check_endpoint(endpoint, options.timeout, trust)
        if check["ok"]:
            out.ok("usable", f"{endpoint} answers like a Hub ({check['latency_ms']:.0f} ms; {check['detail']})")
        else:
            unusable.add(normalized(endpoint))
            also = None
            if new_value is not None and normalized(new_value) != normalized(endpoint):
                url = normalized(new_value)
                also = Endpoint(names.get(url) or name_for_url(url, {}), url)
            alternatives = _fallback_probe(options, endpoint, known_endpoints, say, also)
            facts["probe"] = alternatives.to_json() if alternatives else None
            unusable |= {normalized(r.url) for r in alternatives.results if not r.ok} if alternatives else set()
            works = {normalized(r.url) for r in alternatives.results if r.ok} if alternatives else set()
            chosen = alternatives.chosen if alternatives else None
            what = f"{_named(endpoint, names)} is not usable: {check['status']}: {check['detail']}"
            stale = (also is not None and also.url in works
                     and (saved is None or normalized(saved.url) == also.url))
            if stale:
                # This shell predates the setup: new terminals already get an endpoint that works.
                out.warn("unusable", f"{what}; but that is only this shell: new terminals use "
                                     f"{_named(also.url, names)}, which works from here",
                         f"open a new terminal, or run `{_eval_hint(shell, also.url, saved, names)}` in this one")
            else:
                fix = None  # the next finding says what is left
                if chosen:
                    command = chosen.name if chosen.name in known and known[chosen.name] == chosen.url else chosen.url
                    fix = (f"switch to {_named(chosen.url, {normalized(chosen.url): chosen.name})}, which works "
                           f"from here: `hfenv setup --persist --endpoint {_arg(command, shell)}`, then open a new "
                           "terminal")
                    if also is not None and normalized(chosen.url) == also.url:
                        fix = (f"new terminals already use {_named(also.url, names)}, which works from here: "
                               f"open one, or run `{_eval_hint(shell, also.url, saved, names)}` in this one")
                out.error("unusable", what, fix)
            if alternatives is not None:
                for result in alternatives.results:
                    level = "ok" if result.ok else "info"
                    out.add(level, "alternative", f"probed {result.name} ({result.url}): {result.status}"
                                                  + (f", {result.latency_ms:.0f} ms" if result.latency_ms else "")
                                                  + (f"; {result.detail}" if result.detail else ""))
            if not chosen:
                out.error("nothing-usable", "no Hugging Face endpoint is usable from here: not the Hub, not a "
                                            "mirror", "fix the network (proxy, captive portal), or use ModelScope")
                switches = ", ".join(f"{n}={v} ({tool})" for n, v, tool in MODELSCOPE_SWITCHES)
                out.info("modelscope", "fallback: ModelScope (modelscope.cn) hosts many of the same models; tools "
                                       f"that support it switch with {switches}. hfenv does not set these: "
                                       "model names and revisions differ between the two hubs")
    findings += out.items
    findings[layers_at:layers_at] = judge_layers(settings, process, shell, saved, saved_problem, problems,
                                                 platform.system, unusable, names)
    facts["endpoint"] = {**check, "checked": True} if check else {"url": endpoint, "checked": False}
    reachable = bool(check and check["ok"])

    # Token and large files (independent: run together, each bounded).
    state = token_state(client, env)
    official = is_official(endpoint, options.official_url)
    whoami = None
    unchecked = None
    large: dict = {"checked": False}
    jobs = {}
    if options.offline:
        unchecked = "validity not checked (--offline)"
        large["reason"] = "not checked (--offline)"
    elif not reachable:
        unchecked = "validity not checked: the endpoint is not usable"
        large["reason"] = "not checked: the endpoint is not usable" if usable_url else skip_reason
    else:
        if state.value is not None:
            if official or options.check_token:
                jobs["whoami"] = lambda: check_whoami(endpoint, state.value, options.timeout, trust)
            else:
                unchecked = (f"validity not checked: that would send the token to {host_of(endpoint)}; "
                             "`hfenv doctor --check-token` checks it there anyway")
        use_xet = bool(client.get("hf_xet") and not client.get("disable_xet"))
        jobs["large"] = lambda: _large_with_reach(endpoint, options.timeout, use_xet, trust)
    if jobs:
        say("hfenv: following a large file" + (" and checking the token..." if "whoami" in jobs else "..."))
        results = _run_together(jobs)
        whoami = results.get("whoami")
        large = results.get("large", large)
    findings += judge_token(state, endpoint, options.official_url, env, whoami, unchecked)
    facts["token"] = {**state.to_json(), "valid": None if whoami is None else whoami.get("status") == 200,
                      "checked_at": host_of(endpoint) if whoami is not None else None}
    findings += judge_large_files(large, endpoint, options.official_url, client)
    facts["large_files"] = {k: v for k, v in large.items() if k not in ("target_url",)}

    # The end-to-end download.
    download: dict = {"ran": False}
    if options.download:
        if options.offline:
            download["reason"] = "not run (--offline)"
        elif not usable_url:
            download["reason"] = skip_reason
        else:
            send = state.value is not None and (official or options.check_token)
            if client.get("offline") or _truthy(env.get("HF_HUB_OFFLINE")):
                download["refused"] = "HF_HUB_OFFLINE"
            elif check is not None and not check["ok"] and check["status"] not in ANSWERED:
                # huggingface_hub would meet the same failure the Hub check met; only an endpoint
                # that answers (not like a Hub, or with an HTTP error) gets its own explanation.
                download["reason"] = (f"not run: the endpoint check already failed ({check['status']}); "
                                      "huggingface_hub would fail the same way")
            else:
                say(f"hfenv: downloading {TEST_REPO}/{SMALL_FILE} with huggingface_hub...")
                download = run_download(options.python, endpoint, options.timeout, send, client.get("token_path"))
                download["token_withheld"] = state.in_effect is not None and not send
    findings += judge_download(download, endpoint)
    facts["download"] = download

    # Proxies, storage, tools.
    network = proxy_facts(env, endpoint if usable_url else None)
    findings += judge_network(network, endpoint, client)
    facts["network"] = network
    storage = storage_facts(client)
    findings += judge_storage(storage, home)
    facts["storage"] = [{k: v for k, v in e.items() if k != "device"} for e in storage]
    tools = tool_facts(client)
    findings += judge_tools(tools, endpoint, options.official_url)
    facts["tools"] = tools

    return Report(endpoint=endpoint_info, findings=findings, facts=facts, offline=options.offline,
                  secrets=secrets)


def _large_with_reach(endpoint: str, timeout: float, use_xet: bool, trust=None) -> dict:
    """The large file's route (one deadline), then its storage hosts' reachability (together, one more)."""
    facts = follow_large_file(endpoint, timeout, use_xet, trust)
    jobs = {}
    if facts.get("kind") == "redirect":
        jobs["reach"] = lambda: reach(facts["target_url"], timeout, trust)
    if facts.get("xet_url"):
        jobs["xet_reach"] = lambda: reach(facts["xet_url"], timeout, trust)
    facts.update(_run_together(jobs) if jobs else {})
    return facts


def _run_together(jobs: dict[str, Callable[[], dict]]) -> dict[str, dict]:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="hfenv-doctor") as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def _fallback_probe(options: Options, endpoint: str, known_endpoints, say, also: Endpoint | None = None):
    """Probe the other endpoints when the effective one is not usable (None when there are none).

    `also`: what new shells get (when this shell predates a setup), probed too so that
    doctor can say whether opening a new terminal is the whole fix."""
    from . import probe
    from .endpoints import ConfigError

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
    say(f"hfenv: {endpoint} is not usable; probing {len(candidates)} other endpoint(s)...")
    try:
        return probe.run_probe(candidates, timeout=min(options.timeout, probe.DEFAULT_TIMEOUT), samples=1,
                               official_url=options.official_url)
    except ValueError:  # hubcheck.ProxyError: a proxy variable cannot be parsed (a network finding says so)
        return None


# ---- human report ------------------------------------------------------------------------

_TAGS = {"ok": "ok", "info": "info", "warn": "warn", "error": "ERROR"}


def format_report(report: Report) -> str:
    """One verdict line per section, then its details (with fixes)."""
    endpoint = report.endpoint
    source = "HF_ENDPOINT in this process" if endpoint["source"] == "process" else "default; HF_ENDPOINT is not set"
    lines = [f"hfenv doctor: clients here use {endpoint['url']} ({source})"
             + (" [offline: no network checks]" if report.offline else ""), ""]
    for section, title in SECTIONS.items():
        found = report.in_section(section)
        if not found:
            continue
        verdict = report.verdict(section)
        lines.append(f"[{_TAGS[verdict.level]:^5}] {title}: {verdict.message}")
        if verdict.fix:
            lines.append(f"          fix: {verdict.fix}")
        for finding in found:
            if finding is verdict:
                continue
            lines.append(f"  {_TAGS[finding.level]:>5}  {finding.message}")
            if finding.fix:
                lines.append(f"          fix: {finding.fix}")
        lines.append("")
    counts = report.counts()
    if report.needs_action:
        lines.append(f"Result: {_s(counts['error'], 'problem')} need{'s' if counts['error'] == 1 else ''} action "
                     f"(exit status 1); {_s(counts['warn'], 'warning')}.")
    else:
        lines.append(f"Result: nothing needs action (exit status 0); {_s(counts['warn'], 'warning')}.")
    return "\n".join(lines)
