"""setup and reset on Windows, driven on Linux through the same seam with a recording fake.

The fake stands in for hfenv.host.SystemHost: PATH look-ups, PowerShell's
answer for $PROFILE.CurrentUserAllHosts, setx and the registry. The golden
tests pin the exact setx command lines, registry writes and deletions, and
profile bytes that the real code would produce.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path, PureWindowsPath

import pytest

from hfenv import detect, host, persist, shells
from hfenv.shells import Platform

from conftest import ROOT, run

USER_RECORD = ("HKCU", r"Software\hfenv", "Environment")
BOM = b"\xef\xbb\xbf"


class FakeHost:
    """Records every call; keeps a registry in a dict; setx writes REG_SZ like the real one."""

    def __init__(self, programs=None, profiles=None, admin=False, fail_setx=False):
        self.programs = programs or {}
        self.profiles = profiles or {}
        self.admin = admin
        self.fail_setx = fail_setx
        self.registry: dict[tuple[str, str, str], tuple[str, int]] = {}
        self.calls: list[tuple] = []

    def which(self, program):
        return self.programs.get(program)

    def powershell_profile(self, exe):
        self.calls.append(("ask-profile", exe))
        return self.profiles.get(exe)

    def is_admin(self):
        return self.admin

    def run_setx(self, argv):
        self.calls.append(tuple(argv))
        if self.fail_setx:
            raise OSError("setx failed (1): ERROR: Access to the registry path is denied.")
        name, value = argv[1], argv[2]
        where = persist.MACHINE_ENVIRONMENT if argv[3:] == ["/M"] else persist.USER_ENVIRONMENT
        self.registry[(*where, name)] = (value, host.REG_SZ)

    def read_value(self, hive, key, name):
        return self.registry.get((hive, key, name))

    def write_value(self, hive, key, name, data, kind):
        self.calls.append(("set", hive, key, name, data, kind))
        self.registry[(hive, key, name)] = (data, kind)

    def delete_value(self, hive, key, name):
        self.calls.append(("delete", hive, key, name))
        self.registry.pop((hive, key, name), None)

    def broadcast_environment_change(self):
        self.calls.append(("broadcast",))

    def env(self, name, machine=False):
        hive, key = persist.MACHINE_ENVIRONMENT if machine else persist.USER_ENVIRONMENT
        return self.registry.get((hive, key, name))


@pytest.fixture
def windows(isolated_home, tmp_path, monkeypatch):
    """A Windows platform whose PowerShells (7 and 5.1) answer with real files under tmp."""
    docs = tmp_path / "OneDrive - Lab" / "Documents"
    fake = FakeHost(
        programs={"pwsh": r"C:\Program Files\PowerShell\7\pwsh.exe",
                  "powershell": r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"},
        profiles={r"C:\Program Files\PowerShell\7\pwsh.exe": str(docs / "PowerShell" / "profile.ps1"),
                  r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe":
                      str(docs / "WindowsPowerShell" / "profile.ps1")},
    )
    platform = Platform("windows", isolated_home, env={"ProgramData": str(tmp_path / "ProgramData")})
    monkeypatch.setattr(detect, "current_platform", lambda env=None: platform)
    monkeypatch.setattr(host, "system_host", lambda: fake)
    fake.docs = docs
    return fake


def test_golden_setup_and_reset_of_the_user_environment_and_profiles(windows):
    result = run("setup", "--persist", "--shell", "powershell", "--endpoint", "hf-mirror",
                 "--cache-dir", "/data/张伟/hf cache", "--json")
    assert result.exit_code == 0, result.stderr
    seven = windows.docs / "PowerShell" / "profile.ps1"
    five = windows.docs / "WindowsPowerShell" / "profile.ps1"
    assert windows.calls == [
        ("ask-profile", r"C:\Program Files\PowerShell\7\pwsh.exe"),
        ("ask-profile", r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"),
        ("setx", "HF_ENDPOINT", "https://hf-mirror.com"),
        ("setx", "HF_HUB_CACHE", "/data/张伟/hf cache"),
        ("set", "HKCU", r"Software\hfenv", "Environment", '{"HF_ENDPOINT": null, "HF_HUB_CACHE": null}', 1),
    ]
    golden = (
        BOM
        + b"#region hfenv\r\n"
        + b"# Managed by hfenv: `hfenv setup` changes it, `hfenv reset` removes it.\r\n"
        + b"$env:HF_ENDPOINT = 'https://hf-mirror.com'\r\n"
        + "$env:HF_HUB_CACHE = '/data/张伟/hf cache'\r\n".encode()
        + b"#endregion hfenv\r\n"
    )
    assert seven.read_bytes() == golden and five.read_bytes() == golden
    report = json.loads(result.stdout)
    assert report["targets"] == [
        {"kind": "powershell", "path": str(seven), "action": "created"},
        {"kind": "powershell", "path": str(five), "action": "created"},
        {"kind": "config", "path": report["targets"][2]["path"], "action": "created"},
        {"kind": "state", "path": report["targets"][3]["path"], "action": "created"},
        {"kind": "user-environment", "path": "HKCU\\Environment", "action": "created"},
    ]
    assert "windows that are already open keep the old value" in result.stderr

    windows.calls.clear()
    again = json.loads(run("setup", "--persist", "--shell", "powershell", "--endpoint", "hf-mirror",
                           "--cache-dir", "/data/张伟/hf cache", "--json").stdout)
    assert again["changed"] is False
    assert [c for c in windows.calls if c[0] != "ask-profile"] == []  # nothing run, nothing written

    windows.calls.clear()
    reset = json.loads(run("reset", "--shell", "powershell", "--json").stdout)
    assert [t["action"] for t in reset["targets"]] == ["removed", "removed", "removed", "removed"]
    assert [c for c in windows.calls if c[0] != "ask-profile"] == [
        ("delete", "HKCU", "Environment", "HF_ENDPOINT"),
        ("delete", "HKCU", "Environment", "HF_HUB_CACHE"),
        ("delete", "HKCU", r"Software\hfenv", "Environment"),
        ("broadcast",),
    ]
    assert windows.registry == {} and not seven.exists() and not five.exists()


def test_values_the_user_had_are_given_back_by_reset(windows):
    windows.registry[("HKCU", "Environment", "HF_HUB_CACHE")] = (r"%USERPROFILE%\hf", host.REG_EXPAND_SZ)
    windows.registry[("HKCU", "Environment", "PATH")] = (r"C:\bin", host.REG_EXPAND_SZ)
    run("setup", "--persist", "--shell", "cmd", "--endpoint", "hf-mirror")
    # Without --cache-dir, the user's own HF_HUB_CACHE is not hfenv's business.
    assert windows.env("HF_HUB_CACHE") == (r"%USERPROFILE%\hf", host.REG_EXPAND_SZ)
    run("setup", "--persist", "--shell", "cmd", "--endpoint", "hf-mirror", "--cache-dir", "/d/hf")
    assert windows.env("HF_HUB_CACHE") == ("/d/hf", host.REG_SZ)
    assert json.loads(windows.registry[USER_RECORD][0]) == {
        "HF_ENDPOINT": None, "HF_HUB_CACHE": [r"%USERPROFILE%\hf", host.REG_EXPAND_SZ]}
    windows.calls.clear()
    run("setup", "--persist", "--shell", "cmd", "--endpoint", "hf")  # no cache dir any more: put it back
    assert windows.calls == [
        ("setx", "HF_ENDPOINT", "https://huggingface.co"),
        ("set", "HKCU", "Environment", "HF_HUB_CACHE", r"%USERPROFILE%\hf", host.REG_EXPAND_SZ),
        ("set", "HKCU", r"Software\hfenv", "Environment", '{"HF_ENDPOINT": null}', 1),
        ("broadcast",),
    ]
    run("reset", "--shell", "cmd")
    assert windows.registry == {
        ("HKCU", "Environment", "HF_HUB_CACHE"): (r"%USERPROFILE%\hf", host.REG_EXPAND_SZ),
        ("HKCU", "Environment", "PATH"): (r"C:\bin", host.REG_EXPAND_SZ),
    }


def test_existing_profile_keeps_its_line_endings(windows):
    seven = windows.docs / "PowerShell" / "profile.ps1"
    seven.parent.mkdir(parents=True)
    seven.write_bytes(b"Set-PSReadLineOption -EditMode Emacs\n")  # an LF profile, no BOM
    run("setup", "--persist", "--shell", "pwsh", "--endpoint", "hf-mirror")
    assert seven.read_bytes() == (
        b"Set-PSReadLineOption -EditMode Emacs\n\n#region hfenv\n"
        b"# Managed by hfenv: `hfenv setup` changes it, `hfenv reset` removes it.\n"
        b"$env:HF_ENDPOINT = 'https://hf-mirror.com'\n#endregion hfenv\n"
    )
    run("reset", "--shell", "pwsh")
    assert seven.read_bytes() == b"Set-PSReadLineOption -EditMode Emacs\n"


def test_failing_setx_rolls_back_the_profiles_and_exits_1(windows):
    windows.fail_setx = True
    result = run("setup", "--persist", "--shell", "powershell", "--endpoint", "hf-mirror")
    assert result.exit_code == 1
    assert "HKCU\\Environment" in result.stderr and "Access to the registry path is denied" in result.stderr
    assert not (windows.docs / "PowerShell" / "profile.ps1").exists()
    assert not (windows.docs / "WindowsPowerShell" / "profile.ps1").exists()
    assert USER_RECORD not in windows.registry and windows.env("HF_ENDPOINT") is None


def test_machine_environment_needs_admin_then_uses_setx_m(windows, tmp_path):
    result = run("setup", "--system", "--endpoint", "hf-mirror")
    assert result.exit_code == 1 and "Run as administrator" in result.stderr
    assert windows.registry == {}
    windows.admin = True
    report = json.loads(run("setup", "--system", "--endpoint", "hf-mirror", "--json").stdout)
    assert report["targets"][-1] == {
        "kind": "machine-environment",
        "path": r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment",
        "action": "created",
    }
    assert ("setx", "HF_ENDPOINT", "https://hf-mirror.com", "/M") in windows.calls
    assert windows.env("HF_ENDPOINT", machine=True) == ("https://hf-mirror.com", host.REG_SZ)
    assert windows.env("HF_ENDPOINT") is None  # --system alone leaves the user environment
    assert (tmp_path / "ProgramData" / "hfenv" / "system.lock").exists()
    windows.calls.clear()
    run("reset", "--system")
    assert windows.calls == [
        ("delete", "HKLM", r"SYSTEM\CurrentControlSet\Control\Session Manager\Environment", "HF_ENDPOINT"),
        ("delete", "HKLM", r"Software\hfenv", "Environment"),
        ("broadcast",),
    ]


def test_dry_run_runs_nothing_and_shows_the_environment_change(windows):
    result = run("setup", "--persist", "--shell", "cmd", "--endpoint", "hf-mirror", "--dry-run")
    assert result.exit_code == 0
    assert "--- /dev/null\n+++ HKCU\\Environment\n@@ -0,0 +1 @@\n+HF_ENDPOINT=https://hf-mirror.com\n" in result.stdout
    assert windows.calls == [] and windows.registry == {}


def test_damaged_record_is_a_clear_error(windows):
    windows.registry[USER_RECORD] = ("{not json", host.REG_SZ)
    result = run("setup", "--persist", "--shell", "cmd", "--endpoint", "hf-mirror")
    assert result.exit_code == 1 and r"HKCU\Software\hfenv\Environment is damaged" in result.stderr


def test_profiles_fall_back_to_documented_defaults(tmp_path):
    onedrive = tmp_path / "OneDrive"
    (onedrive / "Documents").mkdir(parents=True)
    platform = Platform("windows", PureWindowsPath(r"C:\Users\张伟"), env={"OneDrive": str(onedrive)})
    nothing = FakeHost()
    paths = [str(p) for p in shells.powershell_profiles(platform, nothing)]
    docs = PureWindowsPath(str(onedrive)) / "Documents"
    assert paths == [str(docs / "PowerShell" / "profile.ps1"), str(docs / "WindowsPowerShell" / "profile.ps1")]
    silent = FakeHost(programs={"powershell": "powershell.exe"})  # present, but gives no answer
    assert [str(p) for p in shells.powershell_profiles(platform, silent)] == [
        str(docs / "WindowsPowerShell" / "profile.ps1")]
    unix = Platform("linux", Path("/home/u"), env={})
    assert shells.powershell_profiles(unix, FakeHost()) == [Path("/home/u/.config/powershell/profile.ps1")]


def test_real_seam_imports_without_winreg_and_refuses_clearly():
    code = (
        "import sys; sys.modules['winreg'] = None\n"
        "import hfenv.host as h, hfenv.persist\n"
        "real = h.system_host()\n"
        "try:\n"
        "    real.read_value('HKCU', 'Environment', 'HF_ENDPOINT')\n"
        "except OSError as exc:\n"
        "    print(exc)\n"
        "print(real.is_admin() in (True, False), real.which('sh') is not None)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "the Windows registry is only reachable on Windows\nTrue True\n"
