"""Doctor's shared result types: a Finding, the one Report (text and JSON) and the redaction of secrets.

Every section returns Findings; ``Report.to_json`` is the ``--json`` shape and
``format_report`` the human report, both from the same findings and facts, so
a check can never appear in one and be missing from the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..i18n import _, ngettext

LEVELS = ("ok", "info", "warn", "error")
# The verdict of a section is its first finding of the highest rank: a note (info) never hides an ok.
_VERDICT_RANK = {"info": 0, "ok": 1, "warn": 2, "error": 3}
# Section id -> title, in report order: filled from the pipeline (hfenv.doctor.PIPELINE).
SECTIONS: dict[str, str] = {}
SCHEMA_VERSION = 1
MIN_SECRET = 8  # redaction removes every piece this long of a token; a real token is 37 characters

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


class Findings:
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



_TAGS = {"ok": "ok", "info": "info", "warn": "warn", "error": "ERROR"}


def format_report(report: Report) -> str:
    """One verdict line per section, then its details (with fixes)."""
    endpoint = report.endpoint
    source = _("HF_ENDPOINT in this process") if endpoint["source"] == "process" else \
        _("default; HF_ENDPOINT is not set")
    lines = [_("hfenv doctor: clients here use {url} ({source})").format(url=endpoint["url"], source=source)
             + (" " + _("[offline: no network checks]") if report.offline else ""), ""]
    fix_label = _("fix: {fix}")
    for section, title in SECTIONS.items():
        found = report.in_section(section)
        if not found:
            continue
        verdict = report.verdict(section)
        lines.append(f"[{_TAGS[verdict.level]:^5}] " + _("{title}: {verdict}").format(title=_(title),
                                                                                     verdict=verdict.message))
        if verdict.fix:
            lines.append("          " + fix_label.format(fix=verdict.fix))
        for finding in found:
            if finding is verdict:
                continue
            lines.append(f"  {_TAGS[finding.level]:>5}  {finding.message}")
            if finding.fix:
                lines.append("          " + fix_label.format(fix=finding.fix))
        lines.append("")
    counts = report.counts()
    warnings = ngettext("{count} warning", "{count} warnings", counts["warn"]).format(count=counts["warn"])
    if report.needs_action:
        problems = ngettext("{count} problem needs", "{count} problems need", counts["error"]).format(
            count=counts["error"])
        lines.append(_("Result: {problems} action (exit status 1); {warnings}.").format(
            problems=problems, warnings=warnings))
    else:
        lines.append(_("Result: nothing needs action (exit status 0); {warnings}.").format(warnings=warnings))
    return "\n".join(lines)
