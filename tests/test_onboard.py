"""`hfenv onboard`: the page's content, its determinism, and every block of it run or checked.

Fast tests build pages in-process. The slow ones (`@pytest.mark.slow`) run each bash, zsh and
fish block of a generated page in that real shell, in the sandbox HOME (conftest), against a
loopback Hub that a test profile names as the lab's endpoint, with proxies pinned to a dead
loopback port. Blocks that need the real internet are checked for shape only, never run:
installing (`pipx install`, `pip install`, `python3 -m venv` + pip), `hf auth login`,
`modelscope download`, `git clone` of huggingface.co, and the dataset download (the loopback
Hub serves no datasets).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hfenv import onboard, onboard_text, render, shells
from hfenv.profile import parse_profile

from conftest import ROOT, hfenv_cmd, need_program, run
from hubserver import HUB_FILES, dead_url

LAB = """\
name = "Vision Lab"
contact = "hf-admin@lab.example.edu"
[endpoints]
order = ["lab", "hf-mirror", "hf"]
lab = "https://hf.lab.example.edu"
choose = "first"
[cache]
hub = "/data/hf-cache"
[token]
third_party = "never"
[git]
route = true
[fallback]
modelscope = true
"""
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)
LANGS = ("en", "zh-CN")
OS_CHOICES = ("linux", "macos", "windows", "linux,macos,windows")
# Blocks that would need the real internet: checked for shape, not run.
NEEDS_INTERNET = ("pipx install", "pip install", "python3 -m venv", "hf auth login", "modelscope download",
                  "git clone", "--repo-type dataset")


def blocks(page: str) -> list[tuple[str, str]]:
    return [(label, body) for label, body in FENCE.findall(page)]


def lab_profile():
    return parse_profile(LAB, "lab.toml")


# ---- content (fast) -----------------------------------------------------------------


def test_both_languages_have_the_same_keys_and_every_troubleshooting_code():
    assert set(onboard_text.EN) == set(onboard_text.ZH)
    assert set(onboard_text.EN["fix"]) == set(onboard_text.ZH["fix"]) == set(onboard.TROUBLE)


def emitted_codes() -> set[str]:
    """Every "section.code" hfenv/doctor's modules emit with a literal code (ok/info/warn/error/add)."""
    codes = set()
    for module in sorted((ROOT / "hfenv" / "doctor").glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        section = next((node.value.args[0].value for node in ast.walk(tree)
                        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                        and any(getattr(t, "id", None) == "SECTION" for t in node.targets)), None)
        if section is None:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            index = {"ok": 0, "info": 0, "warn": 0, "error": 0, "add": 1}.get(node.func.attr)
            if index is None or len(node.args) <= index:
                continue
            arg = node.args[index]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                codes.add(f"{section}.{arg.value}")
    return codes


def test_troubleshooting_codes_are_codes_doctor_emits():
    emitted = emitted_codes()
    assert "layers.process-only" in emitted and "endpoint.nothing-usable" in emitted  # the scan works
    stale = [code for code in onboard.TROUBLE if code not in emitted]
    assert not stale, f"onboard.TROUBLE names codes doctor no longer emits: {stale}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("with_profile", [True, False])
def test_page_is_deterministic_and_free_of_machine_paths(lang, with_profile, isolated_home, tmp_path):
    prof = lab_profile() if with_profile else None
    page = onboard.build_page(prof, lang)
    assert page == onboard.build_page(prof, lang)
    for machine in (str(isolated_home), str(tmp_path), str(Path.home()), os.getcwd()):
        assert machine not in page
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", page)
    assert page.endswith("\n") and "\n\n\n" not in page


def test_page_follows_the_profile():
    page = onboard.build_page(lab_profile(), "en")
    assert "Vision Lab" in page and "hf-admin@lab.example.edu" in page
    rows = re.findall(r"^\| (\d) \| `([\w-]+)` \| <(\S+)> \|$", page, re.M)
    assert rows == [("1", "lab", "https://hf.lab.example.edu"), ("2", "hf-mirror", "https://hf-mirror.com"),
                    ("3", "hf", "https://huggingface.co")]
    assert "first usable one" in page and "/data/hf-cache" in page
    assert "HF_HUB_DISABLE_IMPLICIT_TOKEN=1" in page  # token policy never
    assert "git clone https://huggingface.co/" in page
    plain = onboard.build_page(None, "en")
    assert "git clone https://huggingface.co/" not in plain and "fastest" in plain and "hf-mirror.com" in plain
    assert "HF_HUB_CACHE=" not in plain


@pytest.mark.parametrize("lang", LANGS)
def test_without_a_profile_the_page_speaks_of_defaults_not_of_a_lab(lang):
    """No profile: hfenv's defaults, said to be defaults; no lab policy, lab cache or lab rows."""
    page = onboard.build_page(None, lang)
    t = onboard_text.TEXT[lang]
    assert t["no_profile"] in page and t["token_default"] in page and t["ask_default"] in page
    for lab_words in ("Lab policy", "lab's profile", "实验室规定", "实验室的配置"):
        assert lab_words not in page, lab_words
    assert not re.search(r"^\| `lab\.", page, re.M)  # the lab.* rows need a profile
    with_lab = onboard.build_page(lab_profile(), lang)
    assert t["no_profile"] not in with_lab and t["token_never"] in with_lab


def test_troubleshooting_rows_name_what_doctor_checks():
    fixes = onboard_text.EN["fix"]
    # doctor's endpoint-overridden finding is about HUGGINGFACE_CO_STAGING, not code passing endpoint=.
    assert "HUGGINGFACE_CO_STAGING" in fixes["client.endpoint-overridden"]
    assert "HUGGINGFACE_CO_STAGING" in onboard_text.ZH["fix"]["client.endpoint-overridden"]
    assert "socksio" in fixes["network.socks"]  # what doctor's fix installs


@pytest.mark.parametrize("written", ["~/hf-cache", "$HOME/hf-cache", "${HOME}/hf-cache", "%USERPROFILE%\\hf-cache",
                                     "$env:USERPROFILE\\hf-cache"])
def test_a_home_relative_lab_cache_is_refused_never_expanded_into_the_page(written, isolated_home, tmp_path):
    """profile.py takes only absolute cache paths (every member and /etc/environment read it as is), so
    a `~` or $HOME cache stops `hfenv onboard` with the profile's message (exit 2), nothing written,
    and the generating machine's home appears nowhere. If the profile ever accepts such a path, this
    test fails: the page must then render it per shell (`~/` / `$HOME` / `%USERPROFILE%`), not expand it."""
    prof = tmp_path / "lab.toml"
    prof.write_text(f"name = 'Home Lab'\n[cache]\nhub = '{written}'\n", encoding="utf-8")
    out = tmp_path / "ONBOARDING.md"
    result = run("onboard", "--profile", str(prof), "-o", str(out))
    assert result.exit_code == 2 and "cache.hub" in result.output and "relative" in result.output
    assert not out.exists() and str(isolated_home) not in result.output


def test_the_lab_cache_is_shown_as_written_whatever_the_generating_machine(monkeypatch, tmp_path):
    """The page's cache path is the profile's text, not the generating machine's reading of it: render's
    absolute_path() joins a path it does not take as absolute to the working directory (Windows with
    Python 3.13 reads /data/hf-cache so), and expands `~`; neither may reach a committed page."""
    import ntpath
    from types import SimpleNamespace

    from hfenv import render as render_module

    clean = onboard.build_page(lab_profile(), "en")
    # render as it reads paths on Windows with Python 3.13 (ntpath.isabs("/data") is False there).
    windows = SimpleNamespace(getcwd=lambda: "C:\\generating\\machine", path=SimpleNamespace(
        expanduser=lambda path: path.replace("~", "C:\\Users\\admin", 1), isabs=lambda path: False,
        join=ntpath.join))
    monkeypatch.setattr(render_module, "os", windows)
    assert render_module.absolute_path("/data/hf-cache") == "C:/data/hf-cache"  # what `hfenv shell` says there
    page = onboard.build_page(lab_profile(), "en")
    assert "C:/data" not in page and page == clean
    assert "export HF_HUB_CACHE='/data/hf-cache';" in page


@pytest.mark.slow
def test_the_page_is_the_same_from_any_home_and_directory(tmp_path):
    prof = tmp_path / "lab.toml"
    prof.write_text(LAB, encoding="utf-8")
    pages = []
    for who in ("alice", "bob"):
        home, cwd = tmp_path / who / "home", tmp_path / who / "work dir"
        for directory in (home, cwd):
            directory.mkdir(parents=True)
        env = {**os.environ, "HOME": str(home), "USERPROFILE": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
               "XDG_CACHE_HOME": str(home / ".cache"), "PYTHONPATH": str(ROOT)}
        done = subprocess.run([*hfenv_cmd(), "onboard", "--profile", str(prof), "--lang", "zh-CN"], env=env, cwd=cwd,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert str(home) not in done.stdout and str(cwd) not in done.stdout
        pages.append(done.stdout)
    assert pages[0] == pages[1]


def test_profile_url_is_shown_for_laptops():
    url = "https://lab.example.edu/hfenv/profile.toml"
    page = onboard.build_page(lab_profile(), "en", profile_url=url)
    assert f"hfenv setup --persist --profile {url}" in page
    assert "--profile https" not in onboard.build_page(lab_profile(), "en")


def test_chinese_page_uses_the_words_people_search_for():
    page = onboard.build_page(lab_profile(), "zh-CN")
    for word in ("镜像", "令牌", "环境变量", "永久", "临时", "终端", "下载", "魔搭"):
        assert word in page, word
    # No English prose left over (commands and code are fine): every heading is Chinese.
    for heading in re.findall(r"^#+ (.*)$", page, re.M):
        assert re.search(r"[\u4e00-\u9fff]", heading) or heading in ("Linux", "macOS", "Windows"), heading


@pytest.mark.parametrize("oses", OS_CHOICES)
def test_os_choice_picks_the_shells(oses):
    page = onboard.build_page(lab_profile(), "en", onboard.parse_oses(oses))
    labels = {label for label, _ in blocks(page)}
    assert ("bat" in labels) == ("windows" in oses)
    assert ("fish" in labels) == (oses != "windows")
    assert ("zsh" in labels) == ("macos" in oses)
    assert ("bash" in labels) == (oses != "windows")


def test_default_language_from_the_environment():
    assert onboard.default_lang({}) == "en"
    assert onboard.default_lang({"LANG": "zh_CN.UTF-8"}) == "zh-CN"
    assert onboard.default_lang({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert onboard.default_lang({"LC_MESSAGES": "zh_TW.UTF-8"}) == "zh-CN"
    assert onboard.default_lang({"HFENV_LANG": "en", "LANG": "zh_CN.UTF-8"}) == "en"
    assert onboard.default_lang({"HFENV_LANG": "zh-CN"}) == "zh-CN"


def test_python_snippets_name_the_repo_and_the_endpoint():
    page = onboard.build_page(lab_profile(), "en")
    python = [body for label, body in blocks(page) if label == "python"]
    transformers = next(b for b in python if "transformers" in b)
    datasets = next(b for b in python if "datasets" in b)
    assert f"from_pretrained({onboard.MODEL!r})" in transformers
    assert f"load_dataset({onboard.DATASET!r}" in datasets
    after = page.split(datasets, 1)[1].split("\n## ", 1)[0]
    assert "https://hf.lab.example.edu" in after and "HF_HUB_CACHE" in after


# ---- the command (fast) ----------------------------------------------------------------


def test_cli_prints_and_writes_the_same_page(tmp_path):
    prof = tmp_path / "lab.toml"
    prof.write_text(LAB, encoding="utf-8")
    shown = run("onboard", "--profile", str(prof), "--lang", "zh-CN", "--os", "linux,windows")
    assert shown.exit_code == 0, shown.output
    assert shown.output == onboard.build_page(lab_profile(), "zh-CN", ("linux", "windows"))
    out = tmp_path / "ONBOARDING.md"
    written = run("onboard", "--profile", str(prof), "--lang", "zh-CN", "--os", "windows,linux", "-o", str(out))
    assert written.exit_code == 0 and written.output == ""
    assert out.read_text(encoding="utf-8") == shown.output


def test_cli_language_from_lang(tmp_path):
    assert "镜像" in run("onboard", "--no-profile", env={"LANG": "zh_CN.UTF-8", "LC_ALL": "", "HFENV_LANG": ""}).output
    assert "Endpoints" in run("onboard", "--no-profile", env={"LANG": "C", "LC_ALL": "", "HFENV_LANG": ""}).output


def test_cli_refuses_bad_input_and_non_regular_targets(tmp_path):
    assert run("onboard", "--os", "beos").exit_code == 2
    assert run("onboard", "--lang", "fr").exit_code == 2
    target = tmp_path / "real.md"
    target.write_text("keep")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    result = run("onboard", "--no-profile", "-o", str(link))
    assert result.exit_code == 2 and "not a regular file" in result.output
    assert target.read_text() == "keep" and link.is_symlink()
    assert run("onboard", "--no-profile", "-o", str(tmp_path)).exit_code == 2


# ---- every block, run or checked (slow) --------------------------------------------------


def loopback_profile(tmp_path: Path, hub_url: str, with_cache: bool, git_route: bool = False) -> Path:
    text = (f'name = "Loop Lab"\ncontact = "admin@lab.example.edu"\n[endpoints]\norder = ["lab"]\n'
            f'lab = "{hub_url}"\nchoose = "first"\n[token]\nthird_party = "never"\n')
    if with_cache:
        text += f'[cache]\nhub = "{tmp_path / "lab cache"}"\n'
    if git_route:
        text += "[git]\nroute = true\n"
    path = tmp_path / "lab.toml"
    path.write_text(text, encoding="utf-8")
    return path


def sandbox_env(home: Path, profile: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    proxy = dead_url()
    env.update({"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy, "https_proxy": proxy,
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "HOME": str(home),
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
                "HF_HUB_DISABLE_TELEMETRY": "1", "PYTHONPATH": str(ROOT)})
    if profile is not None:
        env["HFENV_PROFILE"] = str(profile)
    return env


SHELL_PROGRAMS = {"bash": ["bash", "--norc", "--noprofile", "-e", "-c"], "zsh": ["zsh", "-f", "-e", "-c"],
                  "fish": ["fish", "--no-config", "-c"]}


def run_block(shell: str, code: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    need_program(shell)
    return subprocess.run([*SHELL_PROGRAMS[shell], code], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def check_page(page: str, hub, tmp_path: Path, env: dict, expected_pairs) -> dict[str, int]:
    """Run or check every block; returns how many of each kind, so the caller sees nothing was skipped."""
    seen = {"ran": 0, "shape": 0, "windows": 0, "python": 0}
    temp_blocks: dict[str, str] = {}
    all_blocks = blocks(page)
    first_temp = [b for b in all_blocks if "HF_ENDPOINT" in b[1] and "hfenv" not in b[1]
                  and "huggingface.co" not in b[1]]
    for label, body in first_temp:
        temp_blocks.setdefault(label, body)
    for label, body in all_blocks:
        if label == "python":
            seen["python"] += 1
            continue
        if any(marker in body for marker in NEEDS_INTERNET):
            assert label in ("bash", "powershell")
            if "hf auth login" in body:
                assert "https://huggingface.co" in body  # logs in against the Hub itself, not the mirror
            seen["shape"] += 1
            continue
        if label in ("powershell", "bat"):
            if "HF_ENDPOINT" in body and "hfenv" not in body:
                shell = "powershell" if label == "powershell" else "cmd"
                assert body == render.render_shell_code(shells.get(shell), expected_pairs)
                cli = subprocess.run([*hfenv_cmd(), "shell", "--shell", shell, "--endpoint", hub.url], env=env,
                                     capture_output=True, text=True, timeout=60)
                assert cli.returncode == 0 and cli.stdout == body, cli.stderr
                seen["windows"] += 1
            else:
                shell = "powershell" if label == "powershell" else "cmd"
                if "USE_MODELSCOPE" in body:
                    assert body == render.render_shell_code(shells.get(shell), onboard.MODELSCOPE_SWITCHES)
                elif body.rstrip("\n") == onboard.EVAL[shell]:  # the form the README documents for that shell
                    readme = (ROOT / "README.md").read_text(encoding="utf-8").replace("\\|", "|")
                    assert f"`{onboard.EVAL[shell]}`" in readme
                else:
                    assert body.startswith(("hfenv ", "py -m", "$keep = ", "hf ", "git ")), body
                seen["shape"] += 1
            continue
        shell = label
        # A command after the user pasted this shell's "this shell only" lines (bash and zsh share them).
        prefix = temp_blocks.get(shell) or temp_blocks.get({"bash": "zsh", "zsh": "bash"}.get(shell, ""), "")
        code = body if body in temp_blocks.values() else f"{prefix}\n{body}"
        if body in temp_blocks.values():
            names = " ".join(f'{name} "${name}"' for name, _ in expected_pairs)
            code = f'{body}\nprintf "%s=%s\\n" {names}'
        done = run_block(shell, code, env, tmp_path)
        assert done.returncode == 0, (shell, body, done.stdout, done.stderr)
        if body in temp_blocks.values() and "USE_MODELSCOPE" not in body:
            assert done.stdout.splitlines() == [f"{name}={value}" for name, value in expected_pairs]
        if body.startswith("hfenv run"):
            assert f"endpoint={hub.url}" in done.stdout
        if body.startswith("hf download"):
            last = done.stdout.strip().splitlines()[-1].strip()
            path = Path(last.split("path:", 1)[1].strip() if last.startswith("path:") else last)
            assert path.read_bytes() == HUB_FILES[onboard.MODEL][onboard.MODEL_FILE]
        seen["ran"] += 1
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("oses", OS_CHOICES)
@pytest.mark.parametrize("with_cache", [True, False])
def test_every_block_runs_in_its_shell_against_a_loopback_hub(lang, oses, with_cache, serve, isolated_home,
                                                              tmp_path):
    hub = serve("hub")
    profile = loopback_profile(tmp_path, hub.url, with_cache=with_cache)
    env = sandbox_env(isolated_home, profile)
    os.environ.update({k: env[k] for k in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "HFENV_PROFILE")})
    try:
        loaded = onboard.candidates(parse_profile(profile.read_text(encoding="utf-8"), str(profile)))
        prof = parse_profile(profile.read_text(encoding="utf-8"), str(profile))
        page = onboard.build_page(prof, lang, onboard.parse_oses(oses))
        expected = onboard.shell_pairs(prof, loaded[0])
        (tmp_path / "train.py").write_text("import os\nprint('endpoint=' + os.environ['HF_ENDPOINT'])\n")
        seen = check_page(page, hub, tmp_path, env, expected)
    finally:
        for k in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "HFENV_PROFILE"):
            os.environ.pop(k, None)
    assert seen["shape"] >= 3 and seen["python"] == 3
    assert seen["ran"] >= (0 if oses == "windows" else 5)
    assert seen["windows"] == (2 if "windows" in oses else 0)


@pytest.mark.slow
def test_the_huggingface_hub_snippet_downloads_from_the_loopback_hub(serve, isolated_home, tmp_path):
    pytest.importorskip("huggingface_hub")
    hub = serve("hub")
    profile = loopback_profile(tmp_path, hub.url, with_cache=True)
    prof = parse_profile(profile.read_text(encoding="utf-8"), str(profile))
    page = onboard.build_page(prof, "en")
    snippet = next(body for label, body in blocks(page) if label == "python" and "huggingface_hub" in body)
    env = sandbox_env(isolated_home, profile)
    env.update(dict(onboard.shell_pairs(prof, onboard.candidates(prof)[0])))
    done = subprocess.run([sys.executable, "-c", snippet], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path.read_bytes() == HUB_FILES[onboard.MODEL][onboard.MODEL_FILE]
    assert str(tmp_path / "lab cache") in str(path)  # through the lab's cache (HF_HUB_CACHE)
    assert any(onboard.MODEL in seen.path for seen in hub.requests)


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_without_a_profile_the_blocks_are_hfenv_shells_own(lang, isolated_home, tmp_path):
    """The page of a machine without a profile: hf-mirror first; nothing contacts it (variables only)."""
    page = onboard.build_page(None, lang)
    env = sandbox_env(isolated_home, None)
    expected = [("HF_ENDPOINT", "https://hf-mirror.com")]
    checked = set()
    for label, body in blocks(page):
        if "HF_ENDPOINT" not in body or "hfenv" in body or "huggingface.co" in body:
            continue
        if label in ("powershell", "bat"):
            shell = "powershell" if label == "powershell" else "cmd"
            cli = subprocess.run([*hfenv_cmd(), "shell", "--no-profile", "--shell", shell, "--endpoint", "hf-mirror"],
                                 env=env, capture_output=True, text=True, timeout=60)
            assert cli.returncode == 0 and cli.stdout == body, cli.stderr
        else:
            done = run_block(label, f'{body}\nprintf "%s=%s\\n" HF_ENDPOINT "$HF_ENDPOINT"', env, tmp_path)
            assert done.returncode == 0 and done.stdout.splitlines() == [f"{n}={v}" for n, v in expected]
        checked.add(label)
    assert checked == {"bash", "zsh", "fish", "powershell", "bat"}


def test_cli_url_profile_puts_its_url_in_the_laptop_command(serve, tls_ca, ca_bundle, monkeypatch):
    from hubserver import server_tls

    monkeypatch.setenv("SSL_CERT_FILE", str(ca_bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_bundle))
    hub = serve("hub", tls=server_tls(tls_ca), files={**HUB_FILES, "lab/p": {"p.toml": LAB.encode()}})
    url = f"{hub.url}/lab/p/resolve/main/p.toml"
    result = run("onboard", "--profile", url, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert f"hfenv setup --persist --profile {url}" in result.output and "Vision Lab" in result.output


# ---- the git clone block, run for real against the lab's endpoint (slow) ----------------------

MODEL_WEIGHTS = b"\x00safetensors weights that only git-lfs brings\x01" * 64


@pytest.mark.slow
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_git_clone_block_clones_through_the_labs_endpoint(shell, isolated_home, tmp_path):
    """The page's own blocks, in order: `hfenv setup --persist` (which writes the lab's git rule), then
    `git lfs install` + `git clone https://huggingface.co/...` in `shell`. Real git and git-lfs, git's
    global config in the sandbox (GIT_CONFIG_GLOBAL), a recording proxy for everything not loopback:
    the clone and its LFS weights come from the lab's endpoint, and huggingface.co is never asked."""
    from gitserver import HubGitServer
    from hubserver import ForwardProxy

    for program in ("git", "git-lfs", shell):
        need_program(program)
    config = HUB_FILES[onboard.MODEL]
    with HubGitServer(tmp_path / "lab-root", onboard.MODEL, config, {"model.safetensors": MODEL_WEIGHTS}) as lab, \
            ForwardProxy() as proxy:
        profile = loopback_profile(tmp_path, lab.url, with_cache=False, git_route=True)
        page = onboard.build_page(parse_profile(profile.read_text(encoding="utf-8"), str(profile)), "en",
                                  ("linux", "macos"))
        env = sandbox_env(isolated_home, profile)
        gitconfig = isolated_home / "sandbox.gitconfig"
        env.update({"HTTP_PROXY": proxy.url, "HTTPS_PROXY": proxy.url, "http_proxy": proxy.url,
                    "https_proxy": proxy.url, "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1",
                    "GIT_TERMINAL_PROMPT": "0", "GIT_LFS_SKIP_PUSH": "1"})
        bodies = [body for _, body in blocks(page)]
        setup = next(body for body in bodies if body.strip() == "hfenv setup --persist")
        clone = next(body for body in bodies if "git clone" in body)
        assert clone == f"git lfs install\ngit clone https://huggingface.co/{onboard.MODEL}\n"

        # The watch works: before setup, git goes to huggingface.co (through the proxy, which refuses).
        work = tmp_path / "work"
        work.mkdir()
        before = run_block("bash", f"git ls-remote https://huggingface.co/{onboard.MODEL}", env, work)
        assert before.returncode != 0 and any("huggingface.co" in seen.path for seen in proxy.requests)
        escaped = len(proxy.requests)

        done = run_block("bash", setup, env, work)
        assert done.returncode == 0, done.stderr
        rule = subprocess.run(["git", "config", "--global", "--get", f"url.{lab.url}/.insteadof"], env=env,
                              capture_output=True, text=True, timeout=30)
        assert rule.stdout == "https://huggingface.co/\n", (rule.stderr, gitconfig.read_text())

        done = run_block(shell, clone, env, work)
        assert done.returncode == 0, (done.stdout, done.stderr)
        cloned = work / onboard.MODEL.split("/")[1]
        assert (cloned / "config.json").read_bytes() == config["config.json"]
        assert (cloned / "model.safetensors").read_bytes() == MODEL_WEIGHTS  # the weights, not a pointer
        origin = subprocess.run(["git", "-C", str(cloned), "config", "remote.origin.url"], env=env,
                                capture_output=True, text=True, timeout=30)
        assert origin.stdout.strip() == f"https://huggingface.co/{onboard.MODEL}"  # as the page wrote it
    paths = [(seen.method, urlsplit(seen.path).path) for seen in lab.requests]
    assert ("GET", f"/{onboard.MODEL}/info/refs") in paths
    assert ("POST", f"/{onboard.MODEL}.git/info/lfs/objects/batch") in paths
    assert any(method == "GET" and path.startswith("/lfs-objects/") for method, path in paths)
    assert len(proxy.requests) == escaped  # nothing after setup left for huggingface.co (or anywhere else)


# ---- what `hfenv shell` (whose code renders the page's blocks) does with a home-relative cache ----


def test_hfenv_shell_expands_a_tilde_cache_on_the_machine_it_runs_on(isolated_home, tmp_path, monkeypatch):
    """`hfenv shell` runs where its output is eval'd, so expanding `~` there is right (the page, made on
    another machine, never gets such a path: the profile refuses it, see above)."""
    monkeypatch.chdir(tmp_path)
    result = run("shell", "--no-profile", "--shell", "bash", "--endpoint", "hf", "--cache-dir", "~/hf-cache")
    assert result.exit_code == 0
    assert f"export HF_HUB_CACHE='{isolated_home}/hf-cache';" in result.stdout


@pytest.mark.parametrize("written", ["$HOME/hf", "${HOME}/hf", "%USERPROFILE%/hf", "$env:USERPROFILE\\hf"])
def test_hfenv_shell_never_puts_an_unexpanded_home_under_the_working_directory(written, isolated_home, tmp_path,
                                                                                monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("shell", "--no-profile", "--shell", "bash", "--endpoint", "hf", "--cache-dir", written)
    assert str(tmp_path) not in result.stdout
    assert result.exit_code == 2 and result.stdout == "", result.stdout
    assert "starts with a variable nothing expanded" in result.stderr
