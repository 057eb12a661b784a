"""`hfenv onboard` under a Chinese locale, as a user runs it: a subprocess with LANG=zh_CN.UTF-8.

The page follows the locale (HFENV_LANG and --lang override it), and so do onboard's own messages;
the page's prose outside code blocks holds no English sentence (tests/i18n_extract.py)."""

from __future__ import annotations

import re
import subprocess

import pytest
from i18n_extract import english_prose

from conftest import hfenv_process, subprocess_env

pytestmark = pytest.mark.slow

LAB = """\
name = "视觉实验室"
contact = "hf-admin@lab.example.edu"
[endpoints]
order = ["lab", "hf-mirror"]
lab = "https://hf.lab.example.edu"
[cache]
hub = "/data/hf-cache"
shared = true
[token]
third_party = "never"
[git]
route = true
[fallback]
modelscope = true
"""
FENCED = re.compile(r"^```.*?^```$", re.S | re.M)


def hfenv(*args, home, **env_extra) -> subprocess.CompletedProcess:
    return hfenv_process(*args, env=subprocess_env(**{"HOME": str(home), "LANG": "zh_CN.UTF-8", **env_extra}))


@pytest.mark.parametrize("with_profile", [True, False])
def test_the_page_follows_the_chinese_locale(with_profile, isolated_home, tmp_path):
    profile = tmp_path / "lab.toml"
    profile.write_text(LAB, encoding="utf-8")
    args = ("--profile", str(profile)) if with_profile else ("--no-profile",)
    done = hfenv("onboard", *args, home=isolated_home)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    page = done.stdout
    assert english_prose(FENCED.sub("", page)) == []
    for phrase in ("永久配置", "临时配置（只对当前终端有效）", "访问令牌", "环境变量", "常见问题"):
        assert phrase in page, phrase
    if with_profile:
        assert page.startswith("# 视觉实验室 Hugging Face 使用指南") and "实验室规定：令牌不会发给镜像站" in page
        assert "这个缓存目录是大家共用的" in page and "git clone https://huggingface.co/" in page
    else:
        assert "没有读到实验室配置文件" in page and "实验室规定" not in page
    assert hfenv("onboard", *args, "--lang", "en", home=isolated_home).stdout.startswith("# Hugging Face ")
    assert "## Endpoints" in hfenv("onboard", *args, home=isolated_home, HFENV_LANG="en").stdout


def test_onboards_own_refusals_in_chinese(isolated_home, tmp_path):
    for args, phrase in ((("--os", "beos"), "不认识 beos"), (("--os", ","), "空列表"),
                         (("-o", str(tmp_path)), "不是普通文件")):
        done = hfenv("onboard", "--no-profile", *args, home=isolated_home)
        assert done.returncode == 2 and done.stdout == "", done
        assert phrase in done.stderr and english_prose(done.stderr, allowed=("linux,macos,windows",)) == [], \
            done.stderr
    english = hfenv("onboard", "--no-profile", "--os", "beos", home=isolated_home, HFENV_LANG="en")
    assert english.returncode == 2 and "--os: unknown beos; choose from linux,macos,windows" in english.stderr
