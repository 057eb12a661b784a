"""The machine's edge for `setup`/`reset`: programs on PATH, privileges, setx and the registry.

Everything here runs a program or touches the operating system, and nothing
else in hfenv does that for setup and reset. Tests on Linux replace the one
object :func:`system_host` returns with a fake that records what it was asked
(see tests/test_persist_windows.py), so the code that decides *what* to run
(hfenv.persist) is the same on every OS.

`winreg` and `ctypes` are imported inside the methods that need them: this
module imports on any OS, and calling a Windows-only method elsewhere raises
OSError with a clear reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Protocol

from .i18n import Msg

# Registry value types (winreg.REG_SZ, winreg.REG_EXPAND_SZ), named here so that
# callers and fakes need not import winreg.
REG_SZ = 1
REG_EXPAND_SZ = 2

POWERSHELL_TIMEOUT = 15.0
SETX_TIMEOUT = 30.0


class Host(Protocol):
    """What hfenv.persist asks of the machine."""

    def which(self, program: str) -> str | None:
        """The program's path on PATH, or None."""

    def powershell_profile(self, exe: str) -> str | None:
        """``$PROFILE.CurrentUserAllHosts`` as that PowerShell reports it; None if it cannot say."""

    def is_admin(self) -> bool:
        """Root on Unix, an elevated administrator on Windows."""

    def run_setx(self, argv: list[str]) -> None:
        """Run setx with exactly this argv; OSError with setx's own words when it fails."""

    def read_value(self, hive: str, key: str, name: str) -> tuple[str, int] | None:
        """(data, type) of a registry value, None when absent."""

    def write_value(self, hive: str, key: str, name: str, data: str, kind: int) -> None:
        """Create or replace a registry value (the key is created when missing)."""

    def delete_value(self, hive: str, key: str, name: str) -> None:
        """Delete a registry value; absent already is fine."""

    def broadcast_environment_change(self) -> None:
        """Tell running programs (Explorer) that the environment changed, as setx does."""


class SystemHost:
    """The real machine."""

    def which(self, program: str) -> str | None:
        return shutil.which(program)

    def powershell_profile(self, exe: str) -> str | None:
        # UTF-8 output, so that a Chinese user name in the path survives Windows PowerShell.
        script = "[Console]::OutputEncoding = [Text.Encoding]::UTF8; $PROFILE.CurrentUserAllHosts"
        try:
            done = subprocess.run(
                [exe, "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", script],
                capture_output=True, timeout=POWERSHELL_TIMEOUT, stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
        if done.returncode != 0 or not lines or not os.path.isabs(lines[-1].strip()):
            return None
        return lines[-1].strip()

    def is_admin(self) -> bool:
        if sys.platform == "win32":
            import ctypes

            try:
                return bool(ctypes.windll.shell32.IsUserAnAdmin())
            except (AttributeError, OSError):
                return False
        return os.geteuid() == 0

    def run_setx(self, argv: list[str]) -> None:
        try:
            done = subprocess.run(argv, capture_output=True, timeout=SETX_TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise OSError(Msg("{program} did not finish within {seconds} s", program=argv[0],
                              seconds=f"{SETX_TIMEOUT:g}")) from None
        if done.returncode != 0:
            words = (done.stderr or done.stdout).decode("utf-8", "replace").strip()
            raise OSError(Msg("{program} failed ({status}): {words}", program=argv[0], status=done.returncode,
                              words=words or Msg("no message")))

    def read_value(self, hive: str, key: str, name: str) -> tuple[str, int] | None:
        winreg = _winreg()
        try:
            with winreg.OpenKey(_hive(winreg, hive), key) as handle:
                data, kind = winreg.QueryValueEx(handle, name)
        except FileNotFoundError:
            return None
        return str(data), int(kind)

    def write_value(self, hive: str, key: str, name: str, data: str, kind: int) -> None:
        winreg = _winreg()
        with winreg.CreateKeyEx(_hive(winreg, hive), key, 0, winreg.KEY_SET_VALUE) as handle:
            winreg.SetValueEx(handle, name, 0, kind, data)

    def delete_value(self, hive: str, key: str, name: str) -> None:
        winreg = _winreg()
        try:
            with winreg.OpenKey(_hive(winreg, hive), key, 0, winreg.KEY_SET_VALUE) as handle:
                winreg.DeleteValue(handle, name)
        except FileNotFoundError:
            pass

    def broadcast_environment_change(self) -> None:
        if sys.platform != "win32":
            return
        import ctypes
        from ctypes import wintypes

        HWND_BROADCAST, WM_SETTINGCHANGE, SMTO_ABORTIFHUNG = 0xFFFF, 0x001A, 0x0002
        result = wintypes.DWORD()
        ctypes.windll.user32.SendMessageTimeoutW(
            HWND_BROADCAST, WM_SETTINGCHANGE, 0, "Environment", SMTO_ABORTIFHUNG, 5000, ctypes.byref(result)
        )


def _winreg():
    try:
        import winreg
    except ImportError:
        raise OSError(Msg("the Windows registry is only reachable on Windows")) from None
    return winreg


def _hive(winreg, name: str):
    return {"HKCU": winreg.HKEY_CURRENT_USER, "HKLM": winreg.HKEY_LOCAL_MACHINE}[name]


def system_host() -> Host:
    """The host setup and reset use; tests replace this function."""
    return SystemHost()
