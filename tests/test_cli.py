"""The command-line surface: endpoints, shell, detect, exit statuses, hostile input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hfenv import endpoints

import plans
from conftest import ROOT, hfenv_cmd, run

# ---- endpoints: names or URLs, strictly checked ------------------------------

HOSTILE_ENDPOINTS = [
    ("", "not a catalog name"),
    ("hf-mirrors", "not a catalog name"),
    ("huggingface.co", "not a catalog name"),
    ("ftp://hf-mirror.com", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("javascript://x", "scheme"),
    ("https://", "no host"),
    ("https:///path", "no host"),
    ("https://user:pw@hf-mirror.com", "user:password"),
    ("https://token@hf-mirror.com", "user:password"),
    ("https://hf-mirror.com?x=1", "query"),
    ("https://hf-mirror.com/#frag", "fragment"),
    ("https://hf mirror.com", "whitespace"),
    ("https://hf-mirror.com\n", "control character"),
    ("https://hf-mirror.com\tx", "control character"),
    ("https://hf-mirror.com/'x'", "quote"),
    ('https://hf-mirror.com/"x"', "quote"),
    ("https://hf-mirror.com/`touch CANARY`", "quote"),
    ("https://hf-mirror.com/$(touch${IFS}CANARY)", "not allowed"),
    ("https://hf-mirror.com/a;touch${IFS}CANARY", "not allowed"),
    ("https://hf-mirror.com/!x", "not allowed"),
    ("https://hf-mirror.com\\evil", "backslash"),
    ("https://hf-mirror.com:0", "port"),
    ("https://hf-mirror.com:99999", "port"),
    ("https://hf-mirror.com:abc", "port"),
    ("https://hf-mirror.com:", "port"),
    ("https://-bad-.com", "host"),
    ("https://hf_mirror.com", "host"),
    ("https://镜像.com", "non-ASCII"),
    ("https://hf-mirror.com/a/../b", "'..'"),
    ("https://hf-mirror.com//x", "'//'"),
    ("https://hf-mirror.com/%zz", "not allowed"),
]


@pytest.mark.parametrize("text,reason", HOSTILE_ENDPOINTS)
def test_hostile_endpoint_refused_with_reason(text, reason, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("shell", "--shell", "bash", "--endpoint", text)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "CANARY").exists()


@pytest.mark.parametrize("text,reason", HOSTILE_ENDPOINTS[3:])
def test_hostile_endpoint_add_writes_nothing(text, reason):
    result = run("endpoints", "add", "lab", text)
    assert result.exit_code == 2, result.output
    assert reason in result.stderr
    assert not endpoints.config_path().exists()


def test_percent_escape_accepted_but_cmd_refuses_it():
    """'%XX' is a valid URL escape, but cmd would expand %...% in it."""
    ok = run("shell", "--shell", "bash", "--endpoint", "https://m.example/a%20b")
    assert ok.exit_code == 0 and ok.stdout == "export HF_ENDPOINT='https://m.example/a%20b';\n"
    refused = run("shell", "--shell", "cmd", "--endpoint", "https://m.example/a%20b")
    assert refused.exit_code == 2 and "cmd cannot carry" in refused.stderr


@pytest.mark.parametrize(
    "text,url",
    [
        ("hf", "https://huggingface.co"),
        ("hf-mirror", "https://hf-mirror.com"),
        ("https://hf-mirror.com/", "https://hf-mirror.com"),
        ("HTTPS://HF-Mirror.COM", "https://hf-mirror.com"),
        ("https://lab.example:8443/hub/", "https://lab.example:8443/hub"),
        ("https://[::1]:8080", "https://[::1]:8080"),
    ],
)
def test_names_and_urls_accepted(text, url):
    result = run("shell", "--shell", "bash", "--endpoint", text)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"export HF_ENDPOINT='{url}';\n"


def test_plain_http_warns_on_stderr_only():
    result = run("shell", "--shell", "sh", "--endpoint", "http://10.0.0.5:8080")
    assert result.exit_code == 0
    assert result.stdout == "export HF_ENDPOINT='http://10.0.0.5:8080';\n"
    assert "plain http" in result.stderr


def test_endpoints_add_list_use_remove():
    assert run("endpoints", "add", "lab", "https://hub.lab.example/").exit_code == 0
    listing = run("endpoints")
    assert "lab" in listing.stdout and "https://hub.lab.example" in listing.stdout
    assert "hf-mirror" in listing.stdout
    assert run("shell", "--shell", "fish", "--endpoint", "lab").stdout == (
        "set -gx HF_ENDPOINT 'https://hub.lab.example'\n"
    )
    assert run("endpoints", "remove", "lab").exit_code == 0
    assert "lab" not in run("endpoints").stdout
    missing = run("endpoints", "remove", "lab")
    assert missing.exit_code == 2 and "no user endpoint" in missing.stderr


@pytest.mark.parametrize("name", ["hf", "hf-mirror"])
def test_builtin_endpoints_cannot_be_redefined(name):
    result = run("endpoints", "add", name, "https://evil.example")
    assert result.exit_code == 2 and "built-in" in result.stderr
    assert run("endpoints", "remove", name).exit_code == 2


@pytest.mark.parametrize("name", ["bad name", "$(x)", "a/b", "-x", "x" * 65, "名字"])
def test_bad_endpoint_names_refused(name):
    result = run("endpoints", "add", "--", name, "https://lab.example")
    assert result.exit_code == 2 and "name" in result.stderr


def test_config_lives_under_xdg_config_home(isolated_home):
    run("endpoints", "add", "lab", "https://lab.example")
    path = isolated_home / ".config" / "hfenv" / "config.json"
    assert json.loads(path.read_text())["endpoints"] == {"lab": "https://lab.example"}


def test_corrupt_config_is_a_clear_error(isolated_home):
    path = isolated_home / ".config" / "hfenv" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    result = run("endpoints")
    assert result.exit_code == 1 and str(path) in result.stderr


# ---- shell -------------------------------------------------------------------


def test_shell_cache_dir_sets_hf_hub_cache_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("shell", "--shell", "bash", "--endpoint", "hf", "--cache-dir", "models")
    assert result.stdout.splitlines()[1] == f"export HF_HUB_CACHE='{tmp_path}/models';"


@pytest.mark.parametrize("value", ["a\nb", "x\x1by", "tab\tz"])
def test_shell_control_character_in_cache_dir_is_exit_2(value):
    result = run("shell", "--shell", "zsh", "--endpoint", "hf", "--cache-dir", "/m/" + value)
    assert result.exit_code == 2 and result.stdout == ""
    assert "control character" in result.stderr


def test_shell_cmd_refuses_percent_with_exit_2():
    result = run("shell", "--shell", "cmd", "--endpoint", "hf", "--cache-dir", "C:\\100%")
    assert result.exit_code == 2 and result.stdout == ""
    assert "cmd cannot carry" in result.stderr


def test_shell_unset_and_its_conflicts():
    result = run("shell", "--shell", "bash", "--unset")
    assert result.stdout == "unset HF_ENDPOINT;\nunset HF_HUB_CACHE;\nunset HF_HUB_DISABLE_XET;\n"
    assert run("shell", "--shell", "bash", "--unset", "--endpoint", "hf").exit_code == 2


@pytest.mark.parametrize(
    "given,name",
    [("dash", "sh"), ("ksh", "sh"), ("mksh", "sh"), ("csh", "tcsh"), ("pwsh", "powershell"),
     ("/usr/bin/zsh", "zsh"), ("/bin/ksh93", "sh"), ("C:\\Program Files\\PowerShell\\7\\pwsh.exe", "powershell"),
     ("cmd.exe", "cmd"), ("BASH", "bash"), ("-bash", "bash")],
)
def test_shell_aliases_and_paths(given, name):
    from hfenv import shells

    assert shells.get(given).name == name


def test_unknown_shell_names_the_option():
    result = run("shell", "--shell", "nushell", "--endpoint", "hf")
    assert result.exit_code == 2 and "--shell" in result.stderr


def test_undetectable_shell_names_the_option(monkeypatch):
    from hfenv import detect

    monkeypatch.setattr(detect, "detect_shell", lambda env=None: (None, None, "no hints"))
    result = run("shell", "--endpoint", "hf")
    assert result.exit_code == 2 and "--shell" in result.stderr and result.stdout == ""


def test_shell_uses_saved_choice_without_probing(monkeypatch):
    plans.save_choice(endpoints.Endpoint("hf-mirror", "https://hf-mirror.com"))
    monkeypatch.setitem(sys.modules, "hfenv.probe", None)  # any probe import would fail
    result = run("shell", "--shell", "bash")
    assert result.exit_code == 0
    assert result.stdout == "export HF_ENDPOINT='https://hf-mirror.com';\n"


# ---- detect --------------------------------------------------------------------


def test_detect_json_shape(monkeypatch, isolated_home):
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.com")
    (isolated_home / ".bashrc").write_text("export HF_ENDPOINT=https://hf-mirror.com\n")
    from hfenv import detect

    monkeypatch.setattr(detect, "detect_shell", lambda env=None: ("bash", "/bin/bash", "test"))
    info = json.loads(run("detect", "--json").stdout)
    assert info["os"]["system"] == "linux" and info["os"]["name"]
    assert info["shell"] == {"name": "bash", "path": "/bin/bash", "detected_by": "test",
                             "eval": 'eval "$(hfenv shell --shell bash)"'}
    paths = [item["path"] for item in info["startup_files"]]
    assert paths == [str(isolated_home / ".bashrc"), str(isolated_home / ".profile")]
    assert info["hf_endpoint"]["value"] == "https://hf-mirror.com"
    assert info["hf_endpoint"]["startup_files"] == [
        {"path": str(isolated_home / ".bashrc"), "line": 1, "text": "export HF_ENDPOINT=https://hf-mirror.com",
         "action": "set", "value": "https://hf-mirror.com", "exported": True, "in_block": False}
    ]


def test_detect_human_unknown_shell_names_option(monkeypatch):
    from hfenv import detect

    monkeypatch.setattr(detect, "detect_shell", lambda env=None: (None, None, "no hints"))
    result = run("detect")
    assert result.exit_code == 0 and "--shell" in result.stdout


def test_detect_shell_falls_back_to_SHELL(monkeypatch):
    import shellingham

    from hfenv import detect

    def broken():
        raise shellingham.ShellDetectionFailure()

    monkeypatch.setattr(shellingham, "detect_shell", broken)
    monkeypatch.setattr(detect, "process_shell", lambda: None)  # no parent process tells either
    assert detect.detect_shell({"SHELL": "/usr/bin/fish"}) == ("fish", "/usr/bin/fish", "$SHELL")
    assert detect.detect_shell({})[0] is None


def test_startup_files_follow_zdotdir_and_xdg(tmp_path):
    from hfenv import shells

    plat = shells.Platform("linux", tmp_path, {"ZDOTDIR": "/z", "XDG_CONFIG_HOME": "/cfg"})
    assert [str(f.path) for f in shells.get("zsh").startup_files(plat)] == ["/z/.zshrc", "/z/.zshenv"]
    fish = shells.get("fish").startup_files(plat)
    assert [(str(f.path), f.owned) for f in fish] == [("/cfg/fish/conf.d/hfenv.fish", True)]
    assert str(shells.get("elvish").startup_files(plat)[0].path) == "/cfg/elvish/rc.elv"
    mac = shells.Platform("macos", tmp_path, {})
    assert [f.path for f in shells.get("bash").startup_files(mac)] == [tmp_path / ".bash_profile"]
    (tmp_path / ".cshrc").write_text("")
    assert shells.get("tcsh").startup_files(plat)[0].path == tmp_path / ".cshrc"


def test_windows_powershell_profiles_follow_onedrive(tmp_path):
    from hfenv import shells

    (tmp_path / "OneDrive" / "Documents").mkdir(parents=True)
    plat = shells.Platform("windows", tmp_path, {"OneDrive": str(tmp_path / "OneDrive")})
    paths = [str(p) for p in shells.powershell_profiles(plat)]
    assert paths[0].endswith("Documents\\PowerShell\\profile.ps1") and "OneDrive" in paths[0]
    assert paths[1].endswith("Documents\\WindowsPowerShell\\profile.ps1")


# ---- process-level behaviour --------------------------------------------------


def test_version_and_python_dash_m():
    done = subprocess.run(hfenv_cmd() + ["--version"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.startswith("hfenv, version ")


def test_shell_with_endpoint_imports_no_network_library():
    code = (
        "import sys\n"
        "from hfenv.cli import main\n"
        "try:\n"
        "    main(['shell', '--shell', 'bash', '--endpoint', 'hf-mirror'], prog_name='hfenv')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in sys.modules\n"
        "               if m.split('.')[0] in ('requests', 'huggingface_hub', 'urllib3', 'httpx', 'shellingham'))\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout == "export HF_ENDPOINT='https://hf-mirror.com';\n"
    assert "HEAVY []" in done.stderr


def test_stdout_is_code_only_messages_go_to_stderr(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path)}
    done = subprocess.run(hfenv_cmd() + ["shell", "--shell", "bash", "--endpoint", "http://127.0.0.1:9"],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 0
    assert done.stdout == "export HF_ENDPOINT='http://127.0.0.1:9';\n"
    assert "warning" in done.stderr


def test_endpoint_changes_forget_the_cached_probe():
    """A new endpoint must take part in the next choice, not wait for the cache to expire."""
    from hfenv.probe import cache_path

    for args in (("endpoints", "add", "lab", "https://lab.example"), ("endpoints", "remove", "lab")):
        cache_path().parent.mkdir(parents=True, exist_ok=True)
        cache_path().write_text("{}")
        assert run(*args).exit_code == 0
        assert not cache_path().exists()


# ---- review follow-ups: run-time failures, odd input -----------------------------


@pytest.fixture
def broken_config(isolated_home):
    path = isolated_home / ".config" / "hfenv" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text("[1]")
    return path


@pytest.mark.parametrize("args", [
    ("shell", "--shell", "bash", "--endpoint", "lab"),
    ("shell", "--shell", "bash"),
    ("probe", "--only", "--candidate", "http://127.0.0.1:9"),
    ("endpoints",),
    ("endpoints", "add", "lab", "https://lab.example"),
    ("endpoints", "remove", "lab"),
])
def test_damaged_config_is_a_run_time_failure(broken_config, args):
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert str(broken_config) in result.stderr and result.stdout == ""
    assert broken_config.read_text() == "[1]"  # never overwritten


def test_catalog_names_need_no_config(broken_config):
    result = run("shell", "--shell", "bash", "--endpoint", "hf-mirror")
    assert result.exit_code == 0 and result.stdout == "export HF_ENDPOINT='https://hf-mirror.com';\n"


def test_empty_shell_name_is_bad_usage():
    result = run("shell", "--shell", "", "--endpoint", "hf")
    assert result.exit_code == 2 and "--shell" in result.stderr


@pytest.mark.parametrize("value", ["", "   "])
def test_blank_cache_dir_is_refused(value):
    result = run("shell", "--shell", "bash", "--endpoint", "hf", "--cache-dir", value)
    assert result.exit_code == 2 and "empty" in result.stderr


def test_cache_dir_is_made_absolute_but_not_normalised(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = run("shell", "--shell", "bash", "--endpoint", "hf", "--cache-dir", "link/../models").stdout
    assert out.splitlines()[1] == f"export HF_HUB_CACHE='{tmp_path}/link/../models';"
    win = run("shell", "--shell", "powershell", "--endpoint", "hf", "--cache-dir", "C:\\hf\\cache").stdout
    assert win.splitlines()[1] == "$env:HF_HUB_CACHE = 'C:\\hf\\cache'"


def test_value_the_output_encoding_cannot_carry_is_exit_2(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONIOENCODING": "cp1252"}
    done = subprocess.run(hfenv_cmd() + ["shell", "--shell", "powershell", "--endpoint", "hf",
                                         "--cache-dir", "C:/Users/张伟/m"],
                          capture_output=True, cwd=ROOT, env=env)
    assert done.returncode == 2 and done.stdout == b""
    assert b"PYTHONIOENCODING=utf-8" in done.stderr and b"Traceback" not in done.stderr


def test_setup_with_damaged_config_is_exit_1_and_changes_nothing(broken_config, isolated_home):
    result = run("setup", "--persist", "--shell", "bash", "--endpoint", "hf-mirror")
    assert result.exit_code == 1 and str(broken_config) in result.stderr
    assert not (isolated_home / ".bashrc").exists() and broken_config.read_text() == "[1]"


def test_endpoint_edits_and_setup_share_one_lock(isolated_home):
    """endpoints add/remove go through the same locked read-modify-write as setup's saved choice."""
    import multiprocessing

    names = [f"lab{i}" for i in range(6)]
    procs = [multiprocessing.Process(target=_add, args=(n,)) for n in names]
    procs.append(multiprocessing.Process(target=_setup))
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    config = json.loads(endpoints.config_path().read_text())
    assert sorted(config["endpoints"]) == names
    assert config["chosen"] == {"name": "hf-mirror", "url": "https://hf-mirror.com"}


def _add(name):
    endpoints.add_endpoint(name, f"https://{name}.example")


def _setup():
    from hfenv.cli import main as cli_main

    try:
        cli_main(["setup", "--endpoint", "hf-mirror"], prog_name="hfenv")
    except SystemExit as exc:
        assert exc.code in (0, None)
