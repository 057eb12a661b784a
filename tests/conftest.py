"""Shared test setup: every test runs with a private HOME and XDG dirs; shared helpers live here.

Fixtures from helper modules are registered once, below, through `pytest_plugins`: test files
use `serve`, `tls_ca`, `ca_bundle`, `forward_proxy` as arguments without importing them.
Plain helpers (`ROOT`, `need_program`, `hfenv_cmd`, `run`) are imported: `from conftest import ...`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

pytest_plugins = ["hubserver"]  # serve, forward_proxy, tls_ca, ca_bundle

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# The `slow` marker (setup.cfg) is what `pytest -m "not slow"` leaves out: the fast loop keeps the
# pure core and drops what starts processes or servers. Besides tests marked one by one
# (@pytest.mark.slow), a test is slow when
# - its file is here: nearly every test in it starts real shells, pip and venvs, ptys, or hfenv
#   and doctor's client interpreters as subprocesses (~0.2 s to seconds each);
SLOW_FILES = {
    "test_shells_real.py", "test_persist_reach.py", "test_packaging.py", "test_completion.py",
    "test_doctor_cli.py", "test_run.py", "test_state_cli.py",
}
# - or it uses a loopback server (threads, sockets, TLS, and the probe's timed races).
SLOW_FIXTURES = {"serve", "tls_ca", "forward_proxy"}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.name in SLOW_FILES or SLOW_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """A temporary HOME, XDG_* dirs and no inherited Hugging Face or proxy settings."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(home / sub))
    for var in list(os.environ):
        if var.startswith(("HF_", "HUGGING_FACE_")) or var.lower() in (
            "http_proxy", "https_proxy", "all_proxy", "no_proxy",
        ) or var in ("ZDOTDIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
            monkeypatch.delenv(var, raising=False)
    # hfenv speaks English here whatever the developer's locale (tests assert English text);
    # tests/test_i18n.py sets LANG=zh_CN.UTF-8 itself.
    monkeypatch.delenv("HFENV_LANG", raising=False)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if os.environ.get(var, "").lower().startswith("zh"):
            monkeypatch.setenv(var, "C.UTF-8")
    from hfenv import i18n

    i18n.reset()
    return home


def need_program(name: str) -> str:
    """Path of a program the tests need; skipped locally, a failure in CI."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is not installed, and CI=true forbids skipping")
        pytest.skip(f"{name} is not installed")
    return path


def hfenv_cmd() -> list[str]:
    return [sys.executable, "-m", "hfenv"]


LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE", "HFENV_LANG")


def subprocess_env(**extra) -> dict:
    """This process's environment for an `hfenv` subprocess with no locale but the one `extra` sets,
    UTF-8 output; `extra` entries that are None are removed."""
    env = {k: v for k, v in os.environ.items() if k not in LOCALE_VARIABLES}
    env.update({"PYTHONIOENCODING": "utf-8", **extra})
    return {k: v for k, v in env.items() if v is not None}


def hfenv_process(*args: str, env: dict, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """`hfenv ARGS` as a subprocess, its output decoded as UTF-8 (undecodable bytes replaced)."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([*hfenv_cmd(), *args], stderr=subprocess.PIPE, text=True, encoding="utf-8",
                          errors="replace", env=env, timeout=timeout, **kwargs)


def run(*args: str, env: dict | None = None) -> Result:
    """`hfenv ARGS` in this process through click's runner; exceptions propagate as tracebacks."""
    from hfenv.cli import main

    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
