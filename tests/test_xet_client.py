"""SPEC 10 with the real client: huggingface_hub 2.x against the loopback Hub's Xet model.

With HF_HUB_DISABLE_XET=1 it downloads a Xet-backed file over the plain HTTP route (the resolve
URL's redirect to the storage host); without it, and with hf_xet installed, it asks the token
route and goes to the CAS host it names. The loopback CAS speaks no Xet protocol, so that
download fails; the test shows that the CAS host saw the attempt, which is the route hfenv's
`setup --xet auto` turns off when that host cannot be reached."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time

import pytest

DATA = b"\x00safetensors-ish bytes\n" * 64
REPO, NAME = "openai-community/gpt2", "model.safetensors"
SCRIPT = """
import json, sys
from huggingface_hub import hf_hub_download
try:
    path = hf_hub_download(sys.argv[1], sys.argv[2], cache_dir=sys.argv[3])
    print(json.dumps({"ok": True, "data": open(path, "rb").read().hex()}))
except Exception as exc:
    print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}))
"""

pytestmark = pytest.mark.skipif(importlib.util.find_spec("huggingface_hub") is None,
                                reason="huggingface_hub is not installed")


def environment(hub_url: str, tmp_path, **env) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    environ.update(HF_ENDPOINT=hub_url, HF_HOME=str(tmp_path / "hf"), NO_PROXY="127.0.0.1,localhost",
                   HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_ETAG_TIMEOUT="5", HF_HUB_DOWNLOAD_TIMEOUT="5", **env)
    return environ


def download(hub_url: str, tmp_path, **env) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT, REPO, NAME, str(tmp_path / "cache")],
                          capture_output=True, text=True, timeout=60, env=environment(hub_url, tmp_path, **env))
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stderr[-2000:]
    return json.loads(lines[-1])


@pytest.mark.slow
def test_with_xet_disabled_the_real_client_downloads_over_plain_http(serve, tmp_path):
    cas, storage = serve("cdn"), serve("cdn", cdn_data=DATA)
    hub = serve("hub", large_files={REPO: {NAME: DATA}}, lfs_redirect=storage.url, xet_cas=cas.url)
    result = download(hub.url, tmp_path, HF_HUB_DISABLE_XET="1")
    assert result["ok"], result
    assert bytes.fromhex(result["data"]) == DATA
    assert any(r.method == "GET" for r in storage.requests)  # the bytes came from the redirect's host
    assert cas.requests == [] and not any("xet-read-token" in r.path for r in hub.requests)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("hf_xet") is None, reason="hf_xet is not installed")
def test_with_hf_xet_the_real_client_goes_to_the_cas_host(serve, tmp_path):
    cas, storage = serve("cdn"), serve("cdn", cdn_data=DATA)
    hub = serve("hub", large_files={REPO: {NAME: DATA}}, lfs_redirect=storage.url, xet_cas=cas.url)
    # hf_xet retries for a long while against a CAS without the Xet protocol: wait (bounded) until
    # the CAS host has seen the attempt, then stop the client.
    client = subprocess.Popen([sys.executable, "-c", SCRIPT, REPO, NAME, str(tmp_path / "cache")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment(hub.url, tmp_path))
    try:
        deadline = time.monotonic() + 30
        while not cas.requests and client.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        client.kill()
        client.wait(timeout=10)
    assert any("xet-read-token" in r.path and r.method == "GET" for r in hub.requests)
    assert cas.requests, "hf_xet did not reach the CAS host the token route named"
    assert not any(r.method == "GET" for r in storage.requests)  # the LFS redirect is not used
