"""setup, shell, probe and run following a lab profile: candidates and rule, every variable in the
block, flags over the profile, the ModelScope fallback, and the real client through the profile's CA."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hfenv import endpoints, render

from conftest import ROOT, need_program, run
from hubserver import HUB_FILES, dead_url, server_tls

MIRROR = "https://hf-mirror.com"


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
    for name in LAB_VARIABLES:
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
    assert "HF_HUB_DISABLE_IMPLICIT_TOKEN=1" in without.stderr
    lab = write_profile(tmp_path, '[token]\nthird_party = "never"\n')
    withp = run("setup", "--endpoint", "hf-mirror", "--profile", str(lab))
    assert withp.exit_code == 0 and "token is stored" not in withp.stderr


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


def test_a_name_the_profile_defines_is_an_endpoint_for_every_command(tmp_path, serve):
    hub = serve("hub")
    lab = write_profile(tmp_path, f'[endpoints]\nlab = "{hub.url}"\n')  # defined, in no order
    code = run("shell", "--shell", "bash", "--endpoint", "lab", "--profile", str(lab))
    assert code.exit_code == 0 and code.stdout == f"export HF_ENDPOINT='{hub.url}';\n", code.stderr
    code = run("shell", "--shell", "bash", "--endpoint", "lab", env={"HFENV_PROFILE": str(lab)})
    assert code.stdout == f"export HF_ENDPOINT='{hub.url}';\n", code.stderr
    done = run("setup", "--endpoint", "lab", "--profile", str(lab), "--dry-run", "--json")
    assert done.exit_code == 0 and json.loads(done.stdout)["endpoint"] == {"name": "lab", "url": hub.url}
    data = json.loads(run("probe", "--profile", str(lab), "--only", "--candidate", "lab", "--json").stdout)
    assert [(r["name"], r["url"], r["status"]) for r in data["results"]] == [("lab", hub.url, "ok")]
    # Without the profile the name means nothing: a usage error, as before.
    assert run("shell", "--shell", "bash", "--endpoint", "lab", "--no-profile").exit_code == 2


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


# ---- the machine: /etc/environment, --root, the shared cache ---------------------------


@pytest.fixture
def image_root(tmp_path):
    """A machine image under a directory: /etc/environment with a line of its own, profile.d."""
    root = tmp_path / "image"
    (root / "etc" / "profile.d").mkdir(parents=True)
    (root / "etc" / "environment").write_text('PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n')
    return root


def pam_env(path: Path) -> dict[str, str]:
    """/etc/environment read the way pam_env reads it: NAME=value lines, # comments, quotes stripped."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.removeprefix("export ").partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[name] = value
    return env


SYSTEM_LAB = """\
[endpoints]
order = ["hf-mirror"]
[cache]
hub = "/data/hf-cache"
shared = true
[token]
third_party = "never"
"""


def test_system_writes_a_pam_block_under_root_and_reset_removes_it(tmp_path, image_root):
    lab = write_profile(tmp_path, SYSTEM_LAB)
    result = run("setup", "--system", "--root", str(image_root), "--endpoint", "hf-mirror",
                 "--profile", str(lab), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    environment = image_root / "etc" / "environment"
    assert ("pam-environment", str(environment), "updated") in [(t["kind"], t["path"], t["action"])
                                                                 for t in report["targets"]]
    text = environment.read_text()
    assert text.startswith('PATH="/usr/local/sbin') and "export" not in text
    assert "HF_ENDPOINT=https://hf-mirror.com\n" in text and "HF_HUB_DISABLE_IMPLICIT_TOKEN=1\n" in text
    # What `ssh host command` gets: sshd runs `bash -c` with pam_env's environment and no startup file.
    bash = need_program("bash")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **pam_env(environment)}
    env["PATH"] = env["PATH"] + ":/usr/bin:/bin"
    done = subprocess.run([bash, "-c", f"{sys.executable} -c 'import os; print(os.environ[\"HF_ENDPOINT\"], "
                                       "os.environ[\"HF_HUB_CACHE\"], os.environ[\"HF_HUB_DISABLE_IMPLICIT_TOKEN\"])'"],
                          env=env, capture_output=True, text=True, timeout=30)
    assert done.stdout.split() == ["https://hf-mirror.com", "/data/hf-cache", "1"], done.stderr
    assert (image_root / "etc/profile.d/hfenv.sh").is_file()
    # The shared cache was made under the root, group-writable and setgid, and the JSON says so.
    cache = image_root / "data" / "hf-cache"
    assert report["shared_cache"]["created"] is True and report["shared_cache"]["problem"] is None
    assert cache.stat().st_mode & 0o7777 == 0o2775
    again = json.loads(run("setup", "--system", "--root", str(image_root), "--endpoint", "hf-mirror",
                           "--profile", str(lab), "--json").stdout)
    assert again["changed"] is False and again["shared_cache"]["created"] is False
    assert run("reset", "--system", "--root", str(image_root)).exit_code == 0
    assert environment.read_text() == 'PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n'
    assert not (image_root / "etc/profile.d/hfenv.sh").exists()


def test_the_machine_profile_under_root_is_found(tmp_path, image_root):
    (image_root / "etc" / "hfenv").mkdir()
    (image_root / "etc" / "hfenv" / "profile.toml").write_text(SYSTEM_LAB)
    report = json.loads(run("setup", "--system", "--root", str(image_root), "--endpoint", "hf-mirror",
                            "--json").stdout)
    assert report["variables"]["HF_HUB_CACHE"] == "/data/hf-cache"


def test_values_pam_cannot_carry_are_refused_and_nothing_changes(tmp_path, image_root):
    lab = write_profile(tmp_path, '[cache]\nhub = "/data/hf cache"\n')
    before = (image_root / "etc" / "environment").read_bytes()
    result = run("setup", "--system", "--root", str(image_root), "--endpoint", "hf-mirror", "--profile", str(lab))
    assert result.exit_code == 2 and "/etc/environment cannot carry HF_HUB_CACHE" in result.stderr
    assert (image_root / "etc" / "environment").read_bytes() == before
    assert not (image_root / "etc/profile.d/hfenv.sh").exists()


def test_root_lasts_for_one_command(tmp_path, image_root):
    from hfenv import persist

    before = persist.SYSTEM_ROOT
    assert run("setup", "--system", "--root", str(image_root), "--endpoint", "hf").exit_code == 0
    assert persist.SYSTEM_ROOT == before


def test_root_needs_system(tmp_path):
    result = run("setup", "--root", str(tmp_path), "--endpoint", "hf")
    assert result.exit_code == 2 and "--root goes with --system" in result.stderr


def test_a_wrong_shared_cache_is_named_with_the_fix_and_left_alone(tmp_path, image_root):
    cache = image_root / "data" / "hf-cache"
    cache.mkdir(parents=True)
    cache.chmod(0o755)
    lab = write_profile(tmp_path, SYSTEM_LAB)
    result = run("setup", "--system", "--root", str(image_root), "--endpoint", "hf-mirror", "--profile", str(lab),
                 "--json")
    assert result.exit_code == 0
    shared = json.loads(result.stdout)["shared_cache"]
    assert "group-writable and setgid" in shared["problem"] and f"chmod 2775 {cache}" in shared["problem"]
    assert f"chmod 2775 {cache}" in result.stderr
    assert cache.stat().st_mode & 0o7777 == 0o755


@pytest.mark.slow
def test_two_users_share_the_cache(tmp_path):
    """Two Unix users of one group each create a file and take a lock in the shared cache."""
    from conftest import IN_CI

    if os.geteuid() != 0 or not IN_CI:
        pytest.skip("creates two Unix users and a group: runs only as root with CI=true")
    import shutil
    import tempfile
    import uuid

    # Under /tmp itself: pytest's own tmp directories are private to root.
    base = Path(tempfile.mkdtemp(prefix="hfenv-shared-"))
    base.chmod(0o755)
    image_root = base / "image"
    (image_root / "etc" / "profile.d").mkdir(parents=True)
    tag = uuid.uuid4().hex[:6]
    group, users = f"hfl{tag}", [f"hfa{tag}", f"hfb{tag}"]
    subprocess.run(["groupadd", group], check=True)
    try:
        for user in users:
            subprocess.run(["useradd", "-M", "-G", group, user], check=True)
        lab = write_profile(tmp_path, SYSTEM_LAB)
        image_root.chmod(0o755)
        assert run("setup", "--system", "--root", str(image_root), "--endpoint", "hf-mirror",
                   "--profile", str(lab)).exit_code == 0
        cache = image_root / "data" / "hf-cache"
        (image_root / "data").chmod(0o755)
        shutil.chown(cache, group=group)
        # umask 002: the directories huggingface_hub creates inside must be group-writable too
        # (the README's admin section says so; setgid alone only passes the group on).
        script = ("import fcntl, os, sys; os.umask(0o002); d = sys.argv[1]; "
                  "p = os.path.join(d, os.environ['USER'] + '.lock'); "
                  "f = open(p, 'w'); fcntl.flock(f, fcntl.LOCK_EX); "
                  "sub = os.path.join(d, 'models--x'); os.makedirs(sub, exist_ok=True); "
                  "open(os.path.join(sub, os.environ['USER']), 'w').write('x')")
        for user in users:
            python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else shutil.which("python3")
            done = subprocess.run(["runuser", "-u", user, "--", "env", f"USER={user}", python, "-c",
                                   script, str(cache)], capture_output=True, text=True, timeout=30)
            assert done.returncode == 0, done.stderr
        assert {p.name for p in (cache / "models--x").iterdir()} == set(users)
    finally:
        for user in users:
            subprocess.run(["userdel", user], capture_output=True)
        subprocess.run(["groupdel", group], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
