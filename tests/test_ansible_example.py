"""examples/ansible/: the playbook run with the real ansible-core against localhost (connection
local), writing under --root; twice, and the second run reports no change."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import IN_CI, ROOT

EXAMPLE = ROOT / "examples" / "ansible"


def ansible_playbook() -> str:
    path = Path(sys.executable).parent / "ansible-playbook"
    if not path.exists():
        if IN_CI:
            pytest.fail("ansible-core is not installed, and CI=true forbids skipping")
        pytest.skip("ansible-core is not installed (pip install ansible-core)")
    return str(path)


def test_the_example_profile_is_valid():
    from hfenv.profile import parse_profile

    text = (EXAMPLE / "profile.toml").read_text()
    assert parse_profile(text, "profile.toml").order == ("lab", "hf-mirror", "hf")


@pytest.mark.slow
def test_playbook_places_the_profile_and_a_second_run_changes_nothing(tmp_path, serve):
    playbook = ansible_playbook()
    hub = serve("hub")
    root = tmp_path / "image"
    (root / "etc" / "profile.d").mkdir(parents=True)
    (root / "etc" / "environment").write_text("")
    profile = tmp_path / "lab.toml"
    profile.write_text(f'name = "Test Lab"\n[endpoints]\norder = ["lab"]\nlab = "{hub.url}"\nchoose = "first"\n'
                       f'[cache]\nhub = "/data/hf-cache"\nshared = true\n[token]\nthird_party = "never"\n')
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({
        "hfenv_install": False, "hfenv_command": [sys.executable, "-m", "hfenv"],
        "hfenv_profile_src": str(profile), "hfenv_root": str(root), "ansible_python_interpreter": sys.executable,
    }))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANSIBLE_NOCOLOR": "1", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
           "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote"),
           "NO_PROXY": "127.0.0.1,localhost"}

    def play() -> dict:
        done = subprocess.run([playbook, "-c", "local", "-i", "localhost,", "-e", f"@{extra}",
                               str(EXAMPLE / "playbook.yml")], env=env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr
        recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)", done.stdout)
        return {"ok": int(recap.group(1)), "changed": int(recap.group(2)), "out": done.stdout}

    first = play()
    assert first["changed"] >= 2, first["out"]  # the profile placed, the settings written
    environment = (root / "etc" / "environment").read_text()
    assert f"HF_ENDPOINT={hub.url}\n" in environment and "HF_HUB_DISABLE_IMPLICIT_TOKEN=1\n" in environment
    assert (root / "etc" / "hfenv" / "profile.toml").read_text() == profile.read_text()
    assert (root / "data" / "hf-cache").stat().st_mode & 0o7777 == 0o2775
    second = play()
    assert second["changed"] == 0, second["out"]
