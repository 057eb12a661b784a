"""One entry per shell: name, aliases, template, quoting, startup files, eval hint.

Everything that differs between shells lives here, so that the renderer, the
writers and the CLI never ask "which shell is this?".
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PureWindowsPath
from typing import Mapping, Protocol

from .blocks import HASH_MARKERS, Markers

# Characters no shell here can carry through one line of code.
CONTROL = {chr(c) for c in range(0x20)} | {"\x7f", "\u0085", "\u2028", "\u2029"}


class UnknownShell(ValueError):
    """A --shell value (or detected shell) hfenv does not know."""


class UnsafeValue(ValueError):
    """A value that cannot be written safely for a given shell."""


@dataclass(frozen=True)
class Platform:
    """What a startup-file decision depends on; built by detect, replaced in tests."""

    system: str  # "linux", "macos", "windows" (WSL counts as linux)
    home: PurePath
    env: Mapping[str, str] = field(default_factory=dict)
    git_bash: bool = False

    def config_home(self) -> PurePath:
        xdg = self.env.get("XDG_CONFIG_HOME")
        return PurePath(xdg) if xdg and os.path.isabs(xdg) else self.home / ".config"


@dataclass(frozen=True)
class StartupFile:
    """A file `setup --persist` writes for a shell; `owned` files belong to hfenv whole.

    ``at_start``: the block goes first in the file (before an early `return`);
    ``newline`` and ``bom``: how a file that hfenv creates is written;
    ``match_newline``: the block may follow a file's CRLF endings (only shells
    that ignore the \r do; the others would read it as part of the value).
    """

    path: PurePath
    why: str
    owned: bool = False
    at_start: bool = False
    newline: str = "\n"
    bom: bool = False
    match_newline: bool = False


class ProgramHost(Protocol):
    """What startup_files may ask the machine (see hfenv.host); None: use documented defaults."""

    def which(self, program: str) -> str | None: ...

    def powershell_profile(self, exe: str) -> str | None: ...


def check_value(value: str) -> None:
    """Refuse what no shell line can carry: control characters and unencodable bytes."""
    for ch in value:
        if ch in CONTROL:
            raise UnsafeValue(f"value contains a control character ({ord(ch):#04x})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafeValue("value is not valid UTF-8 (undecodable bytes in a path?)") from None


def _refuse_braces(value: str, who: str) -> None:
    check_value(value)
    if "{" in value or "}" in value:
        raise UnsafeValue(
            f"{who} brace-expand the words of an unquoted eval, which can run a value as code: "
            "'{' and '}' cannot be carried safely"
        )


class Shell:
    name: str = ""
    aliases: tuple[str, ...] = ()
    template: str = ""
    # How this shell runs what a command prints, `{}` standing for the command: the eval line that
    # `hfenv shell --help`, setup's hints, doctor and the READMEs show (a test checks the READMEs).
    evaluates: str = ""
    block_markers: Markers = HASH_MARKERS
    # How its startup files assign variables, read back by hfenv.startup (detect, doctor, setup's
    # take-over): one of startup.SYNTAXES, "posix", "fish", "csh", ... The inverse of its template.
    syntax: str = ""

    def quote(self, value: str) -> str:
        raise NotImplementedError

    def eval_line(self, command: str = "hfenv shell") -> str:
        """The line that puts `command`'s output into effect in this shell."""
        return self.evaluates.format(command)

    @property
    def eval_hint(self) -> str:
        """The eval line naming this shell, so it works wherever detection would guess another."""
        return self.eval_line(f"hfenv shell --shell {self.name}")

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        return []

    def other_startup_files(self, platform: Platform) -> list[PurePath]:
        """Files an earlier setup may have chosen instead (the choice depends on what existed)."""
        return []

    def system_files(self, root: Path) -> list[Path]:
        """Machine-wide files (owned by hfenv) that `setup --system` writes, where their directory exists."""
        return []

    def other_system_files(self, root: Path) -> list[Path]:
        """Machine-wide files an earlier `setup --system` may have chosen instead."""
        return []


def _first_existing(candidates: list[PurePath], default: PurePath) -> PurePath:
    for path in candidates:
        if os.path.lexists(path):
            return path
    return default


class Posix(Shell):
    template = "posix.sh"
    evaluates = 'eval "$({})"'
    syntax = "posix"

    def quote(self, value: str) -> str:
        # Single quotes keep everything literal; a space is written as an escaped
        # space outside the quotes so that the unquoted `eval $(hfenv shell)`,
        # which splits on runs of spaces and rejoins with one, restores it exactly.
        check_value(value)
        pieces = ("'" + part.replace("'", "'\\''") + "'" for part in value.split(" "))
        return "\\ ".join(pieces)


class Bash(Posix):
    name = "bash"

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        home = platform.home
        if platform.system == "macos" or platform.git_bash:
            rc = StartupFile(home / ".bash_profile", "read by login shells (every new terminal here)")
            return [rc]
        login = _first_existing(
            [home / ".bash_profile", home / ".bash_login", home / ".profile"], home / ".profile"
        )
        # bash runs ~/.bashrc for `ssh host cmd` too, but Debian's (and Ubuntu's) starts
        # by returning when not interactive: only a block placed first is seen there.
        return [
            StartupFile(home / ".bashrc", "read by interactive shells and by `ssh host command` "
                        "(the block goes first, before any not-interactive `return`)", at_start=True),
            StartupFile(login, "read by login shells (bash -l, ssh logins, many job schedulers)"),
        ]

    def other_startup_files(self, platform: Platform) -> list[PurePath]:
        home = platform.home
        return [home / name for name in (".bashrc", ".bash_profile", ".bash_login", ".profile")]


class Zsh(Posix):
    name = "zsh"

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        zdotdir = platform.env.get("ZDOTDIR")
        base = PurePath(zdotdir) if zdotdir and os.path.isabs(zdotdir) else platform.home
        return [
            StartupFile(base / ".zshrc", "read by interactive shells"),
            StartupFile(base / ".zshenv", "read by every zsh, also zsh -c and zsh -lc"),
        ]

    def other_startup_files(self, platform: Platform) -> list[PurePath]:
        return [platform.home / ".zshrc", platform.home / ".zshenv"]  # before ZDOTDIR was set


class Sh(Posix):
    name = "sh"
    aliases = ("dash", "ksh", "mksh", "ksh93", "ash", "busybox")

    def quote(self, value: str) -> str:
        # ksh and mksh brace-expand the words of an unquoted `eval $(...)`, which
        # can turn a quoted value into code, so braces are refused for this family.
        _refuse_braces(value, "ksh and mksh")
        return super().quote(value)

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        return [StartupFile(platform.home / ".profile", "read by login shells")]

    def system_files(self, root: Path) -> list[Path]:
        # /etc/profile runs every file here for login shells of sh, bash, dash and ksh.
        profile_d = root / "etc" / "profile.d"
        return [profile_d / "hfenv.sh"] if profile_d.is_dir() else []


class Fish(Shell):
    name = "fish"
    syntax = "fish"
    template = "fish.fish"
    evaluates = "{} | source"

    def quote(self, value: str) -> str:
        # fish single quotes are not fully literal: backslash escapes ' and \ there.
        check_value(value)
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        path = platform.config_home() / "fish" / "conf.d" / "hfenv.fish"
        return [StartupFile(path, "fish runs every conf.d file at start", owned=True)]

    # fish's system configuration directory: distribution packages, Homebrew (Intel, Apple silicon).
    SYSCONF_DIRS = ("etc/fish", "usr/local/etc/fish", "opt/homebrew/etc/fish")

    def system_files(self, root: Path) -> list[Path]:
        for sysconf in self.SYSCONF_DIRS:
            if (root / sysconf).is_dir():
                return [root / sysconf / "conf.d" / "hfenv.fish"]
        return []

    def other_system_files(self, root: Path) -> list[Path]:
        # A fish installed (or removed) since: Homebrew's and the distribution's directories.
        return [root / sysconf / "conf.d" / "hfenv.fish" for sysconf in self.SYSCONF_DIRS]


class Tcsh(Shell):
    name = "tcsh"
    syntax = "csh"
    aliases = ("csh",)
    template = "tcsh.csh"
    evaluates = 'eval "`{}`"'

    def quote(self, value: str) -> str:
        # csh expands history (!) even inside single quotes, so ! is escaped
        # outside them; spaces too, so that backquote word splitting is lossless.
        # It also brace-expands the words of a plain eval `...`: braces are refused.
        _refuse_braces(value, "csh")
        out = []
        for part in _split_keep(value, " !"):
            if part in (" ", "!"):
                out.append("\\" + part)
            else:
                out.append("'" + part.replace("'", "'\\''") + "'")
        return "".join(out) or "''"

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        home = platform.home
        tcshrc, cshrc = home / ".tcshrc", home / ".cshrc"
        path = cshrc if os.path.lexists(cshrc) and not os.path.lexists(tcshrc) else tcshrc
        return [StartupFile(path, "read by every tcsh")]

    def other_startup_files(self, platform: Platform) -> list[PurePath]:
        return [platform.home / ".tcshrc", platform.home / ".cshrc"]


class Xonsh(Shell):
    name = "xonsh"
    syntax = "xonsh"
    template = "xonsh.xsh"
    evaluates = "execx($({}))"

    def quote(self, value: str) -> str:
        # A Python string literal; xonsh reads source as UTF-8, so only \ and ' need escapes.
        check_value(value)
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        return [StartupFile(platform.home / ".xonshrc", "read by interactive xonsh")]


class Elvish(Shell):
    name = "elvish"
    syntax = "elvish"
    template = "elvish.elv"
    evaluates = "eval ({} | slurp)"

    def quote(self, value: str) -> str:
        # Elvish single quotes have one escape only: '' for a quote.
        check_value(value)
        return "'" + value.replace("'", "''") + "'"

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        path = platform.config_home() / "elvish" / "rc.elv"
        return [StartupFile(path, "read by interactive elvish")]


# PowerShell treats these typographic quotes like ' inside single-quoted strings.
PS_QUOTES = "'\u2018\u2019\u201a\u201b"


class PowerShell(Shell):
    name = "powershell"
    syntax = "powershell"
    aliases = ("pwsh",)
    template = "powershell.ps1"
    evaluates = "{} | Invoke-Expression"
    # PowerShell folds #region blocks in editors; its # comments would take the hash markers too.
    block_markers = Markers("#region hfenv", "#endregion hfenv")

    def quote(self, value: str) -> str:
        # Single-quoted strings end at ' and at its typographic cousins; doubling escapes each.
        check_value(value)
        return "'" + "".join(ch * 2 if ch in PS_QUOTES else ch for ch in value) + "'"

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        # New profiles on Windows: CRLF like every Windows editor, and a BOM because
        # Windows PowerShell 5.1 reads a BOM-less file in the ANSI code page.
        windows = platform.system == "windows"
        return [
            StartupFile(p, "CurrentUserAllHosts profile", newline="\r\n" if windows else "\n", bom=windows,
                        match_newline=True)
            for p in powershell_profiles(platform, host)
        ]


def powershell_profiles(platform: Platform, host: ProgramHost | None = None) -> list[PurePath]:
    """CurrentUserAllHosts profile of each PowerShell present (5.1 and 7 differ).

    With a host, each edition found on PATH is asked for ``$PROFILE.CurrentUserAllHosts``
    (it knows about redirected Documents folders); without one, or when none is
    found or none answers, the documented defaults are used.
    """
    if platform.system != "windows":
        editions = [("pwsh", platform.config_home() / "powershell" / "profile.ps1")]
    else:
        documents = _windows_documents(platform)
        editions = [
            ("pwsh", documents / "PowerShell" / "profile.ps1"),  # PowerShell 7
            ("powershell", documents / "WindowsPowerShell" / "profile.ps1"),  # Windows PowerShell 5.1
        ]
    if host is None:
        return [default for _, default in editions]
    found = []
    for exe, default in editions:
        program = host.which(exe)
        if program is None:
            continue
        answer = host.powershell_profile(program)
        path = PurePath(answer) if answer else default
        if path not in found:
            found.append(path)
    return found or [default for _, default in editions]


def _windows_documents(platform: Platform) -> PurePath:
    # OneDrive's "Known Folder Move" relocates Documents; its env var says where.
    home = PureWindowsPath(str(platform.home))
    for var in ("OneDriveConsumer", "OneDrive", "OneDriveCommercial"):
        root = platform.env.get(var)
        if root and os.path.isdir(os.path.join(root, "Documents")):
            return PureWindowsPath(root) / "Documents"
    return home / "Documents"


class Cmd(Shell):
    name = "cmd"
    syntax = "cmd"
    template = "cmd.bat"
    evaluates = "for /f \"delims=\" %i in ('{}') do %i"

    def eval_line(self, command: str = "hfenv shell") -> str:
        # cmd is not detected from its parent process: the line always names it.
        if command == "hfenv shell":
            command = "hfenv shell --shell cmd"
        return super().eval_line(command)

    def quote(self, value: str) -> str:
        # cmd expands %VAR% (and !VAR! with delayed expansion) even inside quotes,
        # and has no escape inside "set "N=V"", so such values are refused.
        check_value(value)
        for ch in '%"!':
            if ch in value:
                raise UnsafeValue(f"cmd cannot carry {ch!r} in a value safely; use PowerShell")
        return value


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
    raise UnknownShell(f"unknown shell {name_or_path!r}; pass --shell with one of: {known}")


def _split_keep(text: str, separators: str) -> list[str]:
    """Split text into runs and single separator characters, keeping both."""
    parts, current = [], ""
    for ch in text:
        if ch in separators:
            if current:
                parts.append(current)
            parts.append(ch)
            current = ""
        else:
            current += ch
    if current:
        parts.append(current)
    return parts
