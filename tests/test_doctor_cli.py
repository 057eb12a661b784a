"""`hfenv doctor` end to end: a temporary HOME, loopback servers, the real huggingface_hub client.

As in test_probe_cli.py, HTTP(S)_PROXY point at a dead loopback port and NO_PROXY
covers loopback: the loopback servers are reached directly, and anything that
tried a real host would fail on this machine instead of leaving it.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys

import pytest
from click.testing import CliRunner

from hfenv import doctor
from hfenv.cli import main

from conftest import ROOT, hfenv_cmd, need_program, run
from hubserver import LARGE_FILES, WHOAMI_NAME, dead_url, server_tls


@pytest.fixture(autouse=True)
def nothing_leaves_this_machine(monkeypatch, tmp_path):
    from hfenv import persist

    monkeypatch.setattr(persist, "SYSTEM_ROOT", tmp_path / "root")  # /etc/... of this machine stay out of it
    blackhole = dead_url()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, blackhole)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)


def run_json(*args: str) -> tuple[int, dict]:
    result = run(*args, "--json")
    return result.exit_code, json.loads(result.stdout)


def codes(data: dict, level: str | None = None) -> list[str]:
    return [f["code"] for f in data["findings"] if level is None or f["level"] == level]


def finding(data: dict, code: str) -> dict:
    [found] = [f for f in data["findings"] if f["code"] == code]
    return found


def make_token() -> str:
    alphabet = string.ascii_letters + string.digits
    return "hf_" + "".join(secrets.choice(alphabet) for _ in range(34))


def setup_persist(url: str) -> None:
    result = run("setup", "--persist", "--shell", "bash", "--endpoint", url)
    assert result.exit_code == 0, result.output


# ---- layers ------------------------------------------------------------------------------


def test_consistent_setup_exits_0(serve, monkeypatch, isolated_home):
    hub = serve("hub", large_files=LARGE_FILES)  # serves large files itself
    setup_persist(hub.url)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    status, data = run_json("doctor", "--shell", "bash")
    assert status == 0, json.dumps(data, indent=1)
    assert data["exit_status"] == 0 and data["needs_action"] is False
    assert data["endpoint"] == {"url": hub.url, "source": "process", "raw": hub.url}
    assert codes(data, "error") == []
    agree = finding(data, "layers.agree")
    assert agree["message"] == f"this shell, ~/.profile:3 and ~/.bashrc:3 agree: {hub.url}"  # in read order
    assert "layers.saved-choice" in codes(data, "ok")
    assert "endpoint.usable" in codes(data, "ok")
    assert finding(data, "large_files.served-here")["level"] == "ok"
    assert data["facts"]["client"]["endpoint"] == hub.url
    assert data["facts"]["client"]["hub_cache"] == str(isolated_home / ".cache" / "huggingface" / "hub")
    places = {s["label"]: s for s in data["facts"]["layers"]["settings"]}
    assert places["~/.bashrc:3"]["in_block"] is True and places["~/.bashrc:3"]["hfenv_target"] is True
    # The human report: one verdict line per section, the summary last.
    human = run("doctor", "--shell", "bash")
    assert human.exit_code == 0
    verdicts = [line for line in human.stdout.splitlines() if line.startswith("[")]
    assert [line.split("] ", 1)[1].split(":")[0] for line in verdicts] == list(doctor.SECTIONS.values())
    assert human.stdout.rstrip().endswith("warning.") and "nothing needs action" in human.stdout


def test_startup_file_set_but_not_this_process_is_a_warning_with_the_fix(serve):
    """Right after setup, the shell already open predates it: new shells get the saved choice."""
    setup_persist("hf-mirror")
    result = run("doctor", "--shell", "bash", "--offline")
    assert result.exit_code == 0
    assert "[warn ] Where HF_ENDPOINT is set: set in ~/.profile:3 and ~/.bashrc:3 but not in this shell" \
        in result.stdout
    assert "new terminals use hf-mirror (https://hf-mirror.com)" in result.stdout
    assert 'fix: open a new terminal, or run `eval "$(hfenv shell --shell bash)"` in this one' in result.stdout
    assert "Result: nothing needs action (exit status 0); 1 warning." in result.stdout


def test_a_line_outside_the_block_that_disagrees(monkeypatch, isolated_home):
    setup_persist("hf-mirror")
    with open(isolated_home / ".bashrc", "a") as fh:
        fh.write("export HF_ENDPOINT=https://hub.lab.example\n")
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.com")
    status, data = run_json("doctor", "--shell", "bash", "--offline")
    assert status == 1
    error = finding(data, "layers.process-differs")
    assert "~/.bashrc:5, read last by bash, sets https://hub.lab.example" in error["message"]
    # ~/.profile and the block in ~/.bashrc are read before that line: overridden, not a second error.
    assert codes(data, "error") == ["layers.process-differs"]
    assert "~/.profile:3 sets https://hf-mirror.com, but ~/.bashrc:5, read later, overrides it" in \
        finding(data, "layers.overridden")["message"]


@pytest.mark.parametrize("raw, words", [
    ("https://hf-mirror.com/", "`//` URLs"),
    (" https://hf-mirror.com", "spaces around it"),
    ("", "set but empty"),
    ("hf-mirror.com", "has no scheme"),
    ("https://hf-mirror.com?x=1", "query string"),
])
def test_each_malformed_value_is_explained(monkeypatch, raw, words):
    monkeypatch.setenv("HF_ENDPOINT", raw)
    status, data = run_json("doctor", "--shell", "bash", "--offline")
    assert status == 1
    malformed = finding(data, "client.malformed")
    assert malformed["level"] == "error" and words in malformed["message"] and malformed["fix"]
    assert data["facts"]["client"]["raw_endpoint"] == raw  # what the fresh interpreter saw
    assert "client.import-time" in codes(data, "info")


# ---- the network ------------------------------------------------------------------------------


def test_offline_makes_no_request(serve, monkeypatch, isolated_home):
    hub = serve("hub", large_files=LARGE_FILES, token="x" * 20)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_TOKEN", "x" * 20)
    status, data = run_json("doctor", "--shell", "bash", "--offline", "--download", "--check-token")
    assert hub.connections == 0 and hub.requests == []
    assert data["offline"] is True
    assert finding(data, "endpoint.skipped")["message"] == "not checked (--offline)"
    assert finding(data, "download.skipped")["message"] == "not run (--offline)"
    assert status == 0  # the process-only setting is a warning


def test_download_honours_hf_hub_offline(serve, monkeypatch):
    hub = serve("hub")
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    status, data = run_json("doctor", "--shell", "bash", "--download")
    assert status == 1  # every client here refuses to download: the proof cannot pass
    assert "HF_HUB_OFFLINE is on" in finding(data, "download.offline")["message"]
    assert "client.offline" in codes(data, "warn")
    assert not any(r.path.endswith("/config.json") for r in hub.requests if r.method == "GET")


def test_download_is_not_run_against_an_endpoint_that_does_not_answer(monkeypatch):
    import time

    monkeypatch.setenv("HF_ENDPOINT", dead_url())
    began = time.monotonic()
    status, data = run_json("doctor", "--shell", "bash", "--download", "--only", "--candidate", f"gone={dead_url()}")
    assert status == 1 and time.monotonic() - began < 15  # no huggingface_hub retries
    assert "the endpoint check already failed (refused)" in finding(data, "download.skipped")["message"]


def test_the_real_client_performs_the_download(serve, monkeypatch):
    hub = serve("hub")
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    status, data = run_json("doctor", "--shell", "bash", "--download")
    assert status == 0, json.dumps(data["findings"], indent=1)
    ok = finding(data, "download.ok")
    assert f"huggingface_hub downloaded openai-community/gpt2/config.json (76 bytes) through {hub.url}" \
        in ok["message"]
    gets = [r for r in hub.requests if r.method == "GET" and r.path.endswith("/config.json")]
    agent = {k.lower(): v for k, v in gets[-1].headers.items()}.get("user-agent", "") if gets else ""
    assert "hf_hub/" in agent  # huggingface_hub's own user agent


def test_captive_portal_fails_the_download_with_the_explanation(serve, monkeypatch):
    portal = serve("portal")
    monkeypatch.setenv("HF_ENDPOINT", portal.url)
    status, data = run_json("doctor", "--shell", "bash", "--download", "--only", "--candidate",
                            f"wifi={portal.url}")
    assert status == 1
    failed = finding(data, "download.failed")
    assert "X-Repo-Commit" in failed["message"] and "this endpoint is not a Hub" in failed["message"]
    assert "X-Repo-Commit" in finding(data, "download.client-error")["message"]  # huggingface_hub's own words
    assert finding(data, "endpoint.unusable")["level"] == "error"
    assert any(r.method == "HEAD" and "/resolve/main/config.json" in r.path for r in portal.requests)


def test_large_files_redirected_to_another_origin_name_its_host(serve, monkeypatch):
    cdn = serve("cdn")
    hub = serve("hub", large_files=LARGE_FILES, lfs_redirect=f"http://localhost:{cdn.port}")
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    status, data = run_json("doctor", "--shell", "bash")
    assert status == 0
    redirect = finding(data, "large_files.redirect")
    assert redirect["message"].startswith(f"large files come from localhost:{cdn.port}: ")
    assert data["facts"]["large_files"]["host"] == f"localhost:{cdn.port}"
    assert "X-Amz-Signature" not in json.dumps(data)  # a signed URL's query is never shown
    assert [r.method for r in cdn.requests] == ["HEAD"]  # reached, nothing downloaded


def test_an_unreachable_large_file_host_exits_1(serve, monkeypatch):
    gone = dead_url()
    hub = serve("hub", large_files=LARGE_FILES, lfs_redirect=gone)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    status, data = run_json("doctor", "--shell", "bash")
    assert status == 1
    error = finding(data, "large_files.unreachable")
    assert error["message"].startswith(f"large files come from {gone.split('//')[1]}, which cannot be reached")


def test_xet_storage_host_is_named(serve, monkeypatch):
    cdn, cas = serve("cdn"), serve("cdn")
    hub = serve("hub", large_files=LARGE_FILES, lfs_redirect=cdn.url, xet_cas=f"http://localhost:{cas.port}")
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    status, data = run_json("doctor", "--shell", "bash")
    assert status == 0
    if data["facts"]["client"].get("hf_xet"):
        assert f"through localhost:{cas.port}" in finding(data, "large_files.xet-storage")["message"]
        assert cas.requests
    else:
        assert "large_files.xet" in codes(data, "info")


def test_modelscope_is_named_when_nothing_is_usable(serve, monkeypatch, isolated_home):
    portal = serve("portal")
    monkeypatch.setenv("HF_ENDPOINT", dead_url())
    before = sorted(p.name for p in isolated_home.rglob("*"))
    result = run("doctor", "--shell", "bash", "--only", "--candidate", f"wifi={portal.url}",
                 "--candidate", f"gone={dead_url()}")
    assert result.exit_code == 1
    assert "no Hugging Face endpoint is usable from here" in result.stdout
    assert "USE_MODELSCOPE_HUB=1 (LLaMA-Factory)" in result.stdout
    assert "VLLM_USE_MODELSCOPE=true (vLLM)" in result.stdout
    assert "hfenv does not set these" in result.stdout
    assert sorted(p.name for p in isolated_home.rglob("*")) == before  # nothing written
    assert portal.requests  # the fallback probe asked it


def test_another_working_endpoint_is_offered(serve, monkeypatch):
    hub = serve("hub")
    monkeypatch.setenv("HF_ENDPOINT", dead_url())
    status, data = run_json("doctor", "--shell", "bash", "--only", "--candidate", f"lab={hub.url}")
    assert status == 1
    fix = finding(data, "endpoint.unusable")["fix"]
    # Named by its name; the command takes the URL, since `lab` is no endpoint hfenv knows outside this run.
    assert f"switch to lab ({hub.url})" in fix and f"`hfenv setup --persist --endpoint {hub.url}`" in fix
    assert "endpoint.modelscope" not in codes(data)


# ---- the token ---------------------------------------------------------------------------------


def test_token_is_not_sent_to_a_third_party_without_check_token(serve, monkeypatch):
    token = make_token()
    hub = serve("hub", token=token)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_TOKEN", token)
    status, data = run_json("doctor", "--shell", "bash", "--download")
    assert status == 0
    assert "token.third-party" in codes(data, "warn")
    assert "--check-token" in finding(data, "token.not-checked")["message"]
    assert all(r.path != "/api/whoami-v2" for r in hub.requests)
    assert all("authorization" not in {k.lower() for k in r.headers} for r in hub.requests)  # nor downloading
    assert data["facts"]["download"]["token_sent"] is False


def test_check_token_reports_a_refused_token(serve, monkeypatch):
    hub = serve("hub", token=make_token())
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_TOKEN", make_token())
    status, data = run_json("doctor", "--shell", "bash", "--check-token")
    assert status == 1
    assert "refuses the token (401)" in finding(data, "token.invalid")["message"]


def test_the_official_hub_gets_its_token_checked_without_a_flag(serve, monkeypatch):
    token = make_token()
    hub = serve("hub", token=token)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_TOKEN", token)
    report = doctor.diagnose(doctor.Options(shell="bash", official_url=hub.url))
    valid = [f for f in report.findings if f.code == "token.valid"]
    assert valid and WHOAMI_NAME in valid[0].message
    assert "token.third-party" not in [f.code for f in report.findings]
    assert any(r.path == "/api/whoami-v2" for r in hub.requests)


@pytest.mark.parametrize("variable", ["HF_TOKEN_PATH", "HF_HOME"])
def test_the_token_file_follows_huggingface_hub(monkeypatch, tmp_path, variable):
    token = make_token()
    folder = tmp_path / "elsewhere"
    path = folder / ("my-token" if variable == "HF_TOKEN_PATH" else "token")
    folder.mkdir()
    path.write_text(token)
    monkeypatch.setenv(variable, str(path if variable == "HF_TOKEN_PATH" else folder))
    result = run("doctor", "--shell", "bash", "--offline", "--json")
    data = json.loads(result.stdout)
    assert data["facts"]["token"] == {"present": True, "source": f"the token file {path}",
                                      "sources": [f"the token file {path}"], "valid": None, "checked_at": None}
    assert token[:8] not in result.stdout and token[-8:] not in result.stdout


def test_the_fresh_interpreter_says_which_token_wins(monkeypatch, isolated_home):
    legacy, stored = make_token(), make_token()
    token_file = isolated_home / ".cache" / "huggingface" / "token"
    token_file.parent.mkdir(parents=True)
    token_file.write_text(stored + "\n")
    monkeypatch.setenv("HF_TOKEN", "  ")  # set but blank: huggingface_hub skips the legacy variable too
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", legacy)
    result = run("doctor", "--shell", "bash", "--offline", "--json")
    data = json.loads(result.stdout)
    assert data["facts"]["token"]["source"] == f"the token file {token_file}"
    assert "token.legacy-ignored" in codes(data, "warn")
    assert legacy[5:13] not in result.stdout and stored[5:13] not in result.stdout


@pytest.mark.parametrize("value", ["null", "true", "error", "redacted", "hf_x"])
def test_odd_tokens_keep_the_json_whole(monkeypatch, value):
    monkeypatch.setenv("HF_TOKEN", value)
    result = run("doctor", "--shell", "bash", "--offline", "--json")  # "redacted" used to hang here
    data = json.loads(result.stdout)
    assert set(data["counts"]) == set(doctor.LEVELS)
    assert ("token.malformed" in codes(data, "warn")) is (len(value) < 8)


def test_token_pieces_in_printed_paths_are_redacted(monkeypatch, tmp_path):
    token = make_token()
    monkeypatch.setenv("HF_TOKEN", token)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "x" / token[5:13] / "hf"))  # a path doctor prints
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / token / "hub"))
    outputs = []
    for extra in ([], ["--json"]):
        done = subprocess.run([*hfenv_cmd(), "doctor", "--shell", "bash", "--offline", *extra],
                              env=dict(os.environ), capture_output=True, timeout=120, cwd=ROOT)
        outputs += [done.stdout, done.stderr]
    assert b"[redacted]" in outputs[0] and b"[redacted]" in outputs[2]
    json.loads(outputs[2])
    for data in outputs:
        for i in range(len(token) - 7):
            assert token[i:i + 8].encode() not in data


def test_progress_lines_are_redacted(monkeypatch):
    token = make_token()
    monkeypatch.setenv("HF_TOKEN", token)
    monkeypatch.setenv("HF_ENDPOINT", f"{dead_url()}/{token[2:10]}")
    lines: list[str] = []
    doctor.diagnose(doctor.Options(shell="bash", candidates=[], progress=lines.append))
    assert any("checking" in line for line in lines)
    assert all(token[i:i + 8] not in line for line in lines for i in range(len(token) - 7))


def test_no_byte_doctor_prints_holds_the_token(serve, monkeypatch, isolated_home):
    token = make_token()
    legacy, stored = make_token(), make_token()
    hub = serve("hub", token=token, large_files=LARGE_FILES)
    token_file = isolated_home / ".cache" / "huggingface" / "token"
    token_file.parent.mkdir(parents=True)
    token_file.write_text(stored + "\n")
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_TOKEN": token, "HUGGING_FACE_HUB_TOKEN": legacy}
    outputs = []
    for extra in ([], ["--json"]):
        done = subprocess.run([*hfenv_cmd(), "doctor", "--shell", "bash", "--download", "--check-token", *extra],
                              env=env, capture_output=True, timeout=120, cwd=ROOT)
        assert done.returncode == 0, done.stdout.decode()
        outputs += [done.stdout, done.stderr]
    assert b"$HF_TOKEN" in outputs[0] and WHOAMI_NAME.encode() in outputs[0]  # it did look at the token
    for secret in (token, legacy, stored):
        for data in outputs:
            for i in range(len(secret) - 7):
                assert secret[i:i + 8].encode() not in data
    assert any(r.headers.get("Authorization") == f"Bearer {token}" for r in hub.requests)


# ---- certificates ------------------------------------------------------------------------------


def test_requests_ca_bundle_alone_is_not_enough_for_huggingface_hub(serve, monkeypatch, tls_ca, ca_bundle):
    """huggingface_hub 2.x (httpx) ignores REQUESTS_CA_BUNDLE: doctor checks with the client's trust and says so,
    instead of calling the endpoint usable; with SSL_CERT_FILE the real client downloads and doctor agrees."""
    hub = serve("hub", tls=server_tls(tls_ca))
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_bundle))
    status, data = run_json("doctor", "--shell", "bash", "--download", "--only", "--candidate", f"x={dead_url()}")
    assert status == 1 and "endpoint.usable" not in codes(data, "ok")
    unusable = finding(data, "endpoint.unusable")
    assert "tls: certificate not trusted" in unusable["message"] and "point SSL_CERT_FILE at" in unusable["message"]
    assert "REQUESTS_CA_BUNDLE at" not in json.dumps(data)
    assert finding(data, "network.ca-bundle")["fix"] == f"export SSL_CERT_FILE={ca_bundle}"
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_bundle))
    status, data = run_json("doctor", "--shell", "bash", "--download")
    assert status == 0, json.dumps(data["findings"], indent=1)
    assert {"endpoint.usable", "download.ok"} <= set(codes(data, "ok"))
    assert "network.ca-bundle" not in json.dumps(data)
    assert "trusts SSL_CERT_FILE" in finding(data, "network.ca")["message"]


def test_ssl_cert_file_alone_is_trusted_by_every_check(serve, monkeypatch, tls_ca, ca_bundle):
    token = make_token()
    cdn = serve("cdn", tls=server_tls(tls_ca))
    hub = serve("hub", tls=server_tls(tls_ca), large_files=LARGE_FILES, token=token,
                lfs_redirect=f"https://localhost:{cdn.port}")
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_TOKEN", token)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_bundle))  # what huggingface_hub (httpx) reads; no REQUESTS_CA_BUNDLE
    status, data = run_json("doctor", "--shell", "bash", "--check-token")
    assert status == 0, json.dumps(data["findings"], indent=1)
    assert finding(data, "large_files.redirect")["message"].startswith(f"large files come from localhost:{cdn.port}")
    assert "token.valid" in codes(data, "ok")
    assert [r.method for r in cdn.requests] == ["HEAD"]


# ---- the command line ----------------------------------------------------------------------------


def test_json_schema():
    status, data = run_json("doctor", "--shell", "bash", "--offline")
    assert set(data) == {"schema", "exit_status", "needs_action", "offline", "endpoint", "counts", "sections",
                         "findings", "facts"}
    assert data["schema"] == 1 and status == data["exit_status"]
    assert set(data["counts"]) == set(doctor.LEVELS)
    for section in data["sections"]:
        assert set(section) == {"id", "title", "level", "verdict"}
    for item in data["findings"]:
        assert set(item) == {"section", "level", "code", "message", "fix"}
        assert item["level"] in doctor.LEVELS and item["code"].startswith(item["section"] + ".")
    assert set(data["facts"]) >= {"layers", "client", "endpoint", "token", "large_files", "download", "network",
                                  "storage", "tools"}


def test_doctor_does_not_import_huggingface_hub_in_process():
    code = ("import sys\nfrom hfenv.cli import main\n"
            "try:\n    main(['doctor', '--offline', '--shell', 'bash'], prog_name='hfenv')\n"
            "except SystemExit:\n    pass\n"
            "assert 'huggingface_hub' not in sys.modules, 'imported huggingface_hub'\nprint('clean')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, cwd=ROOT)
    assert done.stdout.decode().strip().endswith("clean"), done.stderr.decode()


def test_only_needs_a_candidate():
    result = run("doctor", "--only")
    assert result.exit_code == 2 and "--only needs at least one --candidate" in result.stderr


def test_git_insteadof_rules_are_compared_with_the_endpoint(monkeypatch, isolated_home):
    git = need_program("git")
    subprocess.run([git, "config", "--global", "url.https://hf-mirror.com/.insteadOf", "https://huggingface.co/"],
                   check=True, env={**os.environ, "HOME": str(isolated_home)})
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.com")
    status, data = run_json("doctor", "--shell", "bash", "--offline")
    assert "`git clone https://huggingface.co/...` goes to https://hf-mirror.com" in finding(data, "tools.git-mirror")[
        "message"]
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.lab.example")
    status, data = run_json("doctor", "--shell", "bash", "--offline")
    assert "hfenv setup --git" in finding(data, "tools.git-mirror-differs")["fix"]


def test_a_damaged_config_is_reported_not_a_traceback(isolated_home):
    """hfenv's own config file broken: doctor says so (warning) and goes on."""


    path = isolated_home / ".config" / "hfenv" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text("[1]")
    result = CliRunner().invoke(main, ["doctor", "--offline", "--shell", "bash", "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    data = json.loads(result.stdout)
    assert any(f["code"] == "layers.saved-choice-unreadable" and str(path) in f["message"]
               for f in data["findings"])


# ---- right after setup ---------------------------------------------------------------------------


def test_doctor_right_after_setup_in_the_old_shell_exits_0(serve):
    """`setup --persist` then doctor in the same (old) shell: the official Hub is blocked here and
    this shell still uses it, but new terminals get the mirror just set up, which works."""
    hub = serve("hub", large_files=LARGE_FILES)
    setup_persist(hub.url)
    status, data = run_json("doctor", "--shell", "bash", "--only", "--candidate", f"lab={hub.url}")
    assert status == 0, json.dumps(data["findings"], indent=1)
    stale = finding(data, "layers.not-in-process")
    assert stale["level"] == "warn" and f"new terminals use lab ({hub.url})" in stale["message"]
    assert stale["fix"] == 'open a new terminal, or run `eval "$(hfenv shell --shell bash)"` in this one'
    unusable = finding(data, "endpoint.unusable")
    assert unusable["level"] == "warn" and f"new terminals use lab ({hub.url}), which works" in unusable["message"]
    assert "hfenv setup" not in unusable["fix"] and "hfenv shell --shell bash" in unusable["fix"]


def test_doctor_after_setting_up_a_dead_mirror_never_suggests_it(serve):
    hub = serve("hub")
    dead = dead_url()
    setup_persist(dead)
    status, data = run_json("doctor", "--shell", "bash", "--only", "--candidate", f"good={hub.url}")
    assert status == 1
    stale = finding(data, "layers.not-in-process")
    assert stale["level"] == "error" and "not usable" in stale["fix"] and "eval" not in stale["fix"]
    fix = finding(data, "endpoint.unusable")["fix"]
    assert f"switch to good ({hub.url})" in fix and dead not in fix
    probed = {r["url"]: r["ok"] for r in data["facts"]["probe"]["results"]}
    assert probed == {hub.url: True, dead: False}  # what new shells get was probed too


def test_doctor_after_setup_with_another_value_still_in_this_shell_exits_0(serve, monkeypatch):
    old, new = serve("hub", large_files=LARGE_FILES), serve("hub", large_files=LARGE_FILES)
    monkeypatch.setenv("HF_ENDPOINT", old.url)  # exported by an earlier setup, before this one
    setup_persist(new.url)
    status, data = run_json("doctor", "--shell", "bash")
    assert status == 0, json.dumps(data["findings"], indent=1)
    assert finding(data, "layers.process-differs")["level"] == "warn"


# ---- the pipeline ------------------------------------------------------------------------


def test_a_new_section_is_one_module_and_one_line_in_the_pipeline(monkeypatch):
    """A section added to PIPELINE reaches the text report, the JSON sections and facts, and the exit status."""
    from hfenv.doctor.context import Section
    from hfenv.doctor.report import Findings

    def judge(ctx, facts):
        out = Findings("lab")
        out.error("missing", f"no profile for {facts['shell']}", "hfenv profile use NAME")
        return out.items

    lab = Section("lab", "Lab profile", lambda ctx: {"shell": ctx.shell}, judge, lambda facts: {"lab": facts})
    monkeypatch.setattr(doctor, "PIPELINE", doctor.PIPELINE + (lab,))
    monkeypatch.setitem(doctor.SECTIONS, "lab", "Lab profile")
    report = doctor.diagnose(doctor.Options(offline=True, shell="bash"))
    assert "[ERROR] Lab profile: no profile for bash" in doctor.format_report(report)
    data = report.to_json()
    assert data["sections"][-1] == {"id": "lab", "title": "Lab profile", "level": "error",
                                    "verdict": "no profile for bash"}
    assert data["facts"]["lab"] == {"shell": "bash"} and data["exit_status"] == 1


def test_no_doctor_module_is_over_400_lines():
    sizes = {p.name: len(p.read_text().splitlines()) for p in (ROOT / "hfenv" / "doctor").glob("*.py")}
    assert len(sizes) > 10 and max(sizes.values()) <= 400, sizes
