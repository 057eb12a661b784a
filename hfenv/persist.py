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
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Callable, Iterable, Mapping

from . import render
from .blocks import Markers, render_block
from .endpoints import Endpoint
from .host import REG_SZ, Host
from .shells import SHELLS, Platform, Shell
from .writers import Change, Target, WriteError, plan_edits, reset_edit, setup_edit

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


@dataclass(frozen=True)
class Slot:
    """A target and how its content follows from the endpoint (None: nothing there)."""

    target: Target
    body: Callable[[Endpoint, Pairs], bytes | None] = field(compare=False)


# ---- targets ------------------------------------------------------------------


def shell_slots(shell: Shell, platform: Platform, host: Host | None) -> list[Slot]:
    markers = Markers(*shell.block_markers)
    slots = []
    for startup in shell.startup_files(platform, host):
        target = Target(
            shell.name, Path(str(startup.path)), markers=markers, owned=startup.owned,
            newline=startup.newline.encode("ascii"), at_start=startup.at_start, bom=startup.bom,
            match_newline=startup.match_newline,
        )
        slots.append(Slot(target, _shell_body(shell, markers, target)))
    return slots


def _shell_body(shell: Shell, markers: Markers, target: Target) -> Callable[[Endpoint, Pairs], bytes]:
    def body(endpoint: Endpoint, pairs: Pairs) -> bytes:
        text = render.render_block_body(shell, pairs).encode("utf-8")
        # A whole file hfenv owns holds the marked block too: one search finds every place.
        return render_block(text, markers, target.newline) if target.owned else text

    return body


def environment_slot(host: Host, machine: bool) -> Slot:
    hive, key = MACHINE_ENVIRONMENT if machine else USER_ENVIRONMENT
    store = EnvironmentStore(host, hive, key, machine)
    kind = "machine-environment" if machine else "user-environment"
    target = Target(kind, Path(f"{hive}\\{key}"), owned=True, store=store)
    return Slot(target, lambda endpoint, pairs: "".join(f"{n}={v}\n" for n, v in pairs).encode("utf-8"))


def system_file_slots(root: Path | None = None) -> list[Slot]:
    """Machine-wide files on Unix, as each shell names them (profile.d, fish's system conf.d)."""
    root = SYSTEM_ROOT if root is None else root
    return [_system_file(shell, path) for shell in SHELLS.values() for path in shell.system_files(root)]


def _system_file(shell: Shell, path: Path) -> Slot:
    markers = Markers(*shell.block_markers)
    target = Target("system", path, markers=markers, owned=True, mode=0o644, match_newline=False)
    return Slot(target, _shell_body(shell, markers, target))


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


def git_slot(platform: Platform) -> Slot:
    target = Target("git", git_config_path(platform), match_newline=False)

    def body(endpoint: Endpoint, pairs: Pairs) -> bytes | None:
        if endpoint.is_official:
            return None  # nothing to route: an earlier rule is removed
        return render.render_git_rule(endpoint.url).encode("utf-8")

    return Slot(target, body)


def slots_for(scope: Scope, platform: Platform, host: Host, root: Path | None = None) -> list[Slot]:
    """Every target of the scope, each file once, in the order they are written."""
    files: list[Slot] = []
    if scope.user:
        files += [slot for shell in scope.shells for slot in shell_slots(shell, platform, host)]
    if scope.system and platform.system != "windows":
        files += system_file_slots(root)
    if scope.git:
        files.append(git_slot(platform))
    environments = []
    if platform.system == "windows":
        # Every new program sees the environment, whatever shell (or none) starts it.
        if scope.user:
            environments.append(environment_slot(host, machine=False))
        if scope.system:
            environments.append(environment_slot(host, machine=True))
    return _unique(files) + environments


def _unique(slots: list[Slot]) -> list[Slot]:
    """One slot per file (bash and sh both name ~/.profile; a symlink may join two names)."""
    seen, out = set(), []
    for slot in slots:
        key = os.path.realpath(slot.target.path)
        if key not in seen:
            seen.add(key)
            out.append(slot)
    return out


# ---- plans --------------------------------------------------------------------


def config_target() -> Target:
    from .endpoints import config_path

    return Target("config", config_path())


def choice_edit(target: Target, endpoint: Endpoint) -> Callable[[bytes | None], bytes | None]:
    """hfenv's config with `chosen` set to endpoint, every other key kept (and checked: a damaged
    config stops setup, exit 1 naming the key; a damaged `chosen` is what setup repairs)."""
    from .endpoints import config_edit

    return config_edit(target.path, lambda config: config.__setitem__("chosen", endpoint.as_dict()), check=True)


def plan_setup(scope: Scope, endpoint: Endpoint, pairs: Pairs, platform: Platform, host: Host,
               root: Path | None = None, save: bool = True) -> list[Change]:
    """The changes setup makes: each target set to its body, then the saved choice."""
    edits = []
    for slot in slots_for(scope, platform, host, root):
        body = slot.body(endpoint, pairs)
        edits.append((slot.target, reset_edit(slot.target) if body is None else setup_edit(slot.target, body)))
    if save:
        config = config_target()
        # After the files, before the environments: those are the hardest to roll back.
        files = [i for i, (t, _) in enumerate(edits) if not isinstance(t.store, EnvironmentStore)]
        edits.insert(len(files), (config, choice_edit(config, endpoint)))
    return plan_edits(edits)


def plan_reset(scope: Scope, platform: Platform, host: Host, root: Path | None = None) -> list[Change]:
    """The changes reset makes: every block and owned file of the scope removed.

    Besides today's startup files, a shell's other candidate files are searched
    for hfenv's block: which file setup chose depended on what existed then
    (a ~/.bash_profile created later hides the ~/.profile setup wrote).
    """
    slots = slots_for(scope, platform, host, root)
    if scope.user:
        slots = _unique(slots + [slot for shell in scope.shells for slot in _former_slots(shell, platform)])
    return plan_edits((slot.target, reset_edit(slot.target)) for slot in slots)


def _former_slots(shell: Shell, platform: Platform) -> list[Slot]:
    markers = Markers(*shell.block_markers)
    slots = []
    for path in shell.other_startup_files(platform):
        try:
            holds_block = markers.begin.encode() in Path(str(path)).read_bytes()
        except OSError:
            continue
        if holds_block:
            target = Target(shell.name, Path(str(path)), markers=markers, match_newline=False)
            slots.append(Slot(target, _shell_body(shell, markers, target)))
    return slots


def lock_paths(scope: Scope, platform: Platform, root: Path | None = None, saves_choice: bool = False) -> list[Path]:
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
            root = SYSTEM_ROOT if root is None else root
            lock_dir = next((root / d for d in ("run/lock", "var/lock") if (root / d).is_dir()), root / "tmp")
            paths.append(lock_dir / "hfenv-system.lock")
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
            raise WriteError(self.label, str(exc)) from None

        def undo() -> None:
            try:
                self._put_back(before, old_record)
            except OSError as exc:
                raise WriteError(self.label, str(exc)) from None

        return undo

    # -- helpers

    def _get(self, name: str) -> tuple[str, int] | None:
        try:
            return self.host.read_value(self.hive, self.env_key, name)
        except OSError as exc:
            raise WriteError(self.label, str(exc)) from None

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
            raise WriteError(self.label, str(exc)) from None
        if raw is None:
            return {}
        try:
            data = json.loads(raw[0])
        except ValueError:
            data = None
        if not isinstance(data, dict) or not all(
            k in render.VARIABLES and (v is None or (isinstance(v, list) and len(v) == 2)) for k, v in data.items()
        ):
            where = f"{self.hive}\\{RECORD_KEY}\\{RECORD_VALUE}"
            raise WriteError(self.label, f"hfenv's record {where} is damaged; delete it and check HF_* by hand")
        return data

    def _save_record(self, record: dict) -> None:
        if record:
            text = json.dumps({n: record[n] for n in _ordered(record)}, ensure_ascii=False)
            self.host.write_value(self.hive, RECORD_KEY, RECORD_VALUE, text, REG_SZ)
        else:
            self.host.delete_value(self.hive, RECORD_KEY, RECORD_VALUE)


def _ordered(names: Iterable[str]) -> list[str]:
    names = set(names)
    return [n for n in render.VARIABLES if n in names] + sorted(names - set(render.VARIABLES))


def _parse_lines(data: bytes | None) -> dict[str, str]:
    if data is None:
        return {}
    out = {}
    for line in data.decode("utf-8").splitlines():
        name, _, value = line.partition("=")
        out[name] = value
    return out


# ---- the token warning --------------------------------------------------------


def token_file(env: Mapping[str, str], home: PurePath) -> Path:
    """Where huggingface_hub keeps the token: $HF_TOKEN_PATH, else $HF_HOME/token,
    else $XDG_CACHE_HOME/huggingface/token, else ~/.cache/huggingface/token."""
    if env.get("HF_TOKEN_PATH"):
        return Path(os.path.expanduser(env["HF_TOKEN_PATH"]))
    hf_home = env.get("HF_HOME") or os.path.join(env.get("XDG_CACHE_HOME") or os.path.join(str(home), ".cache"),
                                                  "huggingface")
    return Path(os.path.expanduser(hf_home)) / "token"


def stored_tokens(env: Mapping[str, str], home: PurePath) -> list[str]:
    """Where a Hugging Face token is stored (names and paths only, never the token)."""
    found = [f"${name}" for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN") if env.get(name, "").strip()]
    path = token_file(env, home)
    try:
        if path.is_file() and path.read_bytes().strip():
            found.append(str(path))
    except OSError:
        pass
    return found


def token_warning(endpoint: Endpoint, env: Mapping[str, str], home: PurePath) -> str | None:
    """SPEC 5: a stored token and a third-party endpoint."""
    if endpoint.is_official:
        return None
    sources = stored_tokens(env, home)
    if not sources:
        return None
    host = endpoint.url.split("://", 1)[1].split("/", 1)[0]
    return (
        f"a Hugging Face token is stored ({', '.join(sources)}). With HF_ENDPOINT={endpoint.url}, "
        f"every request, token included, goes to {host}, a third party. For public downloads "
        "set HF_HUB_DISABLE_IMPLICIT_TOKEN=1 so that the token is not sent."
    )
