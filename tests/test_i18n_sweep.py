"""The sweep: a Chinese user runs every command and subcommand of hfenv, in many states (fresh home,
after setup for each shell, damaged files, a URL profile that goes away, garbage proxies, a Hub that
answers 500/503/404/HTML, a cached probe), and no English prose reaches them.

Real `hfenv` subprocesses under LANG=zh_CN.UTF-8 in the sandbox HOME of conftest; loopback servers
only, proxies pinned to a dead loopback port (NO_PROXY covers loopback). Every run is bounded by a
timeout; the corpus is a fixed list. `english_prose` (tests/i18n_extract.py) finds three English words
in a row outside code, quotes, URLs, paths, options and VARIABLES.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from i18n_extract import english_prose

from conftest import hfenv_process, subprocess_env
from hubserver import dead_url, server_tls

pytestmark = pytest.mark.slow

SHELLS = ("bash", "zsh", "fish", "tcsh", "powershell")
# Text hfenv quotes from elsewhere, untranslated on purpose.
QUOTED = (
    "Connection refused",        # the OS's words for ECONNREFUSED, quoted in a detail
    "unable to get local issuer certificate",   # OpenSSL's verify message
    "self-signed certificate in certificate chain",  # OpenSSL's verify message
    "Internal Server Error", "Service Unavailable", "Not Found",  # the server's HTTP reason phrase
    "Wi-Fi login",               # the portal page's <title>, quoted as the server sent it
    "Please log in",             # the portal page's body, quoted as the server sent it
    "No such file or directory",  # the OS's strerror, quoted after the path it is about
    "Missing dependencies for SOCKS support.",  # requests' own words for a socks:// proxy, quoted
    "HTTP Error 503 thrown while requesting HEAD",  # huggingface_hub's words, shown as "huggingface_hub 的原话"
    # The comment setup writes in a startup file's block: file content that a --dry-run diff shows.
    "# Managed by hfenv: `hfenv setup` changes it, `hfenv reset` removes it.",
    "linux,macos,windows",       # onboard --os's choices: names, not prose
)
# Lists of shell names (unknown-shell errors, `shell --help`'s table) are names, not prose.
SHELL_NAMES = re.compile(r"\b(?:" + "|".join(sorted(
    ("bash", "zsh", "sh", "fish", "tcsh", "xonsh", "elvish", "powershell", "cmd", "ash", "busybox", "csh", "dash",
     "ksh", "ksh93", "mksh", "pwsh"), key=len, reverse=True)) + r")\b")


NESTED = re.compile(r"（[^（）]*（[^（）]*）[^（）]*）")  # brackets in brackets read badly in Chinese


class Sweep:
    """Runs hfenv commands under a Chinese locale and keeps every line with English prose."""

    def __init__(self, home: Path, base_env: dict):
        self.home, self.base_env = home, base_env
        self.found: list[str] = []
        self.runs = 0

    def __call__(self, *args, env: dict | None = None, allowed=(), stdin: str | None = None,
                 check_stdout: bool = True):
        run_env = subprocess_env(**{"LANG": "zh_CN.UTF-8", **self.base_env, **(env or {})})
        done = hfenv_process(*args, env=run_env, timeout=60, input=stdin or "")
        self.runs += 1
        out, err = done.stdout, done.stderr
        assert "Traceback" not in err, (args, err)
        text = SHELL_NAMES.sub(" ", (out if check_stdout else "") + "\n" + err)
        for line in english_prose(text, allowed=(*QUOTED, *allowed)):
            self.found.append(f"hfenv {' '.join(args)}: {line}")
        return done.returncode, out, err

    def check(self):
        assert self.runs, "nothing ran"
        unique = list(dict.fromkeys(self.found))
        assert not unique, f"{len(unique)} English lines under LANG=zh_CN.UTF-8:\n" + "\n".join(unique)


@pytest.fixture
def sweep(isolated_home):
    blackhole = dead_url()
    return Sweep(isolated_home, {"HTTP_PROXY": blackhole, "HTTPS_PROXY": blackhole, "ALL_PROXY": blackhole,
                                 "NO_PROXY": "127.0.0.1,localhost"})


def config_dir(home: Path) -> Path:
    return home / ".config" / "hfenv"


def cache_dir(home: Path) -> Path:
    return home / ".cache" / "hfenv"


# ---- help, usage errors, a fresh home ----

def test_every_help_and_usage_error_in_chinese(sweep):
    sweep()
    sweep("--help")
    for command in ("setup", "reset", "shell", "run", "probe", "doctor", "detect", "endpoints", "profile",
                    "onboard", "completion"):
        sweep(command, "--help")
        sweep(command, "--no-such-option")
    for group, subs in (("endpoints", ("list", "add", "remove")), ("profile", ("init", "check", "show"))):
        sweep(group)
        sweep(group, "nope")
        for sub in subs:
            sweep(group, sub, "--help")
    sweep("nope")
    sweep("shell", "--shell", "nosh")
    sweep("shell", "--shell", "bash", "--endpoint", "nowhere")
    sweep("shell", "--shell", "bash", "--endpoint", "ftp://x")
    sweep("shell", "--shell", "bash", "--endpoint", "http://")
    for args in (("shell", "--shell", "bash"), ("run", "--", "true"), ("setup", "--dry-run")):
        _code, _out, err = sweep(*args[:1], "--endpoint", "hf", "--cache-dir", "", *args[1:])
        assert err.count("--cache-dir") == 1 and "--cache-dir：路径为空" in err, err  # the option named once
    sweep("shell", "--shell", "bash", "--cache-dir", "$HOME/hf")
    sweep("shell", "--shell", "bash", "--cache-dir", "rel/dir")
    sweep("shell", "--shell", "bash", "--profile", "/nonexistent.toml")
    sweep("shell", "--shell", "bash", "--profile", "http://127.0.0.1:9/p.toml")
    sweep("shell", "--shell", "bash", "--unset")
    sweep("run")
    sweep("run", "--", "no-such-program-hfenv")
    sweep("run", "--endpoint", "hf", "--", "true")
    sweep("probe", "--timeout", "-1")
    sweep("probe", "--timeout", "abc")
    sweep("probe", "--samples", "0")
    sweep("probe", "--candidate", "bad")
    sweep("probe", "--only")
    sweep("probe", "--only", "--candidate", "x=notaurl")
    sweep("doctor", "--timeout", "0")
    sweep("doctor", "--python", "/nonexistent/python")
    sweep("doctor", "--shell", "nosh")
    sweep("setup", "--endpoint", "nowhere")
    sweep("setup", "--xet", "maybe")
    sweep("setup", "--root", "rel")
    sweep("setup", "--cache-dir", "", "--endpoint", "hf")
    sweep("setup", "--persist", "--shell", "nosh", "--endpoint", "hf")
    sweep("reset", "--shell", "nosh")
    sweep("reset")
    sweep("reset", "--all", "--dry-run")
    sweep("detect")
    sweep("endpoints", "list")
    sweep("endpoints", "add")
    sweep("endpoints", "add", "lab", "notaurl")
    sweep("endpoints", "add", "hf", "https://127.0.0.1:1")
    sweep("endpoints", "add", "lab", "http://127.0.0.1:1")
    sweep("endpoints", "add", "lab", "http://127.0.0.1:1")
    sweep("endpoints", "list")
    sweep("endpoints", "remove", "nope")
    sweep("endpoints", "remove", "hf")
    sweep("endpoints", "remove", "lab")
    sweep("profile", "show")
    sweep("profile", "check")
    sweep("profile", "check", "/nonexistent.toml")
    sweep("profile", "check", "http://127.0.0.1:9/p.toml")
    target = sweep.home / "lab.toml"
    sweep("profile", "init", str(target))
    sweep("profile", "init", str(target))
    sweep("profile", "check", str(target))
    sweep("onboard", "-o", str(sweep.home / "page.md"))
    sweep("onboard", "--os", "beos")
    sweep("onboard", "--lang", "xx")
    sweep("completion", check_stdout=False)
    sweep("completion", "nosh")
    for shell in ("bash", "zsh", "fish"):
        sweep("completion", shell, check_stdout=False)
    sweep.check()


# ---- after setup, for every shell ----

@pytest.mark.parametrize("shell", SHELLS)
def test_setup_and_what_follows_in_chinese(sweep, serve, shell):
    hub = serve("hub")
    sweep("setup", "--endpoint", hub.url, "--dry-run", "--shell", shell, "--persist")
    sweep("setup", "--endpoint", hub.url, "--shell", shell, "--persist")
    sweep("setup", "--endpoint", hub.url, "--shell", shell, "--persist")  # again: nothing changes
    sweep("shell", "--shell", shell, check_stdout=False)
    sweep("shell", "--shell", shell, "--unset", check_stdout=False)
    _code, out, _err = sweep("detect")
    assert not NESTED.search(out) and "依据：" in out, out
    sweep("doctor", "--offline", "--shell", shell)
    sweep("doctor", "--shell", shell, "--only", "--candidate", f"lab={hub.url}", "--timeout", "5")
    sweep("setup", "--endpoint", hub.url, "--shell", shell, "--persist", "--cache-dir", str(sweep.home / "hf"),
          "--xet", "off", "--git")
    sweep("reset", "--shell", shell, "--dry-run")
    sweep("reset", "--shell", shell)
    sweep("reset", "--shell", shell)
    sweep.check()


# ---- damaged files ----

def test_damaged_config_state_and_probe_cache_in_chinese(sweep, serve):
    hub = serve("hub")
    home = sweep.home
    sweep("setup", "--endpoint", hub.url, "--shell", "bash", "--persist")
    sweep("probe", "--only", "--candidate", f"lab={hub.url}", "--timeout", "5")
    for name, data in (("config.json", b"{not json"), ("state.json", b"\xff\xfe garbage"),
                       ("config.json", b'{"endpoints": 5}'), ("state.json", b'{"version": 99}'),
                       ("state.json", b"[]")):
        for where in (config_dir(home), home / ".local" / "state" / "hfenv"):
            if (where / name).exists() or where == config_dir(home):
                where.mkdir(parents=True, exist_ok=True)
                (where / name).write_bytes(data)
        probe_cache = cache_dir(home) / "probe.json"
        probe_cache.parent.mkdir(parents=True, exist_ok=True)
        probe_cache.write_bytes(b"{broken")
        sweep("shell", "--shell", "bash", check_stdout=False)
        sweep("setup", "--shell", "bash", "--dry-run")
        sweep("endpoints", "list")
        sweep("endpoints", "add", "lab", hub.url)
        sweep("detect")
        sweep("doctor", "--offline", "--shell", "bash")
        sweep("reset", "--dry-run")
        sweep("reset")
        sweep("probe", "--only", "--candidate", f"lab={hub.url}", "--timeout", "5")
    sweep.check()


# ---- probe twice; the cached choice ----

def test_a_cached_probe_result_in_chinese(sweep, serve):
    hub = serve("hub")
    sweep("probe", "--only", "--candidate", f"lab={hub.url}", "--timeout", "5")
    sweep("probe", "--only", "--candidate", f"lab={hub.url}", "--timeout", "5", "--all")
    sweep("setup", "--shell", "bash", "--dry-run")
    sweep("setup", "--shell", "bash")
    sweep("shell", "--shell", "bash", check_stdout=False)
    sweep("run", "--", "true")
    hub.stop()
    sweep("setup", "--shell", "bash", "--dry-run")
    sweep("shell", "--shell", "bash", check_stdout=False)
    sweep("doctor", "--offline")
    sweep.check()


# ---- a Hub that fails ----

@pytest.mark.parametrize("mode, options", [
    ("status", {"status": 500}), ("status", {"status": 503}), ("status", {"status": 404}), ("portal", {}),
    ("garbage", {}), ("reset", {}), ("redirect", {"redirect_to": "https://elsewhere.example"}),
])
def test_a_failing_hub_in_chinese(sweep, serve, mode, options):
    bad = serve(mode, **options)
    sweep("probe", "--only", "--candidate", f"lab={bad.url}", "--timeout", "3")
    sweep("probe", "--only", "--candidate", f"lab={bad.url}", "--timeout", "3", "--all")
    sweep("setup", "--endpoint", bad.url, "--shell", "bash", "--dry-run")
    _code, out, _err = sweep("doctor", "--only", "--candidate", f"lab={bad.url}", "--timeout", "3")
    probed = [line for line in out.splitlines() if "测试了 lab" in line]
    assert probed and not any(re.search(r"[a-z_]+[;,] ", line) for line in probed), probed  # ；， in Chinese
    sweep("profile", "check", f"{bad.url}/p.toml")
    sweep.check()


def test_download_and_tokens_in_chinese(sweep, serve):
    hub = serve("hub")
    sweep("setup", "--endpoint", hub.url, "--shell", "bash", "--persist")
    sweep("doctor", "--download", "--check-token", "--timeout", "10",
          env={"HF_ENDPOINT": hub.url, "HF_TOKEN": "hf_notreal"})
    bad = serve("status", status=503)
    sweep("doctor", "--download", "--timeout", "5", env={"HF_ENDPOINT": bad.url})
    sweep.check()


# ---- proxies set to garbage ----

@pytest.mark.parametrize("proxy", ["garbage", "http://", "socks5://127.0.0.1:9", "http://[::1"])
def test_garbage_proxies_in_chinese(sweep, proxy):
    env = {"HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "ALL_PROXY": proxy, "NO_PROXY": None}
    sweep("probe", "--timeout", "3", env=env)
    sweep("setup", "--shell", "bash", "--dry-run", env=env)
    _code, out, _err = sweep("doctor", "--timeout", "3", env=env)
    assert not NESTED.search(out), [line for line in out.splitlines() if NESTED.search(line)]
    assert "USE_MODELSCOPE_HUB=1（LLaMA-Factory）、VLLM_USE_MODELSCOPE=true（vLLM）" in out, out  # nothing usable
    sweep("shell", "--shell", "bash", env=env, check_stdout=False)
    sweep.check()


# ---- lab profiles: a file, and a URL that goes away ----

def test_profile_file_and_url_that_goes_away_in_chinese(sweep, serve, tls_ca, ca_bundle):
    from hubserver import HUB_FILES

    lab = sweep.home / "lab.toml"
    lab.write_text('name = "Vision Lab"\n[endpoints]\nlab = "https://127.0.0.1:1"\n', encoding="utf-8")
    for args in (("profile", "check", str(lab)), ("profile", "show", "--profile", str(lab)),
                 ("shell", "--shell", "bash", "--profile", str(lab)),
                 ("setup", "--profile", str(lab), "--endpoint", "hf", "--dry-run"),
                 ("onboard", "--profile", str(lab), "-o", str(sweep.home / "p.md"))):
        sweep(*args, check_stdout=args[0] != "shell")
    bad = sweep.home / "bad.toml"
    for text in ('[network]\noffline = "yes"\n', "name = \n", "[nope]\n", "\xff"):
        bad.write_bytes(text.encode("latin-1"))
        sweep("profile", "check", str(bad))
        sweep("shell", "--shell", "bash", "--profile", str(bad))
    trust = {"SSL_CERT_FILE": str(ca_bundle), "REQUESTS_CA_BUNDLE": str(ca_bundle)}
    hub = serve("hub", tls=server_tls(tls_ca), files={**HUB_FILES, "lab/p": {"p.toml": b'name = "Lab"\n'}})
    url = f"{hub.url}/lab/p/resolve/main/p.toml"
    sweep("profile", "check", url, env=trust)
    sweep("profile", "show", "--profile", url, env=trust)
    sweep("setup", "--profile", url, "--endpoint", "hf", "--dry-run", env=trust)
    hub.stop()
    _code, out, err = sweep("setup", "--profile", url, "--endpoint", "hf", "--dry-run", env=trust)
    note = out + err
    assert "（无法获取（" not in note and "(无法获取" not in note, note
    sweep("profile", "show", "--profile", url, env=trust)
    sweep("profile", "check", url, env=trust)
    sweep("shell", "--shell", "bash", "--profile", url, env=trust, check_stdout=False)
    sweep("doctor", "--offline", env={**trust, "HFENV_PROFILE": url})
    sweep.check()


def test_json_stays_english_in_the_sweep(sweep, serve):
    hub = serve("hub")
    for args in (("probe", "--only", "--candidate", f"lab={hub.url}", "--json"), ("detect", "--json"),
                 ("setup", "--endpoint", hub.url, "--dry-run", "--json"), ("doctor", "--offline", "--json")):
        _code, out, _err = sweep(*args, check_stdout=False)
        json.loads(out)
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in out), args


# ---- startup files that already set HF_ENDPOINT; take-over; a state that lies ----

def test_conflicting_startup_files_and_take_over_in_chinese(sweep, serve):
    hub = serve("hub")
    home = sweep.home
    (home / ".bashrc").write_text("export HF_ENDPOINT=https://old.example\nif true; then\n"
                                  "  export HF_ENDPOINT=https://guarded.example\nfi\n", encoding="utf-8")
    (home / ".zshrc").write_text("export HF_ENDPOINT=https://old.example HF_HUB_CACHE=/x\n", encoding="utf-8")
    fish = home / ".config" / "fish" / "config.fish"
    fish.parent.mkdir(parents=True, exist_ok=True)
    fish.write_text("set -gx HF_ENDPOINT https://old.example\n", encoding="utf-8")
    _code, out, _err = sweep("detect")
    assert ".bashrc:1（赋值）：" in out, out  # what the line does, in Chinese (not "(set)")
    for shell in ("bash", "zsh", "fish"):
        sweep("setup", "--endpoint", hub.url, "--shell", shell, "--persist")
        sweep("setup", "--endpoint", hub.url, "--shell", shell, "--persist", "--take-over", "--dry-run")
        sweep("setup", "--endpoint", hub.url, "--shell", shell, "--persist", "--take-over")
    sweep("detect")
    sweep("doctor", "--offline", "--shell", "bash", env={"HF_ENDPOINT": "https://old.example"})
    (home / ".bashrc").write_text("# hand-edited\n", encoding="utf-8")  # the block the state names is gone
    sweep("reset", "--dry-run")
    sweep("reset")
    (home / ".zshrc").write_text("# >>> hfenv >>>\nexport HF_ENDPOINT=x\n", encoding="utf-8")  # a broken block
    sweep("setup", "--endpoint", hub.url, "--shell", "zsh", "--persist")
    sweep("reset", "--shell", "zsh")
    sweep("detect")
    sweep.check()


def test_a_full_profile_with_fallback_and_tokens_in_chinese(sweep, serve):
    hub = serve("hub")
    lab = sweep.home / "lab.toml"
    lab.write_text(f'name = "Vision Lab"\ncontact = "admin@lab.example"\n[endpoints]\norder = ["lab", "dead"]\n'
                   f'lab = "{hub.url}"\ndead = "http://127.0.0.1:9"\nchoose = "first"\n[cache]\n'
                   f'hub = "{sweep.home / "shared"}"\nshared = true\n[network]\nxet = "off"\noffline = true\n'
                   '[token]\nthird_party = "never"\n[git]\nroute = true\n[fallback]\nmodelscope = true\n',
                   encoding="utf-8")
    profile_env = {"HFENV_PROFILE": str(lab)}
    sweep("profile", "show", env=profile_env)
    sweep("profile", "check", str(lab))
    sweep("probe", "--timeout", "3", env=profile_env)
    sweep("setup", "--shell", "bash", "--persist", "--dry-run", env=profile_env)
    sweep("setup", "--shell", "bash", "--persist", env=profile_env)
    sweep("shell", "--shell", "bash", env=profile_env, check_stdout=False)
    sweep("doctor", "--timeout", "3", env={**profile_env, "HF_TOKEN": "hf_x"})
    sweep("onboard", "-o", str(sweep.home / "page.md"), env=profile_env)
    hub.stop()  # nothing usable now: the ModelScope fallback
    sweep("probe", "--timeout", "3", env=profile_env)
    sweep("setup", "--shell", "bash", "--dry-run", env=profile_env)
    sweep("doctor", "--timeout", "3", env=profile_env)
    token_dir = sweep.home / ".cache" / "huggingface" / "token"
    token_dir.mkdir(parents=True)  # the token file is a directory
    sweep("doctor", "--offline", env={"HF_TOKEN_PATH": str(token_dir)})
    sweep("doctor", "--offline", "--check-token", env={"HF_TOKEN": "hf_x", "HF_ENDPOINT": "http://127.0.0.1:9"})
    sweep.check()


def test_system_git_and_the_other_shells_in_chinese(sweep, tmp_path):
    root = tmp_path / "root"
    (root / "etc" / "profile.d").mkdir(parents=True)
    git = {"GIT_CONFIG_GLOBAL": str(sweep.home / ".gitconfig")}
    sweep("setup", "--system", "--root", str(root), "--endpoint", "hf-mirror", "--dry-run")
    sweep("setup", "--system", "--root", str(root), "--endpoint", "hf-mirror")
    sweep("reset", "--system", "--root", str(root), "--dry-run")
    sweep("reset", "--system", "--root", str(root))
    sweep("setup", "--system", "--root", str(tmp_path / "empty"), "--endpoint", "hf-mirror")
    sweep("setup", "--git", "--endpoint", "hf-mirror", env=git)
    sweep("setup", "--git", "--endpoint", "hf-mirror", "--persist", "--shell", "bash", "--xet", "on",
          "--cache-dir", str(sweep.home / "c"), env=git)
    sweep("doctor", "--offline", env=git)
    sweep("reset", "--git", env=git)
    sweep("reset", "--all", env=git)
    for shell in ("cmd", "xonsh", "elvish", "sh", "ksh", "dash", "csh", "pwsh"):
        sweep("setup", "--persist", "--shell", shell, "--endpoint", "hf", "--dry-run")
        sweep("shell", "--shell", shell, "--endpoint", "hf", "--cache-dir", str(sweep.home / "a%b!c"),
              check_stdout=False)
        sweep("shell", "--shell", shell, "--endpoint", "hf", "--cache-dir", "/x\ny", check_stdout=False)
    sweep("run", "--endpoint", "hf")
    sweep("run", "--endpoint", "hf", "--", str(sweep.home))  # a directory, not a program
    sweep.check()
