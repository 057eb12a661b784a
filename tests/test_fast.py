"""hfenv/fast.py: the path that answers `shell`/`run` before click loads must be invisible.

The guarantee is differential: for a broad generated corpus of command lines and configs,
the program run with the fast path and with it forced off (HFENV_NO_FAST_PATH=1) gives the
same stdout, stderr and exit status, and for `run` the same argv and environment reach the
command. A second set of tests proves that the listed subset really is answered without click.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import pytest

from hfenv import fast, options, shells
from hfenv.cli import run as run_command_click
from hfenv.cli import shell as shell_command_click

from conftest import ROOT

CAPTURE = (
    "import json, os, sys\n"
    "env = {k: v for k, v in os.environ.items() if k != 'HFENV_NO_FAST_PATH'}\n"
    "print(json.dumps({'argv': sys.argv[1:], 'env': env}, sort_keys=True))\n"
)

SHELL_NAMES = [*shells.SHELLS, *shells.ALIASES, "/bin/bash", "BASH", "-zsh", "nosuch", ""]
ENDPOINTS = ["hf", "hf-mirror", "mine", "https://example.org", "https://example.org/hub/", "http://127.0.0.1:9",
             "https://u:p@example.org", "ftp://example.org", "unknown-name", "", "https://例子.测试",
             "https://example.org/a b", "https://example.org/'x"]
CACHE_DIRS = ["/tmp/hf cache", "rel dir", "缓存 目录/模型", "", "~/hf", "$HOME/x", "a'b", "/tmp/x\x1b[31m",
              "C:\\hf\\cache", " "]


def scenario_home(tmp_path: Path, kind: str) -> dict[str, str]:
    """An environment with a private HOME holding the config `kind` names."""
    home = tmp_path / kind
    config_dir = home / ".config" / "hfenv"
    config_dir.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "XDG_", "_")) and k != "HFENV_PROFILE"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_STATE_HOME=str(home / ".state"), HTTPS_PROXY="http://127.0.0.1:9",
               HTTP_PROXY="http://127.0.0.1:9", PYTHONIOENCODING="utf-8")
    env.pop("NO_PROXY", None)
    config = config_dir / "config.json"
    if kind in ("choice", "choice-no-xet", "profile-file", "profile-env"):
        chosen = {"name": "hf-mirror", "url": "https://hf-mirror.com"}
        if kind == "choice-no-xet":  # setup --xet decided HF_HUB_DISABLE_XET=1 with the choice
            chosen["disable_xet"] = True
        config.write_text(json.dumps({"endpoints": {"mine": "https://mine.example.org/hub"}, "chosen": chosen}))
    elif kind == "damaged":
        config.write_text("{not json")
    elif kind == "bad-choice":
        config.write_text(json.dumps({"chosen": {"name": "x", "url": "ftp://x"}}))
    if kind == "profile-file":
        (config_dir / "profile.toml").write_text("[network]\n")
    if kind == "profile-env":
        env["HFENV_PROFILE"] = str(home / "nowhere.toml")
    return env


def option_tokens(flag: str, value: str, spelling: int) -> list[str]:
    return [flag, value] if spelling == 0 else [f"{flag}={value}"]


def shell_corpus(rng: random.Random, n: int) -> list[list[str]]:
    cases = []
    for _ in range(n):
        parts = []
        if rng.random() < 0.9:
            parts.append(option_tokens("--shell", rng.choice(SHELL_NAMES), rng.randrange(2)))
        if rng.random() < 0.7:
            parts.append(option_tokens("--endpoint", rng.choice(ENDPOINTS), rng.randrange(2)))
        if rng.random() < 0.35:
            parts.append(option_tokens("--cache-dir", rng.choice(CACHE_DIRS), rng.randrange(2)))
        if rng.random() < 0.12:
            parts.append(["--unset"])
        if rng.random() < 0.1:  # a repeated option
            parts.append(list(rng.choice(parts))) if parts else parts.append(["--unset", "--unset"])
        rng.shuffle(parts)
        cases.append(["shell", *itertools.chain.from_iterable(parts)])
    return cases


def run_corpus(rng: random.Random, n: int) -> list[list[str]]:
    cmd_args = [[], ["--endpoint", "x"], ["--", "-x"], ["-h"], ["--help"], ["a b", "中文"], ["--cache-dir=/y"]]
    cases = []
    for _ in range(n):
        parts = []
        if rng.random() < 0.8:
            parts.append(option_tokens("--endpoint", rng.choice(ENDPOINTS), rng.randrange(2)))
        if rng.random() < 0.35:
            parts.append(option_tokens("--cache-dir", rng.choice(CACHE_DIRS), rng.randrange(2)))
        if rng.random() < 0.08:
            parts.append(list(rng.choice(parts)) if parts else ["--endpoint"])
        rng.shuffle(parts)
        cases.append(["run", *itertools.chain.from_iterable(parts), "--", "@CAPTURE", *rng.choice(cmd_args)])
    return cases


EDGE_CASES = [
    ["shell"], ["shell", "--shell", "bash"], ["shell", "--shell"], ["shell", "--shell", "bash", "--endpoint"],
    ["shell", "--shell", "bash", "--endpoint", "--unset"], ["shell", "--shell", "bash", "--endpoint=-x"],
    ["shell", "--shell", "bash", "--endpoint", "-"], ["shell", "--shell=", "--endpoint", "hf"],
    ["shell", "--shell", "bash", "--endpoint", "hf", "--"], ["shell", "--shell", "bash", "--endpoint", "hf", "extra"],
    ["shell", "--shell", "bash", "--unset=1"], ["shell", "--shell", "bash", "--unset"],
    ["shell", "--shell", "bash", "--unset", "--endpoint", "hf"], ["shell", "--shell", "bash", "--unset", "--unset"],
    ["shell", "-h"], ["shell", "--help"], ["shell", "--shell", "bash", "--help"], ["shell", "--shel", "bash"],
    ["shell", "--shell", "bash", "--endpoint", "hf", "--endpoint", "hf"],
    ["shell", "--shell", "bash", "--profile", "x"],
    ["shell", "--shell", "bash", "--no-profile", "--endpoint", "hf"],
    ["shell", "--shell", "bash", "--endpoint", "hf", "--cache-dir"],
    ["--version"], [], ["shells"], ["SHELL", "--shell", "bash"], ["run"], ["run", "--"], ["run", "--endpoint", "hf"],
    ["run", "--endpoint", "hf", "--"], ["run", "--endpoint", "hf", "@CAPTURE"], ["run", "@CAPTURE", "--endpoint", "hf"],
    ["run", "--endpoint", "hf", "--", "no-such-command-hfenv"], ["run", "--endpoint", "hf", "--", "/"],
    ["run", "--endpoint", "hf", "--", "@CAPTURE", "--", "--"], ["run", "--", "@CAPTURE", "--endpoint", "hf"],
    ["run", "--endpoint", "hf", "--unset", "--", "@CAPTURE"], ["run", "--help"],
    ["run", "--endpoint", "hf", "--cache-dir", "/c", "--cache-dir", "/d", "--", "@CAPTURE"],
]

SCENARIOS = ("choice", "choice-no-xet", "empty", "damaged", "bad-choice", "profile-file", "profile-env")


def would_probe(argv: list[str], kind: str) -> bool:
    """A case whose click path may start a probe (no endpoint, nothing saved): left out, it is slow."""
    if kind not in ("empty",):
        return False
    return not any(t.startswith(("--endpoint", "--unset", "-h", "--help")) for t in argv) and len(argv) > 1


def program(argv: list[str], capture: Path) -> list[str]:
    return [sys.executable, "-m", "hfenv", *(str(capture) if a == "@CAPTURE" else a for a in argv)]


def both_ways(argv: list[str], env: dict[str, str], cwd: Path, capture: Path):
    results = []
    for forced_off in (False, True):
        run_env = {**env, **({"HFENV_NO_FAST_PATH": "1"} if forced_off else {})}
        done = subprocess.run(program(argv, capture), capture_output=True, env=run_env, cwd=cwd, timeout=60)
        results.append((done.returncode, done.stdout, done.stderr))
    return results


def corpus() -> list[list[str]]:
    rng = random.Random(13)
    return EDGE_CASES + shell_corpus(rng, 170) + run_corpus(rng, 70)


@pytest.mark.slow
def test_fast_path_and_click_agree_on_a_generated_corpus(tmp_path):
    capture = tmp_path / "capture.py"
    capture.write_text(CAPTURE)
    capture.chmod(0o755)
    cwd = tmp_path / "work dir 工作"
    cwd.mkdir()
    envs = {kind: scenario_home(tmp_path, kind) for kind in SCENARIOS}
    jobs = []
    cases = corpus()
    for i, argv in enumerate(cases):
        kinds = SCENARIOS if i < len(EDGE_CASES) else (SCENARIOS[i % len(SCENARIOS)], "choice")
        for kind in dict.fromkeys(kinds):
            if not would_probe(argv, kind):
                jobs.append((argv, kind))
    assert len(jobs) > 500

    def check(job):
        argv, kind = job
        # The command is run through the interpreter: `python capture.py ARGS`.
        argv = [a for part in ([sys.executable, "@CAPTURE"] if a == "@CAPTURE" else [a] for a in argv) for a in part]
        fast_result, click_result = both_ways(argv, envs[kind], cwd, capture)
        return argv, kind, fast_result, click_result

    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 2))) as pool:
        results = list(pool.map(check, jobs))
    differ = [(argv, kind, f, c) for argv, kind, f, c in results if f != c]
    assert not differ, differ[:3]
    # The corpus reaches every outcome: code printed, commands run, usage errors, run-time failures.
    statuses = {c[0] for _, _, _, c in results}
    assert {0, 1, 2, 127} <= statuses, statuses
    ran = [json.loads(c[1]) for argv, _, _, c in results if c[0] == 0 and c[1].startswith(b"{")]
    assert ran and any(r["env"].get("HF_HUB_CACHE") for r in ran)


# ---- the subset is answered without click ----

NO_CLICK = (
    "import sys\n"
    "sys.modules['click'] = None  # any import of click fails\n"
    "sys.argv = ['hfenv'] + sys.argv[1:]\n"
    "from hfenv.fast import main\n"
    "main()\n"
)


@pytest.mark.parametrize("argv", [
    ["shell", "--shell", "bash", "--endpoint", "hf-mirror"],
    ["shell", "--endpoint=hf", "--shell=zsh"],
    ["shell", "--shell", "fish"],  # the saved choice
    ["shell", "--shell", "dash", "--endpoint", "mine", "--cache-dir", "缓存 目录"],
    ["shell", "--shell", "tcsh", "--unset"],
    ["shell", "--shell", "pwsh", "--endpoint", "https://example.org/hub"],
    ["run", "--endpoint", "hf-mirror", "--", "@CAPTURE", "--endpoint", "x"],
    ["run", "--", "@CAPTURE"],
])
def test_the_listed_subset_is_answered_without_click(tmp_path, argv):
    capture = tmp_path / "capture.py"
    capture.write_text(CAPTURE)
    env = scenario_home(tmp_path, "choice")
    argv = [a for part in ([sys.executable, str(capture)] if a == "@CAPTURE" else [a] for a in argv) for a in part]
    done = subprocess.run([sys.executable, "-c", NO_CLICK, *argv], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)
    expected = subprocess.run([sys.executable, "-m", "hfenv", *argv], capture_output=True, text=True,
                              env={**env, "HFENV_NO_FAST_PATH": "1"}, cwd=tmp_path, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (expected.returncode, expected.stdout, expected.stderr)
    assert done.returncode == 0 and done.stdout


@pytest.mark.parametrize("argv", [["shell", "--shell", "bash", "--endpoint", "hf-mirror"],
                                  ["run", "--endpoint", "hf-mirror", "--", "true"]])
@pytest.mark.parametrize("entry", ["python -m", "console script"])
def test_both_entry_points_take_the_fast_path_and_import_little(tmp_path, argv, entry):
    """No click, no network library, no file-writing code: what runs in startup files stays light."""
    heavy = ("click", "requests", "huggingface_hub", "urllib3", "httpx", "shellingham", "json", "tempfile",
             "hfenv.cli", "hfenv.commands", "hfenv.probe", "hfenv.doctor", "hfenv.persist", "hfenv.writers",
             "hfenv.startup", "hfenv.detect", "subprocess", "dataclasses", "inspect", "typing")
    start = "import runpy; runpy.run_module('hfenv', run_name='__main__')" if entry == "python -m" else \
        "from hfenv.fast import main; main()"
    code = (
        "import os, sys\n"
        "before = set(sys.modules)\n"
        "def report(*_):\n"
        f"    heavy = {heavy!r}\n"
        "    loaded = sorted(m for m in set(sys.modules) - before if m in heavy or m.split('.')[0] in heavy)\n"
        "    print('HEAVY', loaded, file=sys.stderr)\n"
        "    os._exit(0)\n"
        "os.execvpe = report\n"
        "os._exit = lambda status: report()\n"
        f"sys.argv = ['hfenv', *{argv!r}]\n"
        f"{start}\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert "HEAVY []" in done.stderr, done.stderr


def test_the_console_script_is_the_fast_entry():
    text = (ROOT / "setup.cfg").read_text()
    assert "hfenv = hfenv.fast:main" in text
    assert "from .fast import main" in (ROOT / "hfenv" / "__main__.py").read_text()


# ---- one declaration of the options ----


@pytest.mark.parametrize("command, declared", [(shell_command_click, options.SHELL_OPTIONS),
                                               (run_command_click, options.RUN_OPTIONS)])
def test_click_options_are_generated_from_the_declaration(command, declared):
    params = [p for p in command.params if isinstance(p, click.Option)]
    assert [(p.opts, p.name, p.is_flag, p.metavar) for p in params] == \
        [([o.flag], o.dest, o.is_flag, o.metavar) for o in declared]


def test_parse_accepts_only_the_listed_subset():
    assert fast.parse(["shell", "--shell", "bash", "--endpoint=hf"]) == \
        ("shell", {"shell_name": "bash", "endpoint": "hf", "cache_dir": None, "unset": False}, [])
    assert fast.parse(["run", "--cache-dir", "/c", "--", "x", "--endpoint", "y"]) == \
        ("run", {"endpoint": None, "cache_dir": "/c"}, ["x", "--endpoint", "y"])
    for argv in (["shell", "--shell", "a", "--shell", "b"], ["shell", "--shell", "-x"], ["shell", "--shell"],
                 ["shell", "--unset=yes"], ["shell", "--help"], ["shell", "x"], ["run", "--endpoint", "hf"],
                 ["run", "--endpoint", "hf", "--"], ["run", "x"], ["shell", "--profile", "p"], ["shelll"], []):
        assert fast.parse(argv) is None, argv


# ---- the config directory without click ----


@pytest.mark.parametrize("environ", [{}, {"XDG_CONFIG_HOME": "/x/y"}, {"XDG_CONFIG_HOME": ""},
                                     {"XDG_CONFIG_HOME": "rel"}, {"APPDATA": "C:\\Users\\u\\AppData\\Roaming"}])
def test_app_dir_is_clicks(monkeypatch, environ):
    for key in ("XDG_CONFIG_HOME", "APPDATA"):
        monkeypatch.delenv(key, raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    assert fast.app_dir() == click.get_app_dir("hfenv")
    import click.utils as utils

    for platform in ("linux", "darwin"):
        monkeypatch.setattr(sys, "platform", platform)
        monkeypatch.setattr(utils, "WIN", False)
        assert fast.app_dir(platform=platform, windows=False) == utils.get_app_dir("hfenv")
    monkeypatch.setattr(utils, "WIN", True)
    assert fast.app_dir(windows=True) == utils.get_app_dir("hfenv")


def test_a_profile_anywhere_hands_over_to_click(tmp_path, monkeypatch):
    assert not fast.profile_may_apply({"XDG_CONFIG_HOME": str(tmp_path)}) or os.path.lexists(fast.SYSTEM_PROFILE)
    assert fast.profile_may_apply({"HFENV_PROFILE": ""})
    (tmp_path / "hfenv").mkdir()
    (tmp_path / "hfenv" / "profile.toml").symlink_to(tmp_path / "missing")
    assert fast.profile_may_apply({"XDG_CONFIG_HOME": str(tmp_path)})
    assert fast.click_needed({"_HFENV_COMPLETE": "bash_source"})


# ---- hfenv/record.py: the frozen value class of the modules on the fast path ----


def test_record_behaves_like_a_frozen_dataclass():
    import pickle

    from hfenv.endpoints import Endpoint
    from hfenv.shells import Platform

    a = Endpoint("hf", "https://huggingface.co")
    assert a == Endpoint(name="hf", url="https://huggingface.co") != Endpoint("hf", "https://x")
    assert hash(a) == hash(Endpoint("hf", "https://huggingface.co")) and repr(a) == \
        "Endpoint(name='hf', url='https://huggingface.co')"
    assert pickle.loads(pickle.dumps(a)) == a
    with pytest.raises(AttributeError):
        a.url = "https://x"
    with pytest.raises(TypeError):
        Endpoint("hf")
    with pytest.raises(TypeError):
        Endpoint("hf", "u", name="x")
    p, q = Platform("linux", Path("/h")), Platform("linux", Path("/h"))
    assert p.env == {} and p.env is not q.env and p.git_bash is False and p == q
