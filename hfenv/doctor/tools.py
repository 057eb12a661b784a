"""Section "tools": git, git-lfs, git's url.insteadOf rules towards the Hub, and the hf CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from ..i18n import N_, _
from .client import ClientFacts
from .context import Context, Section
from .report import Finding, Findings
from .values import is_official, normalized


def _run(argv: list[str], timeout: float = 5.0) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
                              cwd=tempfile.gettempdir())
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace").strip()


@dataclass
class ToolFacts:
    git: dict | None  # {"path", "version"}
    git_lfs: dict | None  # {"path", "version"}
    hf: dict | None  # {"path", "runs"} and, when it runs the asked interpreter, "version"
    huggingface_cli: str | None  # the old CLI's path
    lfs_filter: bool | None = None  # git-lfs set up for git (None: no git)
    git_rules: list[dict] | None = None  # url.insteadOf rules towards the Hub: {"base", "instead_of"}

    def to_json(self) -> dict:
        found = {"git": self.git, "git_lfs": self.git_lfs}
        if self.git:
            found.update(lfs_filter=self.lfs_filter, git_rules=self.git_rules)
        return {**found, "hf": self.hf, "huggingface_cli": self.huggingface_cli}


def tool_facts(client: dict) -> ToolFacts:
    git = shutil.which("git")
    lfs = shutil.which("git-lfs")
    hf = shutil.which("hf")
    facts = ToolFacts(
        git={"path": git, "version": (_run([git, "--version"]) or "").replace("git version ", "")} if git else None,
        git_lfs={"path": lfs, "version": (_run([lfs, "version"]) or "").split(" (")[0]} if lfs else None,
        hf={"path": hf, "runs": _shebang(hf)} if hf else None,
        huggingface_cli=shutil.which("huggingface-cli"),
    )
    if git:
        facts.lfs_filter = bool(_run([git, "config", "--get", "filter.lfs.process"]))
        facts.git_rules = []
        for line in (_run([git, "config", "--get-regexp", r"^url\..*\.insteadof$"]) or "").splitlines():
            key, _sep, value = line.partition(" ")
            base = key[len("url."):-len(".insteadof")] if key.lower().endswith(".insteadof") else key
            if value.startswith(("https://huggingface.co", "http://huggingface.co", "https://hf.co")):
                facts.git_rules.append({"base": base, "instead_of": value})
    if hf and client.get("python") and facts.hf["runs"]:
        try:
            same = os.path.samefile(facts.hf["runs"], client["python"])
        except OSError:
            same = False
        facts.hf["version"] = client.get("version") if same else None
    return facts


def _shebang(path: str) -> str | None:
    """The interpreter a script runs (read, not run: starting the CLI would be slow)."""
    from ..files import read_start

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


def judge_tools(facts: ToolFacts, endpoint: str, official_url: str) -> list[Finding]:
    out = Findings("tools")
    git = facts.git
    if git:
        out.ok("git", f"git {git['version'] or _('(version unknown)')} ({git['path']})")
    else:
        out.info("no-git", _("git is not on PATH: needed only to `git clone` repos (huggingface_hub does not use it)"))
    lfs = facts.git_lfs
    if lfs:
        if git and not facts.lfs_filter:
            out.info("lfs-not-installed", _("{lfs} is installed but not set up for git: clones get pointer files "
                                            "instead of weights").format(lfs=lfs["version"] or "git-lfs"),
                     "`git lfs install`")
        else:
            out.ok("git-lfs", f"{lfs['version'] or 'git-lfs'} ({lfs['path']})")
    elif git:
        out.info("no-git-lfs", _("git-lfs is not on PATH: `git clone` of a model repo gets small pointer files "
                                 "instead of the weights"), _("install git-lfs, then `git lfs install`"))
    hf = facts.hf
    if hf:
        version = f" (huggingface_hub {hf['version']})" if hf.get("version") else ""
        runs = "" if hf.get("version") or not hf.get("runs") else _(", runs {program}").format(program=hf["runs"])
        out.ok("hf", _("the hf CLI: {path}").format(path=hf["path"]) + version + runs)
    else:
        out.info("no-hf", _("the hf CLI is not on PATH (it comes with huggingface_hub: "
                            "`pip install -U huggingface_hub`)"))
    if facts.huggingface_cli and not hf:
        out.info("legacy-cli", _("huggingface-cli ({path}) is the old name of `hf`").format(path=facts.huggingface_cli))
    rules = facts.git_rules or []
    mirror = not is_official(endpoint, official_url)
    for rule in rules:
        base = normalized(rule["base"])
        if normalized(base) == normalized(endpoint):
            out.ok("git-mirror", _("`git clone {prefix}...` goes to {base} (git's url.insteadOf)").format(
                prefix=rule["instead_of"], base=base))
        else:
            out.warn("git-mirror-differs", _("`git clone {prefix}...` goes to {base}, but HF_ENDPOINT gives "
                                             "{endpoint}").format(prefix=rule["instead_of"], base=base,
                                                                  endpoint=endpoint),
                     _("`hfenv setup --git --endpoint NAME|URL` with the one you want (or `hfenv reset --git`)"))
    if mirror and not rules and git:
        out.info("git-direct", _("`git clone https://huggingface.co/...` goes to huggingface.co itself, not to "
                                 "{endpoint}").format(endpoint=endpoint),
                 _("`hfenv setup --git --endpoint {endpoint}` routes it there").format(endpoint=endpoint))
    return out.items



def gather(ctx: Context) -> ToolFacts:
    return tool_facts(ctx.of(ClientFacts).answer)


def judge(ctx: Context, facts: ToolFacts) -> list[Finding]:
    return judge_tools(facts, ctx.of(ClientFacts).endpoint, ctx.options.official_url)


SECTION = Section("tools", N_("git, git-lfs and the hf CLI"), gather, judge, lambda facts: {"tools": facts.to_json()})
