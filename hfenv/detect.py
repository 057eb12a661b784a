"""What machine and shell this is, and where HF_ENDPOINT currently comes from."""

from __future__ import annotations

import os
import platform as _platform
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from . import shells
from .endpoints import CATALOG, OFFICIAL
from .i18n import N_, Msg, _, local
from .shells import Platform, Shell, UnknownShell


def system_name(sys_platform: str = sys.platform) -> str:
    if sys_platform.startswith("win") or sys_platform == "cygwin":
        return "windows"
    if sys_platform == "darwin":
        return "macos"
    return "linux"


def current_platform(env: Mapping[str, str] | None = None) -> Platform:
    env = dict(os.environ if env is None else env)
    system = system_name()
    return Platform(
        system=system,
        home=Path(os.path.expanduser("~")),
        env=env,
        git_bash=system == "windows" and bool(env.get("MSYSTEM")),
    )


def read_os_release(path: str = "/etc/os-release") -> dict[str, str]:
    from .files import read_text

    values = {}
    try:
        text = read_text(path)
    except OSError:  # absent, unreadable, or not a small regular file: no distribution name
        return values
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            values[key] = value.strip().strip('"')
    return values


def is_wsl(env: Mapping[str, str]) -> bool:
    if env.get("WSL_DISTRO_NAME") or env.get("WSL_INTEROP"):
        return True
    from .files import read_text

    try:
        return "microsoft" in read_text("/proc/sys/kernel/osrelease").lower()
    except OSError:
        return False


def os_info(env: Mapping[str, str] | None = None) -> dict:
    env = os.environ if env is None else env
    system = system_name()
    info = {"system": system, "name": _platform.system(), "version": _platform.release(), "wsl": False}
    if system == "linux":
        release = read_os_release()
        info["name"] = release.get("PRETTY_NAME") or release.get("NAME") or "Linux"
        info["version"] = release.get("VERSION_ID", "")
        info["wsl"] = is_wsl(env)
    elif system == "macos":
        info["name"] = "macOS"
        info["version"] = _platform.mac_ver()[0]
    else:
        info["name"] = "Windows"
        info["version"] = _platform.version()
    return info


# Shells hfenv does not support: an ancestor that is one of these ends the search (the shell
# above it, say the terminal's bash, is not the one the user types into).
OTHER_SHELLS = {"nu", "nushell", "ion", "osh", "oil", "ysh", "yash", "rc", "es", "murex", "ngs"}
_PYTHON = re.compile(r"python(\d+(\.\d+)?)?(\.exe)?")
# Python's options that take the next word as their value (python -W error -m xonsh ...).
_PYTHON_VALUE_OPTIONS = {"-W", "-X", "-Q"}


def shell_from_command(argv: list[str], exe: str | None = None, cwd: str | None = None) -> tuple[str, str] | None:
    """(shell name, path) when the process with this command line is a shell hfenv knows, else None.

    argv[0] first: a login shell's ``-csh`` (tcsh started by login or ``exec -a``) is a
    csh. A Python running a shell (xonsh: ``python3 /usr/bin/xonsh ...`` or
    ``python3 -m xonsh ...``) is that shell. Last, the executable itself (``exe``,
    /proc/PID/exe), for an argv[0] that names nothing (``exec -a myshell zsh``).
    """
    if not argv:
        return None
    first = os.path.basename(argv[0]).lstrip("-")
    try:
        entry = shells.get(first)
        return entry.name, exe or argv[0].lstrip("-")
    except UnknownShell:
        pass
    if _PYTHON.fullmatch(first.lower()):
        words = iter(argv[1:])
        for word in words:
            if word in _PYTHON_VALUE_OPTIONS:
                next(words, None)
                continue
            module = next(words, "") if word == "-m" else word[2:] if word.startswith("-m") else None
            if module:
                try:
                    entry = shells.get(module.split(".")[0])
                except UnknownShell:
                    return None
                return entry.name, f"{exe or argv[0]} -m {module}"
            if word.startswith("-"):
                if word in ("-c", "-", "-m"):
                    return None  # a program given inline: not a shell's script
                continue
            else:
                script = word
            try:
                entry = shells.get(os.path.basename(script))
            except UnknownShell:
                return None
            path = script if os.path.isabs(script) or "/" not in script else os.path.join(cwd or "", script)
            return entry.name, path
        return None
    if exe:
        try:
            return shells.get(os.path.basename(exe)).name, exe
        except UnknownShell:
            pass
    return None


def process_shell(max_depth: int = 10) -> tuple[str, str] | None:
    """The nearest ancestor process that is a shell, told by its command line (Linux /proc); None elsewhere."""
    from .files import read_regular

    pid = os.getppid()
    for _step in range(max_depth):
        if pid <= 1:
            return None
        base = f"/proc/{pid}"
        try:
            argv = [w.decode("utf-8", "surrogateescape") for w in read_regular(f"{base}/cmdline").split(b"\0")[:-1]]
            stat_text = read_regular(f"{base}/stat").decode("ascii", "replace")
            parent = int(stat_text.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return None
        try:
            exe = os.readlink(f"{base}/exe")
        except OSError:
            exe = None
        try:
            cwd = os.readlink(f"{base}/cwd")
        except OSError:
            cwd = None
        found = shell_from_command(argv, exe, cwd)
        if found:
            return found
        names = {os.path.basename(argv[0]).lstrip("-").lower() if argv else "", os.path.basename(exe or "")}
        if names & OTHER_SHELLS:
            return None
        pid = parent
    return None


def detect_shell(env: Mapping[str, str] | None = None) -> tuple[str | None, str | None, str]:
    """(shell name, path, how it was found); name is None when nothing worked.

    shellingham first; then the parent processes' command lines, where its answer
    comes from a name that misleads: for a login shell (``-csh``) shellingham
    reports ``$SHELL`` (bash, when tcsh was started from bash), and it misses a
    shell run by Python with arguments before the script (``python3 -m xonsh``).
    """
    env = os.environ if env is None else env
    reasons = []
    try:
        import shellingham

        name, path = shellingham.detect_shell()
        if not os.path.isabs(path):  # shellingham gives argv[0], e.g. "bash" or "-zsh"
            import shutil

            path = shutil.which(path.lstrip("-")) or path
        try:
            entry = shells.get(name)
        except UnknownShell:
            entry = None
            reasons.append(Msg("parent process is {name}", name=name))
        found = process_shell()
        if found and (entry is None or found[0] != entry.name):
            return found[0], found[1], Msg("parent process's command line")
        if entry is not None:
            return entry.name, path, Msg("parent process (shellingham)")
    except Exception as exc:  # shellingham raises its own ShellDetectionFailure, or OSError
        found = process_shell()
        if found:
            return found[0], found[1], Msg("parent process's command line")
        reasons.append(f"shellingham: {exc.__class__.__name__}")
    candidates = []
    if env.get("SHELL"):
        candidates.append((env["SHELL"], "$SHELL"))
    if system_name() == "windows":
        if env.get("PSModulePath", "").count(os.pathsep) >= 2:
            candidates.append(("powershell", "PSModulePath (PowerShell)"))
        if env.get("COMSPEC"):
            candidates.append((env["COMSPEC"], "%COMSPEC%"))
    for value, source in candidates:
        try:
            return shells.get(value).name, value, source
        except UnknownShell:
            reasons.append(Msg("{source} is {value}", source=source, value=value))
    return None, None, _joined(reasons) or Msg("no hints")


def _joined(parts: list) -> str:
    """parts joined with "; ", keeping Msgs (so the reasons show in the user's language)."""
    joined = ""
    for part in parts:
        joined = part if not joined else joined + Msg("; ") + part
    return joined


def current_shell_entry(env: Mapping[str, str] | None = None) -> Shell:
    name, _path, how = detect_shell(env)
    if name is None:
        raise UnknownShell(Msg("could not tell which shell this is ({how}); pass --shell NAME", how=how))
    return shells.get(name)


def endpoint_sources(entry: Shell | None, plat: Platform, host=None, root: Path | None = None) -> dict:
    """The HF_ENDPOINT this process sees, and the startup lines that set it for this shell.

    The lines come from hfenv.startup, the reader doctor uses too: the same files in the
    same order, and only lines that set, export or unset the variable (not `echo $HF_ENDPOINT`).
    """
    from .startup import places_for, read_places, startup_places

    value = plat.env.get("HF_ENDPOINT")
    files, problems = [], []
    if entry is not None:
        lines, found = read_places(places_for(entry.name, startup_places(plat, host, root)))
        for line in lines:
            files.append({"path": line.path, "line": line.line, "text": line.text, "action": line.action,
                          "value": line.value, "exported": line.exported, "in_block": line.in_block})
        problems = [{"path": path, "problem": problem} for path, problem in found]
    return {
        "value": value,
        "source": Msg("environment of this process") if value is not None
        else Msg("not set (huggingface_hub uses {url})", url=CATALOG[OFFICIAL]),
        "startup_files": files,
        "problems": problems,
    }


def detect(env: Mapping[str, str] | None = None) -> dict:
    """Everything `hfenv detect` reports, as plain data."""
    plat = current_platform(env)
    name, path, how = detect_shell(plat.env)
    entry = shells.get(name) if name else None
    startup = [
        {"path": str(s.path), "exists": os.path.lexists(s.path), "owned": s.owned, "why": s.why}
        for s in (entry.startup_files(plat) if entry else [])
    ]
    return {
        "os": os_info(plat.env),
        "shell": {
            "name": name,
            "path": path,
            "detected_by": how,
            "eval": entry.eval_hint if entry else None,
        },
        "startup_files": startup,
        "hf_endpoint": endpoint_sources(entry, plat),
    }


def _cells(text: str) -> int:
    """Terminal columns `text` takes (a Chinese character takes two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# What a line outside hfenv's block does to HF_ENDPOINT (startup.Assignment.action), as shown.
ACTIONS = {"set": N_("set"), "export": N_("export"), "unset": N_("unset")}


def format_detection(info: dict) -> str:
    """`hfenv detect`'s text, in the user's language (labels aligned in terminal cells)."""
    os_ = info["os"]
    shell = info["shell"]
    labels = {key: _(text) for key, text in (("os", N_("OS:")), ("shell", N_("Shell:")),
                                             ("this", N_("This shell:")), ("endpoint", N_("HF_ENDPOINT:")))}
    width = max(_cells(label) for label in labels.values()) + 1

    def row(key: str, value: str) -> str:
        label = labels[key]
        return label + " " * (width - _cells(label)) + value

    lines = [row("os", os_["name"] + (" (WSL)" if os_["wsl"] else ""))]
    if shell["name"]:
        lines.append(row("shell", _("{name} ({path}; from {how})").format(
            name=shell["name"], path=shell["path"], how=local(shell["detected_by"]))))
        lines.append(row("this", shell["eval"]))
    else:
        lines.append(row("shell", _("unknown ({how}); pass --shell NAME to other commands").format(
            how=local(shell["detected_by"]))))
    if info["startup_files"]:
        lines.append(_("setup --persist writes:"))
        for item in info["startup_files"]:
            state = _("exists") if item["exists"] else _("would be created")
            if item["owned"]:
                state = _("{state}, owned by hfenv").format(state=state)
            lines.append("  " + _("{path}  ({state}; {why})").format(path=item["path"], state=state,
                                                                     why=local(item["why"])))
    endpoint = info["hf_endpoint"]
    value = endpoint["value"]
    shown = value if value is not None else _("(unset)")
    lines.append(row("endpoint", f"{shown}  [{local(endpoint['source'])}]"))
    for item in endpoint["startup_files"]:
        where = _("hfenv's block") if item["in_block"] else _(ACTIONS.get(item["action"], item["action"]))
        lines.append("  " + _("{path}:{line} ({where}): {text}").format(path=item["path"], line=item["line"],
                                                                          where=where, text=item["text"]))
    for item in endpoint["problems"]:
        lines.append("  " + _("not read: {path}: {problem}").format(path=item["path"],
                                                                     problem=local(item["problem"])))
    return "\n".join(lines)
