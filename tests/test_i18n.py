"""hfenv speaks Simplified Chinese: language choice, catalog completeness, the .po compiler, real commands."""

from __future__ import annotations

import gettext
import io
import json
import os
import subprocess
import sys

import pytest
from i18n_extract import CATALOG, messages

from hfenv import i18n

from conftest import hfenv_process, subprocess_env


@pytest.fixture(autouse=True)
def fresh_language():
    i18n.reset()
    yield
    i18n.reset()


# ---- catalog completeness ----

def test_every_message_has_a_chinese_translation():
    catalog = i18n.parse_po(CATALOG.read_text(encoding="utf-8"))
    missing = [f"{where}: {key!r}" for key, where in messages().items()
               if not (catalog.get(key) if not isinstance(key, tuple) else all(catalog.get(key) or [""]))]
    assert not missing, "messages without a zh_CN translation:\n" + "\n".join(missing)


def test_the_catalog_has_no_stale_entries():
    catalog = i18n.parse_po(CATALOG.read_text(encoding="utf-8"))
    stale = sorted(repr(k) for k in set(catalog) - set(messages()) - {""})
    assert not stale, "catalog entries no `_()` call uses any more:\n" + "\n".join(stale)


def test_translations_keep_their_placeholders():
    import string

    def fields(text):
        return sorted(f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None)

    for key, value in i18n.parse_po(CATALOG.read_text(encoding="utf-8")).items():
        if key and not isinstance(key, tuple):
            assert fields(value) == fields(key), key


# ---- the compiler ----

def test_compiled_catalog_reads_back_with_gettext():
    po = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        '# a comment\nmsgid "hello {name}"\nmsgstr "你好 {name}"\n\n'
        'msgid ""\n"two "\n"lines\\n"\nmsgstr "两行\\n"\n\n'
        '#, fuzzy\nmsgid "unsure"\nmsgstr "不确定"\n\n'
        'msgid "untranslated"\nmsgstr ""\n\n'
        'msgid "{n} file"\nmsgid_plural "{n} files"\nmsgstr[0] "{n} 个文件"\n'
    )
    catalog = gettext.GNUTranslations(io.BytesIO(i18n.compile_po(po)))
    assert catalog.gettext("hello {name}") == "你好 {name}"
    assert catalog.gettext("two lines\n") == "两行\n"
    assert catalog.gettext("unsure") == "unsure"  # fuzzy entries are not used
    assert catalog.gettext("untranslated") == "untranslated"
    assert catalog.ngettext("{n} file", "{n} files", 5) == "{n} 个文件"


def test_the_shipped_catalog_compiles():
    catalog = gettext.GNUTranslations(io.BytesIO(i18n.compile_po(CATALOG.read_text(encoding="utf-8"))))
    assert catalog.gettext("URL has no host") != "URL has no host"


# ---- choosing the language ----

@pytest.mark.parametrize("environ, expected", [
    ({}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh-CN"),
    ({"LANG": "zh_TW.UTF-8"}, "zh-CN"),
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh-CN"),
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C.UTF-8"}, "en"),
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": ""}, "zh-CN"),  # empty means unset (POSIX)
    ({"LANG": "zh_CN.UTF-8", "HFENV_LANG": "en"}, "en"),
    ({"LANG": "C", "HFENV_LANG": "zh-CN"}, "zh-CN"),
    ({"HFENV_LANG": "zh_CN"}, "zh-CN"),
])
def test_language_from_the_environment(environ, expected):
    assert i18n.requested(environ) == expected


def test_a_console_that_cannot_show_chinese_gets_english():
    latin = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert i18n.language({"LANG": "zh_CN.UTF-8"}, [utf8, latin]) == "en"
    assert i18n.language({"LANG": "zh_CN.UTF-8"}, [utf8, utf8]) == "zh-CN"


def test_use_english_wins_over_the_locale(monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.delenv("HFENV_LANG", raising=False)
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))
    monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))
    assert i18n._("URL has no host") == "URL 中没有主机名"
    i18n.use_english()
    assert i18n._("URL has no host") == "URL has no host"


def test_the_test_environment_speaks_english():
    """Tests that assert English text rely on this (conftest clears the locale variables)."""
    assert i18n.requested() == "en"


# ---- real commands ----

def hfenv(*args, env_extra, home):
    return hfenv_process(*args, env=subprocess_env(**{"HOME": str(home), **env_extra}))


@pytest.mark.slow
def test_bad_endpoint_url_in_chinese_then_english(isolated_home):
    done = hfenv("endpoints", "add", "lab", "notaurl", env_extra={"LANG": "zh_CN.UTF-8"}, home=isolated_home)
    assert done.returncode == 2
    assert "既不是内置端点名，也不是 URL" in done.stderr
    done = hfenv("endpoints", "add", "lab", "notaurl", env_extra={"LANG": "zh_CN.UTF-8", "HFENV_LANG": "en"},
                 home=isolated_home)
    assert done.returncode == 2 and "not a catalog name and not a URL" in done.stderr


@pytest.mark.slow
def test_a_cp1252_console_gets_english_not_mojibake(isolated_home):
    done = hfenv("endpoints", "add", "lab", "notaurl", env_extra={"LANG": "zh_CN.UTF-8", "PYTHONIOENCODING": "cp1252"},
                 home=isolated_home)
    assert done.returncode == 2
    assert "not a catalog name and not a URL" in done.stderr and "?" not in done.stderr.split("URL")[0]


@pytest.mark.slow
def test_setup_dry_run_in_chinese_and_its_json_in_english(isolated_home):
    zh = {"LANG": "zh_CN.UTF-8"}
    done = hfenv("setup", "--dry-run", "--endpoint", "hf-mirror", "--shell", "bash", env_extra=zh, home=isolated_home)
    assert done.returncode == 0, done.stderr
    assert "演练（dry run）：1 个目标中有 1 个会改动；未写入任何内容" in done.stderr
    done = hfenv("setup", "--dry-run", "--json", "--endpoint", "hf-mirror", "--shell", "bash", env_extra=zh,
                 home=isolated_home)
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in done.stdout + done.stderr), done.stdout + done.stderr


@pytest.mark.slow
def test_doctor_offline_in_chinese_and_its_json_in_english(isolated_home):
    zh = {"LANG": "zh_CN.UTF-8"}
    done = hfenv("doctor", "--offline", "--shell", "bash", env_extra=zh, home=isolated_home)
    assert done.returncode in (0, 1), done.stderr
    assert "hfenv doctor：本机的客户端使用" in done.stdout and "[离线：不做网络检查]" in done.stdout
    assert "代理与证书：" in done.stdout and "结论：" in done.stdout
    done = hfenv("doctor", "--offline", "--json", "--shell", "bash", env_extra=zh, home=isolated_home)
    report = json.loads(done.stdout)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in json.dumps(report, ensure_ascii=False))


def test_probe_against_a_loopback_hub_in_chinese_and_its_json_in_english(serve, isolated_home):
    hub = serve("hub")
    args = ("probe", "--only", "--candidate", f"lab={hub.url}", "--samples", "1")
    zh = {"LANG": "zh_CN.UTF-8", "NO_PROXY": "127.0.0.1,localhost"}
    done = hfenv(*args, env_extra=zh, home=isolated_home)
    assert done.returncode == 0, done.stderr
    header = done.stdout.splitlines()[0]
    assert "端点" in header and "状态" in header and "详情" in header
    assert f"已选择：lab（{hub.url}）" in done.stdout
    done = hfenv(*args, "--json", env_extra=zh, home=isolated_home)
    assert done.returncode == 0 and json.loads(done.stdout)["chosen"]["name"] == "lab"
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in done.stdout + done.stderr)


@pytest.mark.parametrize("lang, loads", [("C.UTF-8", False), ("zh_CN.UTF-8", True)])
def test_gettext_is_loaded_only_for_chinese_and_only_on_first_lookup(lang, loads):
    code = ("import sys\nfrom hfenv import i18n\nbefore = 'gettext' in sys.modules\n"
            "i18n._('URL has no host')\nprint(before, 'gettext' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "HFENV_LANG")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**env, "LANG": lang, "PYTHONIOENCODING": "utf-8"})
    assert done.stdout.split() == ["False", str(loads)], done.stderr


# ---- Msg: a message that is also data ----

def test_msg_is_english_text_and_local_is_the_users_language(monkeypatch):
    from hfenv.i18n import Msg, local

    monkeypatch.setattr(i18n, "_catalog", lambda: gettext.NullTranslations())
    inner = Msg("URL has no host")
    message = Msg("{} (at {where})", inner, where="x") + "; " + Msg("URL has no host")
    assert message == "URL has no host (at x); URL has no host"
    assert json.dumps({"m": message}) == '{"m": "URL has no host (at x); URL has no host"}'
    assert "no host" in message and isinstance(message, Msg)
    catalog = gettext.GNUTranslations(io.BytesIO(i18n.compile_po(CATALOG.read_text(encoding="utf-8"))))
    monkeypatch.setattr(i18n, "_catalog", lambda: catalog)
    assert message.local() == "URL 中没有主机名 (at x); URL 中没有主机名"
    assert str(message) == "URL has no host (at x); URL has no host"  # the data stays English
    assert local("plain") == "plain" and local(None) is None


def test_msg_survives_copy_and_pickle_and_a_broken_translation(monkeypatch):
    import copy
    import pickle

    from hfenv.i18n import Msg

    message = Msg("HTTP {code} from {host}", code=503, host="h")
    assert copy.deepcopy(message).local() == pickle.loads(pickle.dumps(message)).local() == "HTTP 503 from h"

    class Broken(gettext.NullTranslations):
        def gettext(self, text):
            return "坏的 {other}"

    monkeypatch.setattr(i18n, "_catalog", lambda: Broken())
    assert message.local() == "HTTP 503 from h"  # a lost placeholder falls back to English


def test_the_english_detector_finds_prose_and_leaves_code_alone():
    """Every real-command test under zh_CN relies on english_prose(): it must not go blind."""
    from i18n_extract import english_prose

    english = ["connection refused by 127.0.0.1:9: nothing listens there", "  fix: run it again later",
               "已选择 lab, but the large files fail"]
    code = ["已选择：lab（https://hf.lab.example/a/b）", "  修复：export HF_ENDPOINT=https://hf-mirror.com",
            "运行 `hfenv setup --persist --shell bash` 之后", "~/.config/fish/config.fish:3 'set -gx HF_ENDPOINT x'",
            "HF_HUB_DISABLE_XET=1 hfenv setup --xet auto"]
    assert english_prose("\n".join(english + code)) == english
    assert english_prose("路径：a quoted value here", allowed=("a quoted value here",)) == []
