"""PowerShell and cmd: the shells of Windows (PowerShell also runs elsewhere)."""

from __future__ import annotations

import os
import re
from pathlib import PurePath, PureWindowsPath

from ..blocks import Markers
from .base import Action, Msg, Platform, ProgramHost, Shell, StartupFile, UnsafeValue, Words, _, check_value

# PowerShell treats these typographic quotes like ' inside single-quoted strings.
PS_QUOTES = "'\u2018\u2019\u201a\u201b"


class PowerShell(Shell):
    name = "powershell"
    aliases = ("pwsh",)
    template = "powershell.ps1"
    evaluates = "{} | Invoke-Expression"
    # PowerShell folds #region blocks in editors; its # comments would take the hash markers too.
    block_markers = Markers("#region hfenv", "#endregion hfenv")
    syntax = "powershell"

    def quote(self, value: str) -> str:
        # Single-quoted strings end at ' and at its typographic cousins; doubling escapes each.
        check_value(value)
        return "'" + "".join(ch * 2 if ch in PS_QUOTES else ch for ch in value) + "'"

    def line_patterns(self, name: str) -> tuple[re.Pattern, re.Pattern]:
        n = re.escape(name)
        return (re.compile(rf"Remove-Item\b.*\bEnv:{n}\b", re.IGNORECASE),
                re.compile(rf"^\$env:{n}\s*=\s*(?P<value>.*)$", re.IGNORECASE))

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        # New profiles on Windows: CRLF like every Windows editor, and a BOM because
        # Windows PowerShell 5.1 reads a BOM-less file in the ANSI code page.
        windows = platform.system == "windows"
        return [
            StartupFile(p, Msg("CurrentUserAllHosts profile"), newline="\r\n" if windows else "\n", bom=windows,
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
    template = "cmd.bat"
    evaluates = "for /f \"delims=\" %i in ('{}') do %i"
    syntax = "cmd"

    def quote(self, value: str) -> str:
        # cmd expands %VAR% (and !VAR! with delayed expansion) even inside quotes,
        # and has no escape inside "set "N=V"", so such values are refused.
        check_value(value)
        for ch in '%"!':
            if ch in value:
                raise UnsafeValue(_("cmd cannot carry {char} in a value safely; use PowerShell").format(char=repr(ch)))
        return value

    def eval_line(self, command: str = "hfenv shell") -> str:
        # cmd is not detected from its parent process: the line always names it.
        if command == "hfenv shell":
            command = "hfenv shell --shell cmd"
        return super().eval_line(command)

    def line_patterns(self, name: str) -> tuple[re.Pattern, re.Pattern]:
        n = re.escape(name)
        return (re.compile(rf'^set\s+"?{n}="?\s*$', re.IGNORECASE),
                re.compile(rf'^set\s+"?{n}=(?P<value>[^"]*)"?', re.IGNORECASE))

    def line_value(self, value: str, commands: list[Words]) -> Action:
        return ("set", value, "%" in value, True)  # the value is the text up to the quote; %VAR% expands
