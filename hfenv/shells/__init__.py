"""One entry per shell: everything that differs between shells, in both directions.

Each entry (a :class:`Shell`, one module per shell family here) owns its
template and quoting (writing), the reader of its startup files' lines (the
inverse), its startup files and their read order, its machine-wide files and its
eval line. The renderer, the writers, the reader of startup files, detect,
doctor and the CLI never ask "which shell is this?": they ask the entry.
:data:`SHELLS` is the one list; tests walk it (tests/test_shells.py).
"""

from __future__ import annotations

from pathlib import PurePath, PureWindowsPath

from .base import (
    CONTROL,
    UNSET,
    Action,
    Platform,
    ProgramHost,
    Shell,
    StartupFile,
    UnknownShell,
    UnsafeValue,
    Words,
    _,
    check_value,
)
from .csh import Tcsh
from .elvish import Elvish
from .fish import Fish
from .posix import Bash, Posix, Sh, Zsh
from .windows import PS_QUOTES, Cmd, PowerShell, powershell_profiles
from .xonsh import Xonsh

__all__ = [
    "CONTROL", "UNSET", "Action", "Platform", "ProgramHost", "Shell", "StartupFile", "UnknownShell", "UnsafeValue",
    "Words", "check_value", "Posix", "Bash", "Zsh", "Sh", "Fish", "Tcsh", "Xonsh", "Elvish", "PowerShell", "Cmd",
    "PS_QUOTES", "powershell_profiles", "SHELLS", "ALIASES", "get", "eval_table",
]

SHELLS: dict[str, Shell] = {
    s.name: s for s in (Bash(), Zsh(), Sh(), Fish(), Tcsh(), Xonsh(), Elvish(), PowerShell(), Cmd())
}
ALIASES: dict[str, str] = {alias: s.name for s in SHELLS.values() for alias in s.aliases}


def eval_table(command: str = "hfenv shell") -> str:
    """Every shell's eval line and the names it goes by, one per line (`hfenv shell --help`)."""
    rows: dict[str, list[str]] = {}
    for entry in SHELLS.values():
        rows.setdefault(entry.eval_line(command), []).extend((entry.name, *entry.aliases))
    width = max(map(len, rows))
    return "\n".join(f"{line:<{width}}  {', '.join(names)}" for line, names in rows.items())


def get(name_or_path: str) -> Shell:
    """Look up a shell by name, alias or path (`/usr/bin/zsh`, `C:\\...\\pwsh.exe`)."""
    key = PureWindowsPath(name_or_path).name if "\\" in name_or_path else PurePath(name_or_path).name
    key = key.lower()
    for suffix in (".exe",):
        if key.endswith(suffix):
            key = key[: -len(suffix)]
    key = key.lstrip("-")  # a login shell's argv[0]: -bash
    if key in SHELLS:
        return SHELLS[key]
    if key in ALIASES:
        return SHELLS[ALIASES[key]]
    known = ", ".join(list(SHELLS) + sorted(ALIASES))
    raise UnknownShell(_("unknown shell {name}; pass --shell with one of: {known}").format(
        name=repr(name_or_path), known=known))
