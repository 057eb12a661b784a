"""The official Hub is recognised by its origin, not by the spelling of its URL."""

from __future__ import annotations

import json
import subprocess

import pytest

from hfenv import doctor, probe
from hfenv.endpoints import Endpoint, is_official_url, origin_of, same_origin
from hfenv.persist import token_warning

from conftest import ROOT, hfenv_cmd

OFFICIAL_SPELLINGS = [
    "https://huggingface.co", "https://huggingface.co:443", "https://huggingface.co.",
    "https://HUGGINGFACE.CO", "HTTPS://HuggingFace.co.:443", "https://huggingface.co/",
]
THIRD_PARTIES = [
    "http://huggingface.co", "https://huggingface.co:8443", "https://hf-mirror.com",
    "https://huggingface.co.evil.example", "https://evilhuggingface.co", "https://huggingface.com",
    "https://huggingface.co@evil.example", "not a url", "",
]


@pytest.mark.parametrize("url", OFFICIAL_SPELLINGS)
def test_spellings_of_the_official_hub_are_the_official_hub(url):
    assert is_official_url(url) and same_origin(url, "https://huggingface.co")
    assert doctor.is_official(url, "https://huggingface.co")


@pytest.mark.parametrize("url", THIRD_PARTIES)
def test_other_origins_are_third_parties(url):
    assert not is_official_url(url)
    assert not doctor.is_official(url, "https://huggingface.co")


def test_origin_of():
    assert origin_of("http://[::1]:8080/x") == ("http", "::1", 8080)
    assert origin_of("http://Lab.example./hub") == ("http", "lab.example", 80)
    assert origin_of("https://x.example:99999") is None
    assert origin_of("ftp://x.example") is None


def test_no_token_warning_for_the_official_hub_spelt_with_its_port(isolated_home, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_" + "x" * 34)
    env = {"HF_TOKEN": "hf_" + "x" * 34}
    assert token_warning(Endpoint("x", "https://huggingface.co:443"), env, isolated_home) is None
    assert token_warning(Endpoint("x", "https://huggingface.co."), env, isolated_home) is None
    assert token_warning(Endpoint("x", "https://hf-mirror.com"), env, isolated_home) is not None


@pytest.mark.parametrize("url", ["https://huggingface.co:443", "https://HuggingFace.co."])
def test_setup_git_writes_no_rule_and_no_token_warning_for_the_official_hub(isolated_home, monkeypatch, url):
    monkeypatch.setenv("HF_TOKEN", "hf_" + "x" * 34)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    done = subprocess.run([*hfenv_cmd(), "setup", "--git", "--endpoint", url, "--json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "third party" not in done.stderr and "official Hub needs no rewrite" in done.stderr
    report = json.loads(done.stdout)
    assert [t["action"] for t in report["targets"] if t["kind"] == "git"] in ([], ["unchanged"])
    assert not (isolated_home / ".gitconfig").exists()


def test_probe_marks_the_official_hub_by_origin(serve):
    hub = serve("hub")
    spelt = hub.url.replace("http://", "HTTP://") + "/"
    report = probe.run_probe([Endpoint("hub", hub.url)], timeout=5, samples=1, official_url=spelt)
    assert report.results[0].ok and report.results[0].official
