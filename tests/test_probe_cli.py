"""`hfenv probe` and the cached choice `hfenv shell` reuses, against loopback servers only.

Every test here runs with HTTP(S)_PROXY pointing at a dead loopback port and
NO_PROXY covering loopback: the loopback servers are reached directly, and
anything that tried a real host (the built-in catalog) would fail on this
machine instead of leaving it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from hfenv import probe

from conftest import run
from hubserver import dead_url

CONTRACT_KEYS = {"name", "url", "ok", "status", "latency_ms", "samples_ms", "detail"}


@pytest.fixture(autouse=True)
def nothing_leaves_this_machine(loopback_only):
    pass


def test_probe_json_contract(serve):
    hub = serve("hub")
    result = run("probe", "--only", "--candidate", f"lab={hub.url}", "--samples", "2", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"chosen", "elapsed_ms", "results"}
    assert data["chosen"] == {"name": "lab", "url": hub.url}
    assert isinstance(data["elapsed_ms"], int) and data["elapsed_ms"] >= 0
    [row] = data["results"]
    assert CONTRACT_KEYS <= set(row)
    assert (row["name"], row["url"], row["ok"], row["status"]) == ("lab", hub.url, True, "ok")
    assert isinstance(row["latency_ms"], float) and len(row["samples_ms"]) == 2
    assert "plain http" in result.stderr  # the warning for an http:// candidate


def test_probe_nothing_usable_exits_3_with_chosen_null(serve):
    portal = serve("portal")
    result = run("probe", "--only", "--candidate", f"wifi={portal.url}", "--candidate", f"gone={dead_url()}",
                 "--json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["chosen"] is None
    assert {r["name"]: r["status"] for r in data["results"]} == {"wifi": "not_a_hub", "gone": "refused"}
    assert all(r["ok"] is False and r["latency_ms"] is None for r in data["results"])


def test_probe_human_table_marks_the_choice_and_gives_reasons(serve):
    fast, slow, portal = serve("hub"), serve("hub", delay=0.2), serve("portal")
    result = run("probe", "--only", "--candidate", f"slow={slow.url}", "--candidate", f"fast={fast.url}",
                 "--candidate", f"wifi={portal.url}")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1].startswith("*  fast ")
    assert any(line.startswith("   wifi ") and "captive portal" in line for line in lines)
    assert any(line.startswith("   slow ") for line in lines)
    assert lines[-1].startswith(f"chosen: fast ({fast.url})")


def test_probe_all_waits_for_every_candidate(serve):
    hole, hub = serve("swallow"), serve("hub")
    result = run("probe", "--only", "--candidate", f"hole={hole.url}", "--candidate", f"lab={hub.url}",
                 "--timeout", "0.5", "--all", "--json")
    assert result.exit_code == 0
    rows = {r["name"]: r for r in json.loads(result.stdout)["results"]}
    assert rows["hole"]["status"] == "timeout" and "0.5 s budget" in rows["hole"]["detail"]
    assert len(rows["lab"]["samples_ms"]) == 3


def test_the_process_ends_within_its_budget_while_a_host_holds_the_connection(serve):
    hole = serve("swallow")
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", "from hfenv.cli import main; main()", "probe", "--only",
         "--candidate", f"hole={hole.url}", "--timeout", "1", "--json"],
        capture_output=True, text=True, timeout=30,
    )
    assert time.monotonic() - began < 1 + 5  # budget + interpreter start-up, generously
    assert done.returncode == 3
    assert json.loads(done.stdout)["results"][0]["status"] == "timeout"
    assert hole.connections >= 1


def test_shell_reuses_the_fresh_cached_choice_without_probing(serve):
    """The usual candidates (catalog + the user's lab endpoint): hf and hf-mirror fail
    through the dead proxy, the lab wins, and `hfenv shell` then reuses that result."""
    hub = serve("hub")
    assert run("endpoints", "add", "lab", hub.url).exit_code == 0
    probed = run("probe")
    assert probed.exit_code == 0, probed.output
    assert probe.cache_path().exists()
    before = hub.connections
    assert before == probe.DEFAULT_SAMPLES + 1  # the samples, then the choice's large-file route

    shell = run("shell", "--shell", "bash")
    assert shell.exit_code == 0, shell.output
    assert shell.stdout == f"export HF_ENDPOINT='{hub.url}';\n"
    assert "probing" not in shell.stderr
    assert hub.connections == before  # no new request reached the server


def test_an_only_probe_does_not_become_the_default(serve):
    """`--candidate` counts for that run (SPEC 3): shell must not reuse a `probe --only` result."""
    hub = serve("hub")
    assert run("probe", "--only", "--candidate", f"scratch={hub.url}").exit_code == 0
    shell = run("shell", "--shell", "bash")
    assert shell.exit_code == 3  # it probed the usual candidates, which the dead proxy fails
    assert "probing" in shell.stderr and hub.url not in shell.stdout


def test_bare_url_candidates_stay_apart(serve):
    one, two = serve("hub"), serve("hub")
    result = run("probe", "--only", "--candidate", one.url, "--candidate", two.url, "--json")
    urls = {r["url"] for r in json.loads(result.stdout)["results"]}
    assert urls == {one.url, two.url}


def test_shell_ignores_a_cache_that_found_nothing(serve):
    """A failed probe is retried; here the retry itself can only fail (dead proxy), proving it ran."""
    run("probe", "--only", "--candidate", f"gone={dead_url()}")
    assert probe.load_cache() is None
    shell = run("shell", "--shell", "bash")
    assert shell.exit_code == 3
    assert "probing" in shell.stderr and shell.stdout == ""
