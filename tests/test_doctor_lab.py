"""doctor's "Lab profile" section: which profile and why, each variable in new shells and this
process, the shared cache (mode, group, a file and a lock), the CA bundle; exit 1 with the fix."""

from __future__ import annotations

import json

import pytest

from hfenv.doctor import lab

from conftest import run

MIRROR = "https://hf-mirror.com"


def lab_findings(result) -> dict:
    data = json.loads(result.stdout)
    return {f["code"]: f for f in data["findings"] if f["section"] == "lab"}, data


@pytest.mark.slow
def test_doctor_says_when_the_machine_does_not_follow_the_profile_and_how_to_fix_it(tmp_path, ca_bundle):
    cache = tmp_path / "shared"
    profile = tmp_path / "lab.toml"
    profile.write_text(f'name = "Vision Lab"\n[cache]\nhub = "{cache}"\nshared = true\n'
                       f'[network]\nca_bundle = "{ca_bundle}"\n[token]\nthird_party = "never"\n')
    env = {"HFENV_PROFILE": str(profile), "HF_ENDPOINT": MIRROR}
    before = run("doctor", "--offline", "--json", "--shell", "bash", env=env)
    found, data = lab_findings(before)
    assert before.exit_code == 1
    assert found["lab.source"]["level"] == "ok" and str(profile) in found["lab.source"]["message"]
    assert found["lab.variable"]["level"] == "error" and found["lab.variable"]["fix"] == "hfenv setup --persist"
    assert found["lab.shared-cache"]["level"] == "error" and "does not exist" in found["lab.shared-cache"]["message"]
    assert found["lab.ca-bundle"]["level"] == "ok"
    assert run("setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror", env=env).exit_code == 0
    cache.mkdir()
    cache.chmod(0o2775)
    variables = {"HF_HUB_CACHE": str(cache), "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1", "SSL_CERT_FILE": str(ca_bundle),
                 "REQUESTS_CA_BUNDLE": str(ca_bundle)}
    after = run("doctor", "--offline", "--json", "--shell", "bash", env={**env, **variables})
    found, data = lab_findings(after)
    assert not [f for f in found.values() if f["level"] == "error"], found
    assert "a file and a lock can be made" in found["lab.shared-cache"]["message"]
    assert {v["name"]: v["new_shells"] for v in data["facts"]["lab"]["variables"]} == variables


def test_no_profile_is_information_only():
    assert [f.level for f in lab.judge_lab(lab.LabFacts(None, "no profile"))] == ["info"]


def test_judge_names_the_fix_for_each_problem():
    cache = lab.SharedCacheFacts("/data/hf", True, True, "0755", "lab", "is not group-writable and setgid "
                                 "(mode 0755, group lab): chmod 2775 /data/hf", False, False, None)
    facts = lab.LabFacts("/etc/hfenv/profile.toml", "the machine's profile", system=True,
                         variables=[lab.VariableFacts("HF_HUB_OFFLINE", "1", None, None)], cache=cache,
                         ca_bundle="/etc/ssl/lab.pem", ca_problem="does not exist")
    found = {f.code: f for f in lab.judge_lab(facts)}
    assert found["lab.variable"].fix == "sudo hfenv setup --system"
    assert found["lab.shared-cache"].fix.startswith("chmod 2775 /data/hf")
    assert found["lab.ca-bundle"].level == "error"


def test_ca_problem_and_the_file_and_lock_check(tmp_path, ca_bundle):
    assert lab.ca_problem(str(ca_bundle)) is None
    assert lab.ca_problem(str(tmp_path / "none.pem")) == "does not exist"
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    assert "no PEM" in lab.ca_problem(str(junk))
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    assert "does not parse" in lab.ca_problem(str(broken))
    assert lab.try_file_and_lock(tmp_path) == (True, True, None)
    assert list(tmp_path.glob(".hfenv-doctor-*")) == []
