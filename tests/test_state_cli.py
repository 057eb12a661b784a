"""hfenv's own state, damaged or hand-edited, through the real CLI (`python -m hfenv`).

The config file (endpoints, saved choice) is checked wherever it is read: damage is
exit 1 naming the file and the key, never a traceback and never a value that
`endpoints add` would refuse. The probe cache is checked against itself; any doubt
and it is ignored. Odd command-line situations (an infinite --timeout, a full disk
on stdout, a deleted working directory) are one clear line and the documented status.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import ROOT, hfenv_cmd
from hubserver import dead_url

ENV_KEYS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture(autouse=True)
def nothing_leaves_this_machine(monkeypatch):
    blackhole = dead_url()
    for name in ENV_KEYS:
        monkeypatch.setenv(name, blackhole)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))


def hfenv(*args: str, cwd=None, stdout=subprocess.PIPE, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*hfenv_cmd(), *args], stdout=stdout, stderr=subprocess.PIPE, text=True,
                          cwd=cwd, timeout=timeout)


def clean_failure(done: subprocess.CompletedProcess, status: int) -> str:
    """The run ended with `status` and one clear message, no traceback."""
    assert done.returncode == status, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.stderr.startswith("hfenv: "), done.stderr
    return done.stderr


def config_file(home) -> os.PathLike:
    return home / ".config" / "hfenv" / "config.json"


def write_config(home, data) -> None:
    path = config_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))


def read_config(home) -> dict:
    return json.loads(config_file(home).read_text())


# ---- damaged or hand-edited config ----------------------------------------------------

BAD_CONFIGS = {
    "endpoint URL with a quote": ({"endpoints": {"lab": "https://lab.example/'$(touch x)'"}}, "endpoints.lab"),
    "endpoint URL with a query": ({"endpoints": {"lab": "https://lab.example/?a=1"}}, "endpoints.lab"),
    "endpoint URL with userinfo": ({"endpoints": {"lab": "https://u:p@lab.example"}}, "endpoints.lab"),
    "endpoint URL not a string": ({"endpoints": {"lab": 7}}, "endpoints.lab"),
    "bad endpoint name": ({"endpoints": {"la b": "https://lab.example"}}, "endpoints.la b"),
    "built-in redefined": ({"endpoints": {"hf": "https://evil.example"}}, "endpoints.hf"),
    "endpoints a list": ({"endpoints": ["https://lab.example"]}, "'endpoints'"),
    "endpoints a string": ({"endpoints": "https://lab.example"}, "'endpoints'"),
    "endpoints null": ({"endpoints": None}, "'endpoints'"),
    "chosen a string": ({"chosen": "hf-mirror"}, "'chosen'"),
    "chosen a list": ({"chosen": ["hf-mirror"]}, "'chosen'"),
    "chosen null": ({"chosen": None}, "'chosen'"),
    "chosen URL with a newline": ({"chosen": {"name": "lab", "url": "https://lab.example\nrm -rf ~"}}, "chosen.url"),
    "chosen URL with a backtick": ({"chosen": {"name": "lab", "url": "https://lab.example/`id`"}}, "chosen.url"),
    "chosen name with a control": ({"chosen": {"name": "lab\x1b[2J", "url": "https://lab.example"}}, "chosen.name"),
    "chosen name lies": ({"chosen": {"name": "hf-mirror", "url": "https://evil.example"}}, "'chosen'"),
    "deeply nested": ('{"x": ' + "[" * 100000 + "]" * 100000 + "}", "nested too deeply"),
    "nested past the limit": ({"x": json.loads("[" * 40 + "]" * 40)}, "nested too deeply"),
}


@pytest.mark.parametrize("data, key", BAD_CONFIGS.values(), ids=list(BAD_CONFIGS))
@pytest.mark.parametrize("command", [
    ("shell", "--shell", "bash"),
    ("endpoints",),
    ("setup", "--persist", "--shell", "bash", "--endpoint", "lab"),
    ("probe", "--json", "--timeout", "0.5"),
])
def test_damaged_config_is_exit_1_naming_file_and_key(isolated_home, data, key, command):
    write_config(isolated_home, data)
    before = config_file(isolated_home).read_bytes()
    message = clean_failure(hfenv(*command), 1)
    assert str(config_file(isolated_home)) in message and key in message, message
    assert config_file(isolated_home).read_bytes() == before
    assert not (isolated_home / ".bashrc").exists()


@pytest.mark.parametrize("case", ["endpoint URL with a quote", "chosen a list", "deeply nested"])
def test_doctor_reports_a_damaged_config_as_a_problem(isolated_home, case):
    # By name: pytest puts the test id in PYTEST_CURRENT_TEST, and a 200 KB id is too long for exec.
    data, key = BAD_CONFIGS[case]
    write_config(isolated_home, data)
    done = hfenv("doctor", "--offline", "--shell", "bash", "--json")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    [finding] = [f for f in report["findings"] if f["code"] == "layers.saved-choice-unreadable"]
    assert key in finding["message"] and finding["level"] == "error"


def test_a_good_config_still_works(isolated_home):
    write_config(isolated_home, {"endpoints": {"lab": "https://lab.example/"},
                                 "chosen": {"name": "lab", "url": "https://lab.example"}, "future": {"a": [1]}})
    done = hfenv("shell", "--shell", "bash")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "export HF_ENDPOINT='https://lab.example';\n"
    bare = {"chosen": {"name": "127.0.0.1:8080", "url": "http://127.0.0.1:8080"}}
    write_config(isolated_home, bare)
    assert hfenv("shell", "--shell", "bash").stdout == "export HF_ENDPOINT='http://127.0.0.1:8080';\n"


def test_endpoints_add_repairs_a_damaged_entry(isolated_home):
    write_config(isolated_home, {"endpoints": {"lab": "https://lab.example/?x", "other": "https://o.example"}})
    done = hfenv("endpoints", "add", "lab", "https://lab.example")
    assert done.returncode == 0, done.stderr
    assert read_config(isolated_home)["endpoints"] == {"lab": "https://lab.example", "other": "https://o.example"}
    assert hfenv("endpoints").returncode == 0


def test_endpoints_add_over_a_wrong_type_is_exit_1(isolated_home):
    write_config(isolated_home, {"endpoints": ["x"]})
    message = clean_failure(hfenv("endpoints", "add", "lab", "https://lab.example"), 1)
    assert "'endpoints'" in message
    assert read_config(isolated_home) == {"endpoints": ["x"]}
    clean_failure(hfenv("endpoints", "remove", "lab"), 1)


# ---- the choice follows the name --------------------------------------------------------


def test_replacing_an_endpoint_url_moves_the_saved_choice(isolated_home):
    assert hfenv("endpoints", "add", "lab", "https://old.example").returncode == 0
    assert hfenv("setup", "--endpoint", "lab").returncode == 0
    done = hfenv("endpoints", "add", "lab", "https://new.example")
    assert done.returncode == 0, done.stderr
    assert "setup --persist --endpoint lab" in done.stderr
    assert read_config(isolated_home)["chosen"] == {"name": "lab", "url": "https://new.example"}
    assert hfenv("shell", "--shell", "bash").stdout == "export HF_ENDPOINT='https://new.example';\n"
    # Another endpoint's change leaves the choice alone.
    assert hfenv("endpoints", "add", "other", "https://o.example").returncode == 0
    assert read_config(isolated_home)["chosen"] == {"name": "lab", "url": "https://new.example"}


def test_removing_the_saved_choice_is_refused_naming_the_fix(isolated_home):
    assert hfenv("endpoints", "add", "lab", "https://lab.example").returncode == 0
    assert hfenv("setup", "--endpoint", "lab").returncode == 0
    before = config_file(isolated_home).read_bytes()
    message = clean_failure(hfenv("endpoints", "remove", "lab"), 1)
    assert "saved choice" in message and "hfenv setup --endpoint" in message
    assert config_file(isolated_home).read_bytes() == before
    assert hfenv("setup", "--endpoint", "hf-mirror").returncode == 0
    assert hfenv("endpoints", "remove", "lab").returncode == 0
    assert "lab" not in read_config(isolated_home)["endpoints"]


# ---- the probe cache is checked against itself --------------------------------------------


def saved_probe(chosen: dict, extra_result: dict | None = None) -> None:
    """A fresh cache of the usual candidates (as `hfenv shell` asks), chosen as given."""
    from hfenv import probe
    from hfenv.endpoints import CATALOG, Endpoint

    candidates = [Endpoint(n, u) for n, u in CATALOG.items()]
    results = [probe.ProbeResult(c.name, c.url, False, "refused", None, [], "") for c in candidates]
    report = probe.ProbeReport(chosen=Endpoint(**chosen), elapsed_ms=5, results=results, candidates=candidates)
    path = probe.save_cache(report)
    if extra_result:
        data = json.loads(path.read_text())
        data["results"].append(extra_result)
        path.write_text(json.dumps(data))


@pytest.mark.parametrize("chosen, extra", [
    ({"name": "hf-mirror", "url": "https://hf-mirror.com"}, None),  # chosen, yet its own result failed
    ({"name": "evil", "url": "https://evil.example"}, None),  # not among its results at all
    ({"name": "evil", "url": "https://evil.example"},  # an ok result, but not one of the candidates
     {"name": "evil", "url": "https://evil.example", "ok": True, "status": "ok", "latency_ms": 1.0,
      "samples_ms": [1.0], "detail": ""}),
])
def test_shell_ignores_a_cache_whose_choice_is_not_its_own_usable_result(isolated_home, chosen, extra):
    saved_probe(chosen, extra)
    done = hfenv("shell", "--shell", "bash")
    # Ignored: a new probe runs (every candidate refused behind the dead proxy) and finds nothing.
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert done.stdout == "" and "probing" in done.stderr and "Traceback" not in done.stderr


# ---- odd command-line situations ------------------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e308", "0", "-1", "3601", "abc", ""])
@pytest.mark.parametrize("command", [("probe", "--only", "--candidate", "x=http://127.0.0.1:9"),
                                     ("doctor", "--offline", "--shell", "bash")])
def test_timeouts_that_are_no_time_limit_are_bad_usage(command, value):
    done = hfenv(*command, "--timeout", value, timeout=30)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "--timeout" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [
    ("shell", "--shell", "bash", "--endpoint", "hf"),
    ("probe", "--json", "--only", "--candidate", "x=http://127.0.0.1:9", "--timeout", "0.5"),
    ("doctor", "--offline", "--shell", "bash"),
    ("doctor", "--offline", "--shell", "bash", "--json"),
    ("detect",),
    ("detect", "--json"),
    ("endpoints",),
    ("setup", "--endpoint", "hf-mirror", "--dry-run", "--json"),
    ("--help",),
])
def test_stdout_on_a_full_disk_is_one_line_and_exit_1(command):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        done = hfenv(*command, stdout=full)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert "hfenv: cannot write the output: No space left on device" in done.stderr.splitlines()


@pytest.mark.parametrize("command", [
    ("shell", "--shell", "bash", "--endpoint", "hf", "--cache-dir", "models"),
    ("setup", "--persist", "--shell", "bash", "--endpoint", "hf", "--cache-dir", "models"),
])
def test_a_relative_cache_dir_in_a_deleted_directory_is_bad_input(isolated_home, tmp_path, command):
    gone = tmp_path / "gone"
    gone.mkdir()
    # The child starts in the directory and removes it before hfenv runs.
    proc = subprocess.Popen([*hfenv_cmd(), *command], cwd=gone, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.rmdir(gone))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, (out, err)
    assert err.startswith("hfenv: --cache-dir: 'models' is relative") and "Traceback" not in err, err
    assert out == "" and not (isolated_home / ".bashrc").exists()
    assert not (isolated_home / ".config" / "hfenv" / "config.json").exists()


def test_a_deleted_working_directory_is_fine_without_relative_paths(isolated_home, tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    done = subprocess.run([*hfenv_cmd(), "setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror",
                           "--cache-dir", str(tmp_path / "abs")], cwd=gone, capture_output=True, text=True,
                          timeout=60, preexec_fn=lambda: os.rmdir(gone))
    assert done.returncode == 0, done.stderr
    assert "HF_HUB_CACHE" in (isolated_home / ".bashrc").read_text()


@pytest.mark.parametrize("data, key, status", [
    (BAD_CONFIGS["endpoint URL with a quote"][0], "endpoints.lab", 1),  # fixed with `endpoints add|remove`
    (BAD_CONFIGS["endpoints a list"][0], "'endpoints'", 1),
    (BAD_CONFIGS["chosen a list"][0], None, 0),  # setup is the fix of a damaged choice
    (BAD_CONFIGS["chosen URL with a backtick"][0], None, 0),
])
def test_setup_with_a_catalog_endpoint_checks_the_config_it_saves_to(isolated_home, data, key, status):
    write_config(isolated_home, data)
    done = hfenv("setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror")
    if status:
        assert key in clean_failure(done, status)
        assert not (isolated_home / ".bashrc").exists()
    else:
        assert done.returncode == 0, done.stderr
        assert read_config(isolated_home)["chosen"] == {"name": "hf-mirror", "url": "https://hf-mirror.com"}
        assert hfenv("shell", "--shell", "bash").stdout == "export HF_ENDPOINT='https://hf-mirror.com';\n"
