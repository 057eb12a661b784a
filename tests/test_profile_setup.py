"""setup, shell, probe and run following a lab profile: candidates and rule, every variable in the
block, flags over the profile, the ModelScope fallback, and the real client through the profile's CA."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, need_program
from hfenv import endpoints, render
from hfenv.cli import main
from hubserver import HUB_FILES, ca_bundle, dead_url, serve, server_tls, tls_ca  # noqa: F401 (fixtures)

MIRROR = "https://hf-mirror.com"


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def write_profile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lab.toml"
    path.write_text(text, encoding="utf-8")
    return path


LAB = """\
name = "Vision Lab"
[cache]
hub = "/data/hf cache"
[network]
ca_bundle = "/etc/ssl/certs/lab's-ca.pem"
xet = "off"
offline = true
[token]
third_party = "never"
"""

LAB_VARIABLES = {
    "HF_ENDPOINT": MIRROR, "HF_HUB_CACHE": "/data/hf cache", "HF_HUB_DISABLE_XET": "1", "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1", "SSL_CERT_FILE": "/etc/ssl/certs/lab's-ca.pem",
    "REQUESTS_CA_BUNDLE": "/etc/ssl/certs/lab's-ca.pem",
}


def test_shell_sets_every_variable_of_the_profile_and_flags_win(tmp_path):
    lab = write_profile(tmp_path, LAB)
    code = run("shell", "--shell", "bash", "--endpoint", "hf-mirror", "--profile", str(lab)).stdout
    for name, value in LAB_VARIABLES.items():
        assert f"export {name}=" in code
    # The official Hub keeps the token (origin comparison), --cache-dir beats cache.hub.
    code = run("shell", "--shell", "bash", "--endpoint", "hf", "--cache-dir", "/mine", "--profile", str(lab)).stdout
    assert "HF_HUB_DISABLE_IMPLICIT_TOKEN" not in code and "export HF_HUB_CACHE='/mine';" in code
    # --no-profile ignores even $HFENV_PROFILE.
    code = run("shell", "--shell", "bash", "--endpoint", "hf-mirror", "--no-profile",
               env={"HFENV_PROFILE": str(lab)}).stdout
    assert code == f"export HF_ENDPOINT='{MIRROR}';\n"
    code = run("shell", "--shell", "bash", "--endpoint", "hf-mirror", env={"HFENV_PROFILE": str(lab)}).stdout
    assert "HF_HUB_OFFLINE='1'" in code


def test_a_bad_profile_is_exit_2_naming_file_line_and_key(tmp_path):
    lab = write_profile(tmp_path, '[network]\noffline = "yes"\n')
    result = run("shell", "--shell", "bash", "--endpoint", "hf", "--profile", str(lab))
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{lab}:2: network.offline: must be true or false" in result.stderr


DUMP = """\
import json, os, sys
names = sys.argv[2].split(",")
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({n: os.environ.get(n) for n in names}, out)
"""

STARTS = [
    ("bash -l -c", "bash", ["-l", "-c"]),
    ("bash -i -c", "bash", ["-i", "-c"]),
    ("zsh -i -c", "zsh", ["-i", "-c"]),
    ("zsh -l -c", "zsh", ["-l", "-c"]),
    ("fish -c", "fish", ["-c"]),
]


def shells_see(home: Path, scratch: Path) -> dict:
    dump = scratch / "dump.py"
    dump.write_text(DUMP)
    seen = {}
    for number, (label, program, args) in enumerate(STARTS):
        path = need_program(program)
        out = scratch / f"seen-{number}.json"
        env = {"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin", "TERM": "dumb", "LANG": "C.UTF-8",
               "XDG_DATA_HOME": str(scratch / "data"), "XDG_CACHE_HOME": str(scratch / "cache")}
        cmd = f"{sys.executable} {dump} {out} {','.join(render.VARIABLES)}"
        subprocess.run([path, *args, cmd], env=env, cwd=home, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=30)
        seen[label] = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"ran": False}
    return seen


@pytest.mark.slow
def test_setup_persist_writes_every_variable_real_shells_read_it_and_reset_removes_it(tmp_path, isolated_home):
    lab = write_profile(tmp_path, LAB)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = run("setup", "--persist", "--shell", "bash", "--shell", "zsh", "--shell", "fish",
                 "--endpoint", "hf-mirror", "--profile", str(lab), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["variables"] == LAB_VARIABLES
    expected = {name: LAB_VARIABLES.get(name) for name in render.VARIABLES}
    for label, seen in shells_see(isolated_home, scratch).items():
        assert seen == expected, label
    again = run("setup", "--persist", "--shell", "bash", "--shell", "zsh", "--shell", "fish",
                "--endpoint", "hf-mirror", "--profile", str(lab), "--json")
    assert json.loads(again.stdout)["changed"] is False
    assert run("reset", "--shell", "bash", "--shell", "zsh", "--shell", "fish").exit_code == 0
    nothing = {name: None for name in render.VARIABLES}
    for label, seen in shells_see(isolated_home, scratch).items():
        assert seen == nothing, label


def test_setup_without_a_stored_token_policy_keeps_the_token_warning_quiet(tmp_path, isolated_home):
    token = isolated_home / ".cache" / "huggingface" / "token"
    token.parent.mkdir(parents=True)
    token.write_text("hf_secret\n")
    without = run("setup", "--endpoint", "hf-mirror", "--no-profile")
    assert "HF_HUB_DISABLE_IMPLICIT_TOKEN=1 so that the token is not sent" in without.stderr
    lab = write_profile(tmp_path, '[token]\nthird_party = "never"\n')
    withp = run("setup", "--endpoint", "hf-mirror", "--profile", str(lab))
    assert withp.exit_code == 0 and "token is not sent" not in withp.stderr


def test_git_route_in_the_profile_is_setups_git(tmp_path, isolated_home):
    lab = write_profile(tmp_path, "[git]\nroute = true\n")
    report = json.loads(run("setup", "--endpoint", "hf-mirror", "--profile", str(lab), "--json").stdout)
    assert "git" in [t["kind"] for t in report["targets"]]
    assert f'[url "{MIRROR}/"]' in (isolated_home / ".gitconfig").read_text()


# ---- candidates and the rule -------------------------------------------------------


def test_probe_follows_the_profiles_candidates_and_rule(tmp_path, serve):
    slow, fast = serve("hub", delay=0.15), serve("hub")
    text = f'[endpoints]\norder = ["slow", "fast"]\nslow = "{slow.url}"\nfast = "{fast.url}"\n'
    first = write_profile(tmp_path, text + 'choose = "first"\n')
    data = json.loads(run("probe", "--profile", str(first), "--json").stdout)
    assert [r["name"] for r in data["results"]] and {r["name"] for r in data["results"]} == {"slow", "fast"}
    assert data["chosen"]["name"] == "slow"  # first usable in order, though slower
    fastest = tmp_path / "fastest.toml"
    fastest.write_text(text + 'choose = "fastest"\n')
    assert json.loads(run("probe", "--profile", str(fastest), "--json").stdout)["chosen"]["name"] == "fast"
    # --only replaces the profile's candidates; --candidate joins them.
    data = json.loads(run("probe", "--profile", str(first), "--only", "--candidate", f"x={fast.url}",
                          "--json").stdout)
    assert [r["name"] for r in data["results"]] == ["x"]


def test_first_skips_what_is_not_usable(tmp_path, serve):
    hub = serve("hub")
    lab = write_profile(tmp_path, f'[endpoints]\norder = ["gone", "lab"]\ngone = "{dead_url()}"\n'
                                  f'lab = "{hub.url}"\nchoose = "first"\n')
    result = run("setup", "--profile", str(lab), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["endpoint"] == {"name": "lab", "url": hub.url}


def test_nothing_usable_with_modelscope_writes_the_fallback_and_says_so(tmp_path, isolated_home):
    text = f'[endpoints]\norder = ["gone"]\ngone = "{dead_url()}"\n'
    off = write_profile(tmp_path, text)
    assert run("setup", "--profile", str(off)).exit_code == 3
    on = tmp_path / "on.toml"
    on.write_text(text + "[fallback]\nmodelscope = true\n")
    result = run("setup", "--persist", "--shell", "bash", "--profile", str(on), "--json")
    assert result.exit_code == 0, result.stderr
    assert "USE_MODELSCOPE_HUB=1" in result.stderr and "ModelScope" in result.stderr
    report = json.loads(result.stdout)
    assert report["variables"]["USE_MODELSCOPE_HUB"] == "1" and report["variables"]["VLLM_USE_MODELSCOPE"] == "true"
    assert "USE_MODELSCOPE_HUB" in (isolated_home / ".bashrc").read_text()
    assert endpoints.saved_choice() is None  # a fallback is not a choice to keep


# ---- the real client, through the profile's CA ---------------------------------------


@pytest.mark.slow
def test_real_client_downloads_through_the_profiles_ca_without_the_token(tmp_path, serve, tls_ca, ca_bundle):
    pytest.importorskip("huggingface_hub")
    hub = serve("hub", tls=server_tls(tls_ca))
    lab = write_profile(tmp_path, f'[endpoints]\norder = ["lab"]\nlab = "{hub.url}"\n'
                                  f'[network]\nca_bundle = "{ca_bundle}"\n'
                                  f'[cache]\nhub = "{tmp_path / "cache"}"\n'
                                  '[token]\nthird_party = "never"\n')
    script = ("from huggingface_hub import hf_hub_download; import sys; "
              "p = hf_hub_download('openai-community/gpt2', 'config.json'); sys.stdout.write(open(p).read())")
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")}
    env.update({"HF_TOKEN": "hf_lab_secret", "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1,localhost"})
    done = subprocess.run([sys.executable, "-m", "hfenv", "run", "--profile", str(lab), "--",
                           sys.executable, "-c", script], env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == HUB_FILES["openai-community/gpt2"]["config.json"]
    assert (tmp_path / "cache").is_dir()  # cache.hub became HF_HUB_CACHE
    client = [seen for seen in hub.requests if "hfenv" not in seen.headers.get("User-Agent", "")]
    assert client, "the client reached the loopback Hub"
    assert not any("authorization" in {k.lower() for k in seen.headers} for seen in client)
    # With "allow", the same client sends the token: the header is really recorded.
    lab.write_text(lab.read_text().replace('"never"', '"allow"'))
    done = subprocess.run([sys.executable, "-m", "hfenv", "run", "--profile", str(lab), "--",
                           sys.executable, "-c", script.replace("config.json')", "config.json', force_download=True)")],
                          env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert any({k.lower(): v for k, v in seen.headers.items()}.get("authorization") == "Bearer hf_lab_secret"
               for seen in hub.requests)
