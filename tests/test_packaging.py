"""templates/ (and doctor's programs) are found after a wheel install and after an editable install.

Both installs go into a fresh venv that borrows the *test environment's*
site-packages for the dependencies (click, setuptools, ...), so nothing is
fetched from any index. Not `--system-site-packages`: that borrows the base
interpreter's packages, which a fresh venv made from a bare system Python
does not have (the README promises that a fresh venv passes).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from hfenv import shells

from conftest import ROOT

SOURCES = ["hfenv", "templates", "setup.py", "setup.cfg", "pyproject.toml", "README.md", "MANIFEST.in"]
# Every shell's template, rendered by the installed copy: one JSON line after templates_dir().
PAIRS = "r.assignments('https://x.example', '/srv/hf cache')"
PROBE = (
    "import json, hfenv.render as r, hfenv.cli; from hfenv import shells; print(r.templates_dir()); "
    f"print(json.dumps({{n: r.render_shell_code(s, {PAIRS}) for n, s in shells.SHELLS.items()}}))"
)


def renderings_here() -> dict[str, str]:
    """What the source tree renders for every shell: the installed copy must print the same."""
    from hfenv import render

    return {name: render.render_shell_code(shell, render.assignments("https://x.example", "/srv/hf cache"))
            for name, shell in shells.SHELLS.items()}


def copy_source(dest: Path) -> Path:
    dest.mkdir()
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def borrowed_paths() -> list[str]:
    """The running test environment's own site-packages (never the base interpreter's)."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def make_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    python = path / "bin" / "python"
    purelib = subprocess.run([str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # Plain path lines: appended after the venv's own site-packages, and the test env's own
    # .pth files (its editable hfenv among them) are not run, so only what is installed here is hfenv.
    (Path(purelib) / "_borrowed_test_env.pth").write_text("\n".join(borrowed_paths()) + "\n")
    return python


def pip(python: Path, *args: str, cwd: Path) -> None:
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run([str(python), "-m", "pip", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def run_installed(python: Path, cwd: Path) -> tuple[str, dict[str, str]]:
    # -I: ignore PYTHONPATH and the current directory, so only the installed copy can answer.
    done = subprocess.run([str(python), "-I", "-c", PROBE], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    where, rendered = done.stdout.splitlines()
    return where, json.loads(rendered)


def run_code(python: Path, code: str, cwd: Path) -> str:
    done = subprocess.run([str(python), "-I", "-c", code], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_wheel_install_finds_templates(tmp_path):
    src = copy_source(tmp_path / "src")
    python = make_venv(tmp_path / "venv")
    pip(python, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src), cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("hfenv-*.whl"))
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert {f"hfenv/templates/{entry.template}" for entry in shells.SHELLS.values()} <= shipped
    pip(python, "install", "--no-deps", "--ignore-installed", str(wheel), cwd=tmp_path)
    shutil.rmtree(src)  # the installed copy must not lean on the source tree
    where, rendered = run_installed(python, tmp_path)
    assert Path(where) == Path(where).resolve()
    assert str(tmp_path / "venv") in where and where.endswith(os.path.join("hfenv", "templates"))
    assert rendered == renderings_here()  # every shell's template, from the wheel
    assert rendered["fish"].startswith("set -gx HF_ENDPOINT 'https://x.example'\n")
    console = tmp_path / "venv" / "bin" / "hfenv"
    done = subprocess.run([str(console), "shell", "--shell", "bash", "--endpoint", "hf-mirror"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.stdout == "export HF_ENDPOINT='https://hf-mirror.com';\n", done.stderr
    # doctor's package and the programs it runs in a fresh interpreter ship in the wheel.
    done = subprocess.run([str(console), "doctor", "--offline", "--json", "--shell", "bash",
                           "--python", str(python)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert "error" not in json.loads(done.stdout)["facts"]["client"]
    assert "hf_hub_download" in run_code(python, "from hfenv.doctor.client import script; "
                                                 "print(script('download_script.py'))", tmp_path)
    # The Chinese catalog is compiled in the build: the wheel ships the .mo (not the .po), and it speaks.
    assert "hfenv/locale/zh_CN/LC_MESSAGES/hfenv.mo" in shipped
    assert "hfenv/locale/zh_CN/LC_MESSAGES/hfenv.po" not in shipped
    assert "hfenv/locale/zh_CN/LC_MESSAGES/click.mo" in shipped  # click's own words (hfenv/clicktext.py)
    assert_speaks_chinese(console, tmp_path)

    # The onboarding page's words (hfenv/onboard_text.py) ship too, in both languages.
    for lang, word in (("en", "Endpoints"), ("zh-CN", "镜像")):
        done = subprocess.run([str(console), "onboard", "--no-profile", "--lang", lang], capture_output=True,
                              cwd=tmp_path, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
        assert done.returncode == 0 and word in done.stdout.decode("utf-8"), done.stderr


def assert_speaks_chinese(console: Path, cwd: Path) -> None:
    env = {**os.environ, "LANG": "zh_CN.UTF-8", "PYTHONIOENCODING": "utf-8"}
    env.pop("LC_ALL", None), env.pop("LC_MESSAGES", None), env.pop("HFENV_LANG", None)
    done = subprocess.run([str(console), "endpoints", "add", "lab", "notaurl"], capture_output=True,
                          text=True, encoding="utf-8", cwd=cwd, env=env)
    assert done.returncode == 2 and "既不是内置端点名，也不是 URL" in done.stderr, done.stderr
    # click's own words come from the shipped (or in-memory compiled) click catalog.
    done = subprocess.run([str(console), "shell", "--bogus"], capture_output=True, text=True, encoding="utf-8",
                          cwd=cwd, env=env)
    assert done.returncode == 2 and "用法: hfenv shell" in done.stderr, done.stderr
    assert "错误：没有 '--bogus' 这个选项。" in done.stderr


def test_editable_install_finds_templates(tmp_path):
    src = copy_source(tmp_path / "src")
    python = make_venv(tmp_path / "venv")
    pip(python, "install", "--no-deps", "--ignore-installed", "--no-build-isolation", "-e", str(src), cwd=tmp_path)
    where, rendered = run_installed(python, tmp_path)
    assert Path(where) == src / "templates"
    assert rendered == renderings_here()
    # No .mo in a source tree: the .po is compiled in memory on first use.
    assert not list((src / "hfenv" / "locale").rglob("*.mo"))
    assert_speaks_chinese(tmp_path / "venv" / "bin" / "hfenv", tmp_path)
