"""SPEC 10: `setup --xet auto|on|off` writes HF_HUB_DISABLE_XET=1 into hfenv's block when the Xet
route is unreachable and the plain HTTP route works, says why, and removes it when Xet works
again; `hfenv shell` and `hfenv run` apply the saved decision.

Proxies point at a dead loopback port and NO_PROXY covers loopback: the catalog's endpoints fail
through the dead proxy, and only the loopback servers are reached."""

from __future__ import annotations

import json
import os
import sys

import pytest

from hfenv import endpoints, probe, xetpolicy
from hfenv.hubcheck import LargeFiles, Leg

from conftest import run
from hubserver import LARGE_FILES, dead_url

pytestmark = pytest.mark.usefixtures("loopback_only")


def bashrc() -> str:
    path = os.path.join(os.environ["HOME"], ".bashrc")
    return open(path, encoding="utf-8").read() if os.path.exists(path) else ""


def test_auto_disables_xet_when_its_storage_hangs_and_enables_it_again(serve):
    cas, cdn = serve("swallow"), serve("cdn")
    hub = serve("hub", large_files=LARGE_FILES, lfs_redirect=cdn.url, xet_cas=cas.url)
    assert run("endpoints", "add", "lab", hub.url).exit_code == 0

    first = run("setup", "--persist", "--shell", "bash")
    assert first.exit_code == 0, first.output
    assert "Xet storage cannot be reached" in first.stdout and "HF_HUB_DISABLE_XET=1" in first.stdout
    assert "export HF_HUB_DISABLE_XET='1'" in bashrc()
    assert endpoints.read_config().disable_xet is True
    shell = run("shell", "--shell", "bash")
    assert shell.stdout == f"export HF_ENDPOINT='{hub.url}';\nexport HF_HUB_DISABLE_XET='1';\n"

    hub.xet_cas = cdn.url  # the Xet storage answers now
    probe.cache_path().unlink()
    second = run("setup", "--persist", "--shell", "bash")
    assert second.exit_code == 0, second.output
    assert "removed: the Xet route works again" in second.stdout
    assert "HF_HUB_DISABLE_XET" not in bashrc() and f"export HF_ENDPOINT='{hub.url}'" in bashrc()
    assert endpoints.read_config().disable_xet is False
    assert run("shell", "--shell", "bash").stdout == f"export HF_ENDPOINT='{hub.url}';\n"


def test_hfenv_run_applies_the_saved_decision(serve):
    hub = serve("hub", large_files=LARGE_FILES, xet_cas=dead_url())  # served itself; CAS refused
    assert run("endpoints", "add", "lab", hub.url).exit_code == 0
    assert run("setup").exit_code == 0
    import subprocess

    done = subprocess.run([sys.executable, "-m", "hfenv", "run", "--", sys.executable, "-c",
                           "import os; print(os.environ.get('HF_HUB_DISABLE_XET'))"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


def test_on_never_writes_it_and_off_always_does():
    off = run("setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror", "--xet", "off")
    assert off.exit_code == 0 and "--xet off" in off.stdout
    assert "export HF_HUB_DISABLE_XET='1'" in bashrc()
    on = run("setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror", "--xet", "on")
    assert on.exit_code == 0 and "HF_HUB_DISABLE_XET" not in bashrc()


def test_auto_with_an_explicit_endpoint_and_no_probe_keeps_the_saved_decision():
    assert run("setup", "--endpoint", "hf-mirror", "--xet", "off").exit_code == 0
    kept = run("setup", "--endpoint", "hf-mirror")  # no request is made; nothing known: it stays
    assert kept.exit_code == 0 and "could not be told; HF_HUB_DISABLE_XET=1 stays" in kept.stdout
    assert endpoints.read_config().disable_xet is True


def test_a_damaged_saved_decision_is_refused(tmp_path):
    path = endpoints.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"chosen": {"name": "hf-mirror", "url": "https://hf-mirror.com",
                                           "disable_xet": "yes"}}))
    result = run("shell", "--shell", "bash")
    assert result.exit_code == 1 and "chosen.disable_xet" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("xet, http, previous, disable", [
    (Leg("xet", "cas", "timeout", "slow"), Leg("lfs", "cdn", "ok", "fine"), False, True),
    (Leg("xet", "cas", "ok", "fine"), Leg("lfs", "cdn", "ok", "fine"), True, False),
    (Leg("xet", "cas", "refused", "no"), Leg("lfs", "cdn", "refused", "no"), True, True),
    (Leg("xet", "cas", "refused", "no"), Leg("lfs", "cdn", "refused", "no"), False, False),
    (None, Leg("served", "m", "ok", "fine"), True, False),
])
def test_the_auto_policy(xet, http, previous, disable):
    assert xetpolicy.decide("auto", LargeFiles("f", http, xet), previous).disable is disable
    assert xetpolicy.decide("on", LargeFiles("f", http, xet), previous).disable is False
    assert xetpolicy.decide("off", None, False).disable is True


# ---- doctor says it too ------------------------------------------------------------------------

import importlib.util  # noqa: E402


def doctor_json(env_endpoint: str, monkeypatch, **env) -> dict:
    monkeypatch.setenv("HF_ENDPOINT", env_endpoint)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = run("doctor", "--json", "--shell", "bash", "--timeout", "2")
    return json.loads(result.stdout)


def finding(data: dict, code: str) -> dict:
    return next(f for f in data["findings"] if f["code"] == code)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("hf_xet") is None, reason="doctor follows Xet only with hf_xet")
def test_doctor_says_why_xet_is_disabled_and_when_it_no_longer_needs_to_be(serve, monkeypatch):
    cas, cdn = serve("swallow"), serve("cdn")
    hub = serve("hub", large_files=LARGE_FILES, lfs_redirect=cdn.url, xet_cas=cas.url)
    data = doctor_json(hub.url, monkeypatch, HF_HUB_DISABLE_XET="1")
    message = finding(data, "large_files.xet-disabled")["message"]
    assert "cannot be reached" in message and "hfenv setup --xet auto" in message

    hub.xet_cas = cdn.url
    data = doctor_json(hub.url, monkeypatch, HF_HUB_DISABLE_XET="1")
    needless = finding(data, "large_files.xet-disabled-needlessly")
    assert needless["level"] == "info" and "--xet auto" in needless["fix"]


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("hf_xet") is None, reason="doctor follows Xet only with hf_xet")
def test_doctor_points_at_setup_xet_when_the_cas_host_hangs(serve, monkeypatch):
    cas, cdn = serve("swallow"), serve("cdn")
    hub = serve("hub", large_files=LARGE_FILES, lfs_redirect=cdn.url, xet_cas=cas.url)
    data = doctor_json(hub.url, monkeypatch)
    error = finding(data, "large_files.xet-unreachable")
    assert error["level"] == "error" and "--xet auto" in error["fix"]
