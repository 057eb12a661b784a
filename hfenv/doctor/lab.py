"""Section "lab": the lab profile in effect (SPEC 8), and whether this machine follows it.

Which profile and why (hfenv.profile.locate); each variable it implies as a new shell
would see it (the startup files, read like the layers section reads HF_ENDPOINT) and as
this process sees it; the shared cache (exists, group-writable, setgid, this user can
create a file and take a lock there, free space); the CA bundle (exists, parses as PEM).
A machine that does not follow the profile is an error, with the one command that fixes it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..i18n import N_, Msg, _, local
from .context import Context, Section
from .report import Finding, Findings
from .values import human_size

LOW_DISK = 10 * 1024**3


@dataclass(frozen=True)
class VariableFacts:
    name: str
    wanted: str
    new_shells: str | None
    process: str | None

    def to_json(self) -> dict:
        return {"name": self.name, "wanted": self.wanted, "new_shells": self.new_shells, "process": self.process}


@dataclass(frozen=True)
class SharedCacheFacts:
    path: str
    exists: bool
    is_dir: bool
    mode: str | None
    group: str | None
    problem: str | None  # hfenv.sharedcache.judge
    can_write: bool
    can_lock: bool
    free_bytes: int | None
    error: str | None = None


@dataclass(frozen=True)
class LabFacts:
    source: str | None
    why: str
    name: str | None = None
    problem: str | None = None  # the profile cannot be read or is not valid
    note: str | None = None
    system: bool = False  # the profile is the machine's (the fix is `sudo hfenv setup --system`)
    variables: list[VariableFacts] = field(default_factory=list)
    cache: SharedCacheFacts | None = None
    ca_bundle: str | None = None
    ca_problem: str | None = None

    def to_json(self) -> dict:
        return {
            "source": self.source, "why": self.why, "name": self.name, "problem": self.problem, "note": self.note,
            "variables": [v.to_json() for v in self.variables],
            "shared_cache": None if self.cache is None else {
                k: getattr(self.cache, k) for k in ("path", "exists", "is_dir", "mode", "group", "problem",
                                                     "can_write", "can_lock", "free_bytes", "error")},
            "ca_bundle": self.ca_bundle, "ca_problem": self.ca_problem,
        }


# ---- gather (I/O) ----------------------------------------------------------------------


def shared_cache_facts(path: Path) -> SharedCacheFacts:
    """The directory's mode and group, and whether this user can create a file and take a lock there."""
    from .. import sharedcache

    facts = sharedcache.gather(path)
    problem = sharedcache.judge(facts)
    can_write = can_lock = False
    error = None
    free = None
    if facts.exists and facts.is_dir:
        try:
            free = shutil.disk_usage(path).free
        except OSError:
            pass
        can_write, can_lock, error = try_file_and_lock(path)
    return SharedCacheFacts(str(path), facts.exists, facts.is_dir, f"{facts.mode:04o}" if facts.exists else None,
                            facts.group, problem, can_write, can_lock, free, error)


def try_file_and_lock(path: Path) -> tuple[bool, bool, str | None]:
    """Create a file in path and take an exclusive lock on it, as huggingface_hub does (then remove it)."""
    import tempfile

    try:
        fd, name = tempfile.mkstemp(prefix=".hfenv-doctor-", suffix=".lock", dir=path)
    except OSError as exc:
        return False, False, exc.strerror or str(exc)
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
        except ImportError:  # Windows: msvcrt locks a byte range
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return True, True, None
    except OSError as exc:
        return True, False, exc.strerror or str(exc)
    finally:
        os.close(fd)
        try:
            os.unlink(name)
        except OSError:
            pass


def ca_problem(path: str) -> str | None:
    """Why a CA bundle cannot serve (absent, unreadable, no PEM certificate), or None."""
    import ssl

    from ..files import SHARED_FILE_LIMIT, read_regular

    try:
        data = read_regular(path, SHARED_FILE_LIMIT)
    except FileNotFoundError:
        return Msg("does not exist")
    except OSError as exc:
        return Msg("cannot be read: {reason}", reason=str(getattr(exc, "reason", None) or exc.strerror or exc))
    if b"-----BEGIN CERTIFICATE-----" not in data:
        return Msg("holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    try:
        ssl.create_default_context(cadata=data.decode("ascii", "replace"))
    except (ssl.SSLError, ValueError) as exc:
        return Msg("does not parse as PEM certificates ({reason})", reason=str(exc))
    return None


def gather(ctx: Context) -> LabFacts:
    from .. import profile as profile_mod
    from ..startup import startup_places
    from .client import ClientFacts
    from .layers import new_shell_value, read_settings

    located = profile_mod.locate(root=ctx.options.root)
    if located.source is None:
        return LabFacts(None, located.why)
    try:
        loaded = profile_mod.load(located, use_copy_first=ctx.options.offline)
    except profile_mod.ProfileError as exc:
        return LabFacts(located.source, located.why, problem=str(exc))
    prof = loaded.profile
    endpoint = ctx.of(ClientFacts).to_json().get("url") or ""
    wanted = []
    if prof.cache_hub:
        wanted.append(("HF_HUB_CACHE", prof.cache_hub))
    if profile_mod.xet_default(prof) == "off":  # on and auto leave the variable to setup --xet's decision
        wanted.append(("HF_HUB_DISABLE_XET", "1"))
    wanted += profile_mod.profile_variables(prof, endpoint or None, official_url=ctx.options.official_url)
    places = startup_places(ctx.platform, ctx.host, ctx.options.root)
    variables = []
    for name, value in wanted:
        settings, _problems = read_settings(places, ctx.home, name)
        won, _dynamic = new_shell_value(settings, ctx.shell)
        variables.append(VariableFacts(name, value, won.value if won is not None else None, ctx.env.get(name)))
    cache = None
    if prof.cache_hub and prof.cache_shared:
        root = ctx.options.root
        cache = shared_cache_facts(Path(str(root) + prof.cache_hub) if root else Path(prof.cache_hub))
    system = located.source == str(profile_mod.machine_profile_path(ctx.options.root))
    return LabFacts(located.source, located.why, prof.name, None, loaded.note, system, variables, cache,
                    prof.ca_bundle, ca_problem(prof.ca_bundle) if prof.ca_bundle else None)


# ---- judge (pure) ----------------------------------------------------------------------


def judge_lab(facts: LabFacts) -> list[Finding]:
    out = Findings("lab")
    if facts.source is None:
        out.info("none", _("no lab profile ({why})").format(why=local(facts.why)))
        return out.items
    named = f"{facts.name!r} " if facts.name else ""
    if facts.problem:
        out.error("invalid", _("the lab profile {source} cannot be used: {problem}").format(
            source=facts.source, problem=local(facts.problem)),
                  _("fix it (`hfenv profile check {source}` names the line), or ask the lab's admin").format(
                      source=facts.source))
        return out.items
    out.ok("source", _("lab profile {name}{source} ({why})").format(name=named, source=facts.source,
                                                                    why=local(facts.why))
           + (f"; {local(facts.note)}" if facts.note else ""))
    fix = "sudo hfenv setup --system" if facts.system else "hfenv setup --persist"
    for var in facts.variables:
        if var.new_shells != var.wanted:
            message = (_("{name}: the profile wants {wanted}; new shells get unset") if var.new_shells is None
                       else _("{name}: the profile wants {wanted}; new shells get {seen}"))
            out.error("variable", message.format(name=var.name, wanted=repr(var.wanted), seen=repr(var.new_shells)),
                      fix)
        elif var.process != var.wanted:
            message = (_("{name}: new shells get {wanted}, this shell has unset (it predates setup)")
                       if var.process is None else
                       _("{name}: new shells get {wanted}, this shell has {seen} (it predates setup)"))
            out.warn("process", message.format(name=var.name, wanted=repr(var.wanted), seen=repr(var.process)),
                     _("open a new shell, or run the `hfenv shell` line for your shell"))
        else:
            out.ok("variable", f"{var.name}={var.wanted}")
    cache = facts.cache
    if cache is not None:
        if cache.problem:
            from ..sharedcache import split

            what, cache_fix = split(cache.problem)
            out.error("shared-cache", _("shared cache {path} {problem}").format(path=cache.path, problem=what),
                      cache_fix or "sudo hfenv setup --system")
        elif not cache.can_write:
            out.error("shared-cache-write", _("this user cannot create a file in the shared cache {path} "
                                              "({error})").format(path=cache.path, error=local(cache.error)),
                      _("add this user to group {group} (usermod -aG {group} $USER), then log in again").format(
                          group=cache.group))
        elif not cache.can_lock:
            out.error("shared-cache-lock",
                      _("this user cannot take a lock in the shared cache {path} ({error})").format(
                          path=cache.path, error=local(cache.error)),
                      _("a file system without locks (some NFS mounts) breaks huggingface_hub's downloads: "
                        "use local disk"))
        else:
            free = _(", {size} free").format(size=human_size(cache.free_bytes)) if cache.free_bytes is not None \
                else ""
            out.ok("shared-cache", _("shared cache {path}: group {group}, mode {mode}, a file and a lock can be "
                                     "made{free}").format(path=cache.path, group=cache.group, mode=cache.mode,
                                                          free=free))
            if cache.free_bytes is not None and cache.free_bytes < LOW_DISK:
                out.warn("shared-cache-disk", _("shared cache {path}: only {size} free").format(
                    path=cache.path, size=human_size(cache.free_bytes)),
                         _("free space, or ask the admin for a larger disk"))
    if facts.ca_bundle:
        if facts.ca_problem:
            out.error("ca-bundle", _("CA bundle {path} {problem}: HTTPS through the lab's proxy fails").format(
                path=facts.ca_bundle, problem=local(facts.ca_problem)),
                      _("ask the lab's admin for the CA file, or fix network.ca_bundle in the profile"))
        else:
            out.ok("ca-bundle", _("CA bundle {path} parses as PEM").format(path=facts.ca_bundle))
    return out.items


def judge(ctx: Context, facts: LabFacts) -> list[Finding]:
    return judge_lab(facts)


def record(facts: LabFacts) -> dict:
    return {"lab": facts.to_json()}


SECTION = Section("lab", N_("Lab profile"), gather, judge, record)
