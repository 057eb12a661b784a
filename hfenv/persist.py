"""Where `setup --persist` writes and what, for each shell and OS (SPEC 5); `reset` undoes it.

This module decides; hfenv.writers plans, diffs and applies; hfenv.host runs
programs and touches the registry. A run is described by a :class:`Scope`
(which shells, and whether the user's startup files, the machine-wide files or
git's config are in play); :func:`plan_setup` and :func:`plan_reset` turn it
into one plan that `--dry-run` prints, `--json` reports and apply writes.

Targets, in the order they are written (the ones hardest to roll back last):

- each shell's startup files (hfenv.shells knows which, and why); on Windows
  also the user environment, so that every new program sees the value;
- with ``system``: ``/etc/profile.d/hfenv.sh`` and fish's system ``conf.d``
  (each written only when its directory exists), or the Windows machine
  environment;
- with ``git``: a block in git's global config (``~/.gitconfig``, or
  ``$XDG_CONFIG_HOME/git/config`` when only that exists, or
  ``$GIT_CONFIG_GLOBAL``) holding ``[url "<mirror>/"] insteadOf =
  https://huggingface.co/``; for the official Hub an earlier rule is removed;
- for setup, hfenv's own config file with the saved choice, so that a failed
  run does not change the default either.

Files hfenv owns whole (fish's conf.d files, profile.d) hold the same marked
block as shared files, so that one search for the markers finds everything.

The Windows environment has no markers, so hfenv keeps a record of what it set
in ``Software\\hfenv`` (value ``Environment``: JSON mapping each variable it set
to the value and registry type it replaced, or null). setup writes with
``setx`` (which also tells Explorer); reset puts back each replaced value, or
deletes the variable from the registry (setx cannot delete), then tells
running programs. Windows already open keep their old environment.

``SYSTEM_ROOT`` is the prefix for machine-wide files; tests point it at a
temporary directory. It is deliberately not read from the environment: a
variable that silently moves where a root process writes is not a feature.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from urllib.parse import urlsplit

from . import render
from .blocks import Markers, find_block, render_block
from .endpoints import Endpoint
from .files import SMALL_FILE_LIMIT, read_regular
from .host import REG_SZ, Host
from .i18n import _, local, ngettext
from .shells import SHELLS, Platform, Shell
from .writers import FILES, Change, PrivateLock, Target, WriteError, plan_edits, reset_edit, setup_edit

SYSTEM_ROOT = Path("/")

USER_ENVIRONMENT = ("HKCU", "Environment")
MACHINE_ENVIRONMENT = ("HKLM", r"SYSTEM\CurrentControlSet\Control\Session Manager\Environment")
RECORD_KEY, RECORD_VALUE = r"Software\hfenv", "Environment"

Pairs = list[tuple[str, str]]


@dataclass(frozen=True)
class Scope:
    """What a setup or reset run touches."""

    shells: tuple[Shell, ...] = ()
    user: bool = False  # the shells' startup files (and the Windows user environment)
    system: bool = False  # machine-wide files, or the Windows machine environment
    git: bool = False  # git's global url.<mirror>.insteadOf rule


# ---- policy -------------------------------------------------------------------


def home_problem(platform: Platform) -> str | None:
    """Why the user's home cannot be trusted to place startup files, or None.

    An empty HOME makes Python's expanduser answer "/" (so setup would write
    /.bashrc) and a relative one names a directory under wherever hfenv runs.
    On Windows the same holds for USERPROFILE.
    """
    var = "USERPROFILE" if platform.system == "windows" else "HOME"
    value = platform.env.get(var)
    if value is not None and not value:
        return _("${var} is empty; set it to your home directory (an absolute path) and run hfenv again").format(
            var=var)
    if value is not None and not os.path.isabs(value):
        return _("${var} is a relative path ({value}); set it to your home directory's absolute path").format(
            var=var, value=repr(value))
    if not os.path.isabs(str(platform.home)):
        return _("the home directory {home} is not an absolute path; set ${var}").format(
            home=repr(str(platform.home)), var=var)
    if not os.path.isdir(str(platform.home)):  # hfenv would create a home of its own there
        return _("the home directory {home} does not exist; set ${var} to your home directory").format(
            home=platform.home, var=var)
    return None


def saves_choice(scope: Scope) -> bool:
    """Whether setup saves the choice as hfenv's default: not for --system alone, which is the
    machine's business (the user's saved choice, and their lock, stay out of it)."""
    return scope.user or not scope.system


def setup_warnings(scope: Scope, platform: Platform, host: Host | None) -> list[str]:
    """What setup should say before it writes: shells with no startup file to write here."""
    if not scope.user or platform.system == "windows":
        return []
    return [_("{shell} has no startup file to write here; on Windows, setup --persist "
              "writes the user environment, which it reads").format(shell=shell.name)
            for shell in scope.shells if not shell.startup_files(platform, host)]


def system_problem(scope: Scope, changes: list[Change], platform: Platform) -> str | None:
    """Why `setup --system` has nothing to do here (no machine-wide directory exists), or None."""
    if scope.system and platform.system != "windows" and not any(
            c.target.kind in ("system", "pam-environment") for c in changes):
        return _("--system: neither /etc/profile.d nor fish's system conf.d exists here; "
                 "nothing machine-wide to write")
    return None


def everything_scope(platform: Platform, host: Host, system: bool = False, root: Path | None = None) -> Scope:
    """`reset --all`: every shell, git, and the machine's files when run as root/admin and
    hfenv has written some (so that a machine without them gets no /etc/hfenv lock either)."""
    if not system and host.is_admin():
        if platform.system == "windows":
            system = True
        else:
            root = SYSTEM_ROOT if root is None else root
            system = any(_holds_marker(target.path, target.markers)
                         for target in system_file_targets(root) + _former_system_targets(root))
    return Scope(tuple(SHELLS.values()), user=True, git=True, system=system)


# ---- targets ------------------------------------------------------------------


def shell_targets(shell: Shell, platform: Platform, host: Host | None) -> list[Target]:
    markers = shell.block_markers
    targets = []
    for startup in shell.startup_files(platform, host):
        target = Target(
            shell.name, Path(str(startup.path)), markers=markers, owned=startup.owned,
            newline=startup.newline.encode("ascii"), at_start=startup.at_start, bom=startup.bom,
            match_newline=startup.match_newline,
        )
        targets.append(_shell_target(shell, target))
    return targets


def _shell_target(shell: Shell, target: Target) -> Target:
    """target with its body: the shell's block for the endpoint."""

    def body(endpoint: Endpoint, pairs: Pairs) -> bytes:
        text = render.render_block_body(shell, pairs).encode("utf-8")
        # A whole file hfenv owns holds the marked block too: one search finds every place.
        return render_block(text, target.markers, target.newline) if target.owned else text

    return replace(target, body=body)


def environment_target(host: Host, machine: bool) -> Target:
    hive, key = MACHINE_ENVIRONMENT if machine else USER_ENVIRONMENT
    store = EnvironmentStore(host, hive, key, machine)
    kind = "machine-environment" if machine else "user-environment"
    target = Target(kind, Path(f"{hive}\\{key}"), owned=True, store=store)
    return replace(target, body=lambda endpoint, pairs: "".join(f"{n}={v}\n" for n, v in pairs).encode("utf-8"))


def system_file_targets(root: Path | None = None) -> list[Target]:
    """Machine-wide files on Unix, as each shell names them (profile.d, fish's system conf.d),
    then a block in /etc/environment where that file exists (Debian, Ubuntu, Fedora ship it; a
    system without it has no pam_env reading it by default)."""
    root = SYSTEM_ROOT if root is None else root
    targets = [target for shell in SHELLS.values() for target in shell_system_targets(shell, root)]
    if (root / "etc" / "environment").is_file():
        targets.append(pam_environment_target(root))
    return targets


def pam_environment_target(root: Path) -> Target:
    """A marked block in /etc/environment: what pam_env gives `ssh host command`, cron and graphical
    logins, which read no shell file. PAM's syntax: NAME=value lines, no `export`, no quoting."""
    target = Target("pam-environment", root / "etc" / "environment", mode=0o644, match_newline=False)

    def body(endpoint: Endpoint, pairs: Pairs) -> bytes:
        for name, value in pairs:
            problem = pam_value_problem(value)
            if problem:
                raise render.UnsafeValue(_("/etc/environment cannot carry {name}={value}: {problem}").format(
                    name=name, value=repr(value), problem=problem))
        note = ("# Written by `hfenv setup --system` (pam_env reads NAME=value lines); "
                "`hfenv reset --system` removes it.\n")
        return (note + "".join(f"{name}={value}\n" for name, value in pairs)).encode("utf-8")

    return replace(target, body=body)


def pam_value_problem(value: str) -> str | None:
    """Why pam_env cannot carry value as written, or None. pam_env strips quotes and whitespace,
    expands $ and @{...} in some versions and ends a value at #: none of them may appear."""
    if not value:
        return _("an empty value")
    for ch in value:
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            return _("a control character")
        if ch.isspace():
            return _("whitespace (pam_env splits or strips it)")
        if ch in "\"'`":
            return _("a quote (pam_env strips quotes)")
        if ch in "$@\\#":
            return _("{char} (pam_env may expand or cut the value there)").format(char=repr(ch))
    return None


def shell_system_targets(shell: Shell, root: Path) -> list[Target]:
    """The machine-wide files `setup --system` writes for one shell (where their directory exists)."""
    return [_system_file(shell, path) for path in shell.system_files(root)]


def _system_file(shell: Shell, path: Path) -> Target:
    markers = shell.block_markers
    target = Target("system", path, markers=markers, owned=True, mode=0o644, match_newline=False)
    return _shell_target(shell, target)


def git_config_path(platform: Platform) -> Path:
    """The global config file `git config --global` writes, by git's own rules."""
    env = platform.env
    if env.get("GIT_CONFIG_GLOBAL"):
        return Path(os.path.expanduser(env["GIT_CONFIG_GLOBAL"]))
    home_file = Path(str(platform.home)) / ".gitconfig"
    xdg_file = Path(str(platform.config_home())) / "git" / "config"
    if not os.path.lexists(home_file) and os.path.lexists(xdg_file):
        return xdg_file
    return home_file


def git_target(platform: Platform, path: Path | None = None) -> Target:
    target = Target("git", git_config_path(platform) if path is None else path, match_newline=False)

    def body(endpoint: Endpoint, pairs: Pairs) -> bytes | None:
        if endpoint.is_official:
            return None  # nothing to route: an earlier rule is removed
        return render.render_git_rule(endpoint.url).encode("utf-8")

    return replace(target, body=body)


def targets_for(scope: Scope, platform: Platform, host: Host, root: Path | None = None) -> list[Target]:
    """Every target of the scope, each file once, in the order they are written."""
    files: list[Target] = []
    if scope.user:
        files += [target for shell in scope.shells for target in shell_targets(shell, platform, host)]
    if scope.system and platform.system != "windows":
        files += system_file_targets(root)
    if scope.git:
        files.append(git_target(platform))
    environments = []
    if platform.system == "windows":
        # Every new program sees the environment, whatever shell (or none) starts it.
        if scope.user:
            environments.append(environment_target(host, machine=False))
        if scope.system:
            environments.append(environment_target(host, machine=True))
    return _unique(files) + environments


def _unique(targets: list[Target]) -> list[Target]:
    """One target per file (bash and sh both name ~/.profile; a symlink may join two names)."""
    seen, out = set(), []
    for target in targets:
        key = os.path.realpath(target.path)
        if key not in seen:
            seen.add(key)
            out.append(target)
    return out


# ---- plans --------------------------------------------------------------------


def config_target() -> Target:
    from .endpoints import config_path

    return Target("config", config_path())


def choice_edit(target: Target, endpoint: Endpoint,
                disable_xet: bool = False) -> Callable[[bytes | None], bytes | None]:
    """hfenv's config with `chosen` set to endpoint, every other key kept (and checked: a damaged
    config stops setup, exit 1 naming the key; a damaged `chosen` is what setup repairs).
    `disable_xet`: setup --xet's decision for it, saved with it (hfenv shell/run apply it)."""
    from .endpoints import config_edit

    chosen = {**endpoint.as_dict(), **({"disable_xet": True} if disable_xet else {})}
    return config_edit(target.path, lambda config: config.__setitem__("chosen", chosen), check=True)


def plan_setup(scope: Scope, endpoint: Endpoint, pairs: Pairs, platform: Platform, host: Host,
               root: Path | None = None, save: bool = True, record: list[dict] | None = None,
               take_over: bool = False) -> list[Change]:
    """The changes setup makes: each target set to its body, then hfenv's own files.

    Files that an earlier setup wrote for the same shells (or git) and that are
    no longer today's targets (found in hfenv's record) get the new value too,
    wherever they are: a ~/.profile from before ~/.bash_profile existed, a
    .zshrc under another ZDOTDIR. They are updated only while they still hold
    hfenv's block; reset removes them.

    ``take_over``: also comment out the lines that would override the block (hfenv.takeover).
    """
    files, environments = _split(targets_for(scope, platform, host, root))
    written = set(map(_key, files))
    recorded = [target for target in _recorded_targets(scope, platform, record) if _key(target) not in written]
    edits = []
    for target in files:
        body = target.body(endpoint, pairs)
        edits.append((target, reset_edit(target) if body is None else setup_edit(target, body)))
    for target in recorded:
        body = target.body(endpoint, pairs)
        edits.append((target, reset_edit(target) if body is None else refresh_edit(target, body)))
    # After the files, before the environments: those are the hardest to roll back.
    if save:
        config = config_target()
        disable_xet = any(name == render.XET_VARIABLE and value for name, value in pairs)
        edits.append((config, choice_edit(config, endpoint, disable_xet)))
    if take_over and scope.user:
        from . import takeover

        planned = plan_edits(edits)
        found = takeover.overrides(scope.shells, planned, pairs, platform, host, root)
        edits = takeover.with_take_over(edits, found, pairs, planned)
    kept = [t for t, _ in edits if t.kind in RECORDED_KINDS]
    dropped = [target for target in files + recorded if target.body(endpoint, pairs) is None]
    if kept:
        edits.append(_record_edit(platform, keep=[t for t in kept if t not in dropped], drop=dropped))
    edits += [(target, setup_edit(target, target.body(endpoint, pairs))) for target in environments]
    return plan_edits(edits)


def plan_reset(scope: Scope, platform: Platform, host: Host, root: Path | None = None,
               record: list[dict] | None = None) -> list[Change]:
    """The changes reset makes: every block and owned file of the scope removed.

    Besides today's startup files: every file hfenv's record says setup wrote for
    these shells (or git), wherever it is, and a shell's other candidate files
    that hold hfenv's block (setups from before the record existed).
    """
    files, environments = _split(targets_for(scope, platform, host, root))
    if scope.user:
        files += [target for shell in scope.shells for target in _former_targets(shell, platform)]
    if scope.system and platform.system != "windows":
        files += _former_system_targets(SYSTEM_ROOT if root is None else root)
    files = _unique(files + _recorded_targets(scope, platform, record))
    edits = [(target, reset_edit(target)) for target in files]
    if scope.user:  # lines `setup --take-over` commented out come back
        from . import takeover

        edits = takeover.with_restores(edits, scope.shells, platform, host, root)
    recorded = [t for t, _ in edits if t.kind in RECORDED_KINDS]
    if recorded:
        edits.append(_record_edit(platform, keep=[], drop=recorded))
    edits += [(target, reset_edit(target)) for target in environments]
    return plan_edits(edits)


def refresh_edit(target: Target, body: bytes) -> Callable[[bytes | None], bytes | None]:
    """setup's edit for a file an earlier setup wrote: only while it still holds hfenv's block."""
    setup = setup_edit(target, body)

    def edit(old: bytes | None) -> bytes | None:
        if old is None or find_block(old, target.markers, str(target.path)) is None:
            return old
        return setup(old)

    return edit


def _split(targets: list[Target]) -> tuple[list[Target], list[Target]]:
    files = [s for s in targets if not isinstance(s.store, EnvironmentStore)]
    return files, [s for s in targets if isinstance(s.store, EnvironmentStore)]


def _key(target: Target) -> str:
    return os.path.realpath(target.path)


# ---- hfenv's record of what setup wrote ------------------------------------------

RECORD_VERSION = 1
RECORDED_KINDS = frozenset(SHELLS) | {"git"}


def record_path(platform: Platform) -> Path:
    """hfenv's own state: where setup wrote. Not under XDG_CONFIG_HOME, which setup
    may have written under (fish's conf.d): a reset without it must still find it."""
    if platform.system == "linux":
        state = platform.env.get("XDG_STATE_HOME")
        base = Path(state) if state and os.path.isabs(state) else Path(str(platform.home)) / ".local" / "state"
        return base / "hfenv" / "state.json"
    from .endpoints import config_path  # macOS, Windows: the app directory ignores XDG

    return config_path().parent / "state.json"


def parse_record(data: bytes | None) -> tuple[list[dict], str | None]:
    """The record's entries and, when it is damaged, why (the damaged parts are ignored)."""
    if data is None:
        return [], None
    try:
        record = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return [], _("it is not valid JSON")
    if not isinstance(record, dict) or not isinstance(record.get("targets"), list):
        return [], _("it does not hold hfenv's record")
    entries, bad = [], 0
    for entry in record["targets"]:
        if (isinstance(entry, dict) and entry.get("kind") in RECORDED_KINDS and isinstance(entry.get("path"), str)
                and os.path.isabs(entry["path"]) and isinstance(entry.get("owned", False), bool)):
            entries.append({"kind": entry["kind"], "path": entry["path"], "owned": entry.get("owned", False)})
        else:
            bad += 1
    return entries, (ngettext("it has {n} damaged entry", "it has {n} damaged entries", bad).format(n=bad)
                     if bad else None)


def load_record(platform: Platform) -> tuple[list[dict], str | None]:
    """What setup recorded, and a warning when the record is damaged or unreadable (then ignored)."""
    path = record_path(platform)
    try:
        data = FILES.read(Target("state", path))
    except WriteError as exc:
        return [], _("ignoring hfenv's record {path}: {reason}").format(path=path, reason=exc.reason)
    entries, problem = parse_record(data)
    return entries, (_("ignoring what is damaged in hfenv's record {path}: {problem}").format(
        path=path, problem=problem) if problem else None)


def _record_edit(platform: Platform, keep: list[Target], drop: list[Target]):
    """The record with keep's files in it and drop's out (a damaged record starts afresh)."""
    target = Target("state", record_path(platform))

    def edit(old: bytes | None) -> bytes | None:
        entries, _problem = parse_record(old)
        wanted = {_abs(t): {"kind": t.kind, "path": _abs(t), "owned": t.owned} for t in keep}
        gone = {_abs(t) for t in drop} - set(wanted)
        # In place, so that a setup that changes nothing leaves the record byte for byte.
        entries = [wanted.pop(e["path"], e) for e in entries if e["path"] not in gone] + list(wanted.values())
        if not entries:
            return None
        return (json.dumps({"version": RECORD_VERSION, "targets": entries}, indent=2, ensure_ascii=False)
                + "\n").encode("utf-8")

    return target, edit


def _abs(target: Target) -> str:
    # A relative GIT_CONFIG_GLOBAL names a file under the working directory of that run.
    return os.path.abspath(target.path)


def _recorded_targets(scope: Scope, platform: Platform, record: list[dict] | None) -> list[Target]:
    """Targets for the recorded files of the scope's shells (and git)."""
    if record is None:
        record, _problem = load_record(platform)
    names = {shell.name for shell in scope.shells} if scope.user else set()
    targets = []
    for entry in record:
        path = Path(entry["path"])
        if entry["kind"] == "git" and scope.git:
            targets.append(git_target(platform, path))
        elif entry["kind"] in names:
            shell = SHELLS[entry["kind"]]
            markers = shell.block_markers
            target = Target(shell.name, path, markers=markers, owned=entry["owned"], match_newline=False)
            targets.append(_shell_target(shell, target))
    return targets


def _former_system_targets(root: Path) -> list[Target]:
    """Machine-wide files of an earlier `setup --system` that today's choice does not name."""
    targets = []
    for shell in SHELLS.values():
        for path in shell.other_system_files(root):
            if _holds_marker(path, shell.block_markers):
                targets.append(_system_file(shell, path))
    return targets


def _holds_marker(path: Path | PurePath, markers: Markers) -> bool:
    """Whether a regular file at path holds hfenv's begin marker (a FIFO is never opened)."""
    try:
        data = FILES.read(Target("probe", Path(str(path))))
    except WriteError:
        return False
    return data is not None and markers.begin.encode() in data


def _former_targets(shell: Shell, platform: Platform) -> list[Target]:
    markers = shell.block_markers
    targets = []
    for path in shell.other_startup_files(platform):
        if _holds_marker(path, markers):
            target = Target(shell.name, Path(str(path)), markers=markers, match_newline=False)
            targets.append(_shell_target(shell, target))
    return targets


def lock_paths(scope: Scope, platform: Platform, root: Path | None = None,
               saves_choice: bool = False) -> list[Path | PrivateLock]:
    """The per-user lock (when the user's files are touched), then (for --system) the
    machine-wide one; always in this order. A `sudo hfenv setup --system` that keeps
    HOME must not leave a root-owned lock in the user's config directory."""
    from .endpoints import config_lock_path

    paths = []
    if scope.user or scope.git or saves_choice:
        paths.append(config_lock_path())
    if scope.system:
        if platform.system == "windows":
            data = platform.env.get("ProgramData") or platform.env.get("PROGRAMDATA") or r"C:\ProgramData"
            paths.append(Path(data) / "hfenv" / "system.lock")
        else:
            # Not /run/lock or /tmp: anyone can write there (hold the lock, plant a symlink).
            root = SYSTEM_ROOT if root is None else root
            paths.append(PrivateLock(root / "etc" / "hfenv" / "system.lock"))
    return paths


# ---- the Windows environment --------------------------------------------------


class EnvironmentStore:
    """The Windows user or machine environment, as the lines NAME=value that hfenv set.

    Content is None when hfenv has set nothing here (no record), so that setup
    reports "created" and reset "removed" exactly as for a file.
    """

    def __init__(self, host: Host, hive: str, key: str, machine: bool):
        self.host, self.hive, self.env_key, self.machine = host, hive, key, machine
        self.label = f"{hive}\\{key}"

    def key(self, target: Target) -> object:
        return ("environment", self.hive)

    def prepare(self, target: Target) -> None:
        pass

    def read(self, target: Target) -> bytes | None:
        record = self._record()
        if not record:
            return None
        lines = []
        for name in _ordered(record):
            current = self._get(name)
            if current is not None:
                lines.append(f"{name}={current[0]}\n")
        return "".join(lines).encode("utf-8")

    def write(self, target: Target, new: bytes | None) -> Callable[[], None]:
        wanted = _parse_lines(new)
        old_record = self._record()
        record = dict(old_record)
        names = _ordered(set(record) | set(wanted))
        before = {name: self._get(name) for name in names}
        try:
            for name, value in wanted.items():
                if name not in record:
                    record[name] = list(before[name]) if before[name] is not None else None
                if before[name] != (value, REG_SZ):
                    argv = ["setx", name, value] + (["/M"] if self.machine else [])
                    self.host.run_setx(argv)
            restored = False
            for name in [n for n in names if n in record and n not in wanted]:
                self._put(name, record.pop(name))
                restored = True
            self._save_record(record)
            if restored:
                self.host.broadcast_environment_change()
        except OSError as exc:
            self._put_back(before, old_record)
            raise WriteError(self.label, _os_reason(exc)) from None

        def undo() -> None:
            try:
                self._put_back(before, old_record)
            except OSError as exc:
                raise WriteError(self.label, _os_reason(exc)) from None

        return undo

    # -- helpers

    def _get(self, name: str) -> tuple[str, int] | None:
        try:
            return self.host.read_value(self.hive, self.env_key, name)
        except OSError as exc:
            raise WriteError(self.label, _os_reason(exc)) from None

    def _put(self, name: str, value) -> None:
        """Give name the (data, type) value, or delete it for None."""
        if value is None:
            self.host.delete_value(self.hive, self.env_key, name)
        else:
            self.host.write_value(self.hive, self.env_key, name, value[0], value[1])

    def _put_back(self, before: Mapping[str, tuple[str, int] | None], record: dict) -> None:
        for name, value in before.items():
            if self._get(name) != value:
                self._put(name, value)
        self._save_record(record)
        self.host.broadcast_environment_change()

    def _record(self) -> dict:
        try:
            raw = self.host.read_value(self.hive, RECORD_KEY, RECORD_VALUE)
        except OSError as exc:
            raise WriteError(self.label, _os_reason(exc)) from None
        if raw is None:
            return {}
        try:
            data = json.loads(raw[0]) if len(raw[0]) <= 64 * 1024 else None  # hfenv writes a few hundred bytes
        except (ValueError, TypeError, RecursionError):
            data = None
        if not isinstance(data, dict) or not all(
            k in render.VARIABLES and (v is None or (isinstance(v, list) and len(v) == 2)) for k, v in data.items()
        ):
            where = f"{self.hive}\\{RECORD_KEY}\\{RECORD_VALUE}"
            raise WriteError(self.label, _("hfenv's record {where} is damaged; delete it and check HF_* by hand")
                             .format(where=where))
        return data

    def _save_record(self, record: dict) -> None:
        if record:
            text = json.dumps({n: record[n] for n in _ordered(record)}, ensure_ascii=False)
            self.host.write_value(self.hive, RECORD_KEY, RECORD_VALUE, text, REG_SZ)
        else:
            self.host.delete_value(self.hive, RECORD_KEY, RECORD_VALUE)


def _os_reason(exc: OSError) -> str:
    """Why setx or the registry failed, in the user's language (hfenv.host words its errors as Msgs)."""
    return local(exc.args[0]) if len(exc.args) == 1 and isinstance(exc.args[0], str) else str(exc)


def _ordered(names: Iterable[str]) -> list[str]:
    names = set(names)
    return [n for n in render.VARIABLES if n in names] + sorted(names - set(render.VARIABLES))


def _parse_lines(data: bytes | None) -> dict[str, str]:
    if data is None:
        return {}
    out = {}
    for line in data.decode("utf-8").splitlines():
        name, _sep, value = line.partition("=")
        out[name] = value
    return out


# ---- the token warning --------------------------------------------------------


def token_file(env: Mapping[str, str], home: PurePath) -> Path:
    """Where huggingface_hub keeps the token: $HF_TOKEN_PATH, else $HF_HOME/token,
    else $XDG_CACHE_HOME/huggingface/token, else ~/.cache/huggingface/token."""
    if env.get("HF_TOKEN_PATH"):
        return Path(os.path.expanduser(env["HF_TOKEN_PATH"]))
    return Path(hf_home(env, home)) / "token"


def hf_home(env: Mapping[str, str], home: PurePath) -> str:
    """huggingface_hub's HF_HOME: $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface."""
    return os.path.expanduser(env.get("HF_HOME") or os.path.join(
        env.get("XDG_CACHE_HOME") or os.path.join(str(home), ".cache"), "huggingface"))


def stored_tokens(env: Mapping[str, str], home: PurePath) -> list[str]:
    """Where a Hugging Face token is stored (names and paths only, never the token)."""
    found = [f"${name}" for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN") if env.get(name, "").strip()]
    path = token_file(env, home)
    try:
        if read_regular(path, SMALL_FILE_LIMIT).strip():
            found.append(str(path))
    except OSError:  # absent, or not a small regular file (a FIFO, /dev/zero): no token huggingface_hub can use
        pass
    return found


def third_party_token(url: str) -> tuple[str, str]:
    """SPEC 5's warning in its one wording, for setup and doctor: (what happens to the token, the fix)."""
    host = urlsplit(url).netloc or url
    return (_("with HF_ENDPOINT={url}, every request, token included, goes to {host}, a third party").format(
                url=url, host=host),
            _("for public downloads: export HF_HUB_DISABLE_IMPLICIT_TOKEN=1 (the token is then sent only when a "
              "program passes it explicitly)"))


def token_warning(endpoint: Endpoint, env: Mapping[str, str], home: PurePath) -> str | None:
    """SPEC 5: a stored token and a third-party endpoint (where it is stored, then third_party_token)."""
    if endpoint.is_official:
        return None
    sources = stored_tokens(env, home)
    if not sources:
        return None
    what, fix = third_party_token(endpoint.url)
    return _("a Hugging Face token is stored ({sources}): {what}; {fix}").format(
        sources=", ".join(sources), what=what, fix=fix)
