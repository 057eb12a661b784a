"""The command line speaks Chinese: hfenv's own messages, every --help, and click's words
("Usage:", "Error:", "No such option" ...) through hfenv/locale/zh_CN/LC_MESSAGES/click.po.

Real subprocesses under LANG=zh_CN.UTF-8: no English prose is left (tests/i18n_extract.py's
english_prose), a few exact Chinese phrases are there; HFENV_LANG=en gives the English as before;
--json output holds no Chinese.
"""

from __future__ import annotations

import ast
import gettext
import io
import json
import os
import string
import subprocess
import sys
from pathlib import Path

import click
import pytest
from i18n_extract import english_prose

from hfenv import clicktext, i18n

from conftest import hfenv_process, subprocess_env

CLICK_CATALOG = Path(i18n.LOCALE_DIR) / "zh_CN" / "LC_MESSAGES" / "click.po"
CLICK_DIR = Path(click.__file__).resolve().parent
ZH = {"LANG": "zh_CN.UTF-8"}
EN = {"LANG": "zh_CN.UTF-8", "HFENV_LANG": "en"}


@pytest.fixture(autouse=True)
def fresh_language():
    i18n.reset()
    yield
    i18n.reset()


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def hfenv(*args, env_extra, stdout=subprocess.PIPE):
    env = subprocess_env(**{"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
                            "NO_PROXY": None, **env_extra})
    done = hfenv_process(*args, env=env, stdout=stdout)
    return done.returncode, done.stdout or "", done.stderr


# ---- click's catalog ----

def click_msgids(modules=None) -> set:
    """Every literal message the installed click looks up with `_()` or `ngettext()`."""
    found: set = set()
    for path in sorted(CLICK_DIR.glob("*.py")):
        if modules is not None and path.stem not in modules:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            args = node.args
            literal = [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if node.func.id == "_" and len(args) == 1 and literal:
                found.add(literal[0])
            elif node.func.id == "ngettext" and len(literal) >= 2:
                found.add((literal[0], literal[1]))
    return found


def dynamic_msgids() -> set:
    """Looked up through a variable: `_(extra["required"])` in click's option help."""
    core = (CLICK_DIR / "core.py").read_text(encoding="utf-8")
    return {"required"} if '_(extra["required"])' in core and '"required"' in core else set()


# click messages hfenv never shows, and why (every other one of REACHABLE's modules needs a translation).
NOT_SHOWN = {
    "%(prog)s, version %(version)s": "--version's output is read by scripts: it stays as it is",
    "Could not determine name for option with declarations {decls!r}": "a declaration error, raised at import",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?": "a declaration error, raised at import",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.": "a declaration error",
    "Name '{name}' defined twice": "a declaration error",
    "Boolean option {decl!r} cannot use the same flag for true/false.": "a declaration error",
    "Value must be an iterable.": "a declaration error (a default that is not a sequence)",
    "Do you want to continue?": "hfenv never prompts (no confirmation_option)",
    "Confirm the action without prompting.": "hfenv never prompts (no confirmation_option)",
}
# The click modules whose messages hfenv's commands can show: help, parsing, values, completion scripts.
REACHABLE = ("core", "decorators", "exceptions", "formatting", "parser", "types", "shell_completion")


def click_catalog() -> dict:
    return i18n.parse_po(CLICK_CATALOG.read_text(encoding="utf-8"))


def test_every_click_msgid_in_the_catalog_still_exists_in_the_installed_click():
    known = click_msgids() | dynamic_msgids()
    gone = sorted(repr(k) for k in set(click_catalog()) - known - {""})
    assert not gone, "click.po entries the installed click no longer uses (reworded upstream?):\n" + "\n".join(gone)


def test_every_click_message_hfenv_can_show_is_translated():
    catalog = click_catalog()
    reachable = click_msgids(REACHABLE) | dynamic_msgids()
    missing = sorted(repr(k) for k in reachable - set(catalog) - set(NOT_SHOWN)
                     if not (catalog.get(k) if not isinstance(k, tuple) else all(catalog.get(k) or [""])))
    assert not missing, "click messages without a translation in click.po:\n" + "\n".join(missing)
    assert set(NOT_SHOWN) <= click_msgids(), "NOT_SHOWN names messages click no longer has"
    for key in ("Usage:", "Options", "Commands", "Show this message and exit.", "Show the version and exit.",
                "Error: {message}", "No such option {name!r}.", "Missing argument", "Invalid value for {param_hint}: "
                "{message}", "Try '{command} {option}' for help.", ("Got unexpected extra argument ({args})",
                "Got unexpected extra arguments ({args})"), ("{value!r} is not {choice}.",
                "{value!r} is not one of {choices}."), ("Option {name!r} requires an argument.",
                "Option {name!r} requires {nargs} arguments.")):
        assert catalog.get(key), key


def test_click_translations_keep_their_placeholders():
    def fields(text):
        return {f.split("!")[0] for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None}

    for key, value in click_catalog().items():
        if not key:
            continue
        if isinstance(key, tuple):
            allowed = fields(key[0]) | fields(key[1])
            assert all(fields(v) <= allowed for v in value), key
        else:
            assert fields(value) == fields(key), key


def test_the_click_catalog_compiles_and_reads_back():
    catalog = gettext.GNUTranslations(io.BytesIO(i18n.compile_po(CLICK_CATALOG.read_text(encoding="utf-8"))))
    assert catalog.gettext("Usage:") == "用法:"
    assert catalog.ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 2) \
        == "多余的参数（{args}）"


def test_install_rebinds_only_clicks_lookups_and_follows_hfenvs_language(monkeypatch):
    import click.exceptions as exceptions
    import click.shell_completion  # noqa: F401  (imported by `hfenv completion` before it installs again)

    changed = clicktext.install()
    assert {"core", "exceptions", "formatting", "parser", "types", "decorators", "shell_completion"} <= set(changed)
    assert exceptions._ is clicktext.gettext and exceptions.ngettext is clicktext.ngettext
    assert gettext.gettext is not clicktext.gettext  # the standard library itself is untouched
    assert clicktext.install() == []  # once is enough
    # English (the test environment): click's own text, as the standard library gives it.
    assert exceptions._("Missing argument") == "Missing argument"
    monkeypatch.setenv("HFENV_LANG", "zh-CN")
    monkeypatch.setattr(i18n, "can_show_chinese", lambda streams=None: True)
    assert exceptions._("Missing argument") == "缺少参数"
    assert exceptions.ngettext("Option {name!r} requires an argument.",
                               "Option {name!r} requires {nargs} arguments.", 1) == "选项 {name!r} 后面需要给出值。"
    i18n.use_english()  # --json: click's words go back to English too
    assert exceptions._("Missing argument") == "Missing argument"


# ---- real commands ----

COMMANDS = [(), ("shell",), ("run",), ("detect",), ("doctor",), ("probe",), ("endpoints",), ("endpoints", "add"),
            ("endpoints", "remove"), ("setup",), ("reset",), ("completion",), ("profile",), ("profile", "init"),
            ("profile", "check"), ("profile", "show"), ("onboard",)]


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "hfenv")
def test_every_help_is_chinese(command):
    status, out, err = hfenv(*command, "--help", env_extra=ZH)
    assert status == 0, err
    from hfenv.shells import eval_table

    # `shell --help` lists each shell's eval line and the shells' names: code and names, not prose.
    assert english_prose(out + err, allowed=eval_table().splitlines()) == [], out
    assert out.startswith("用法: hfenv") and "\n选项:\n" in out and "显示本帮助并退出。" in out
    if not command:
        assert "\n命令:\n" in out and "显示版本号并退出。" in out
        assert "输出在当前 shell 中设置 HF_ENDPOINT 的代码" in out
    status, english, _err = hfenv(*command, "--help", env_extra=EN)
    assert status == 0 and english.startswith("Usage: hfenv") and "Show this message and exit." in english
    assert not has_cjk(english)


USAGE_ERRORS = [
    (("--bogus",), "没有 '--bogus' 这个选项。"),
    (("shell", "--shel", "bash"), "没有 '--shel' 这个选项。"),
    (("nosuch",), "没有 'nosuch' 这个命令。"),
    (("probe", "--timeout"), "选项 '--timeout' 后面需要给出值。"),
    (("shell", "--shell", "bash", "--endpoint"), "选项 '--endpoint' 后面需要给出值。"),
    (("run", "--cache-dir"), "选项 '--cache-dir' 后面需要给出值。"),
    (("shell", "--shell", "bash", "extra"), "多余的参数（extra）"),
    (("setup", "--xet", "maybe"), "'--xet' 的值无效：'maybe' 不是可选值之一（'auto', 'on', 'off'）。"),
    (("doctor", "--timeout", "nan"), "'--timeout' 的值无效：'nan' 不是 0.1 到 3600 之间的秒数"),
    (("probe", "--timeout", "nan"), "'--timeout' 的值无效"),
    (("probe", "--samples", "0"), "'--samples' 的值无效：0 不在范围 1<=x<=20 内。"),
    (("run",), "缺少参数 '-- CMD [ARG]...'"),
    (("run", "--endpoint", "hf"), "缺少参数 '-- CMD [ARG]...'"),
    (("completion",), "缺少参数 'bash|zsh|fish'"),
    (("completion", "tcsh"), "不是可选值之一"),
    (("endpoints", "add", "lab"), "缺少参数 'URL'"),
    (("endpoints", "remove"), "缺少参数 'NAME'"),
    (("setup", "--root", "/no/such/dir", "--system", "--dry-run"), "目录 '/no/such/dir' 不存在。"),
    (("onboard", "--lang", "fr"), "不是可选值之一"),
    (("shell", "--shell", "nosuch", "--endpoint", "hf"), "不认识的 shell 'nosuch'"),
    (("endpoints", "remove", "nosuch"), "nosuch"),
    (("shell", "--shell", "bash", "--endpoint", "hf", "--unset"), "--unset 不能与 --endpoint 或 --cache-dir 同时使用"),
    (("probe", "--only"), "--only 至少需要一个 --candidate"),
    (("doctor", "--only", "--offline"), "--only 至少需要一个 --candidate"),
    (("reset", "--all", "--shell", "bash", "--dry-run"), "--all 已经包括所有 shell"),
    (("setup", "--root", "/", "--dry-run", "--endpoint", "hf"), "--root"),
]


def shell_names():
    """The list an unknown shell's message offers: names to pass to --shell, not English prose."""
    from hfenv import shells

    return (", ".join(list(shells.SHELLS) + sorted(shells.ALIASES)),)


@pytest.mark.slow
@pytest.mark.parametrize("args, phrase", USAGE_ERRORS, ids=lambda a: " ".join(a) if isinstance(a, tuple) else None)
def test_usage_errors_are_chinese(args, phrase):
    status, out, err = hfenv(*args, env_extra=ZH)
    assert status == 2, (out, err)
    assert phrase in err, err
    assert english_prose(out + err, allowed=shell_names()) == [], err
    if "hfenv: " not in err:  # click's own: the usage line and the hint (once a command is known), the error
        assert "错误：" in err and ("用法: hfenv" in err) == ("查看帮助。" in err)
    status, out, english = hfenv(*args, env_extra=EN)
    assert status == 2 and not has_cjk(out + english), english


@pytest.mark.parametrize("args", [("shell", "--shell"), ("shell", "--shell", "bash", "--endpoint"),
                                  ("run", "--endpoint")])
def test_an_option_without_its_value_is_a_usage_error(args):
    """Not the default quietly: click 8.2+ took an explicit is_flag=False as an optional value."""
    status, out, err = hfenv(*args, env_extra=EN)
    assert (status, out) == (2, "") and "requires an argument." in err, (status, out, err)


def test_run_without_a_command_in_english_is_clicks_own():
    status, _out, err = hfenv("run", env_extra=EN)
    assert status == 2 and "Error: Missing argument '-- CMD [ARG]...'." in err
    assert "Try 'hfenv run --help' for help." in err


@pytest.mark.slow
def test_run_errors_are_chinese_and_the_child_sees_the_environment_unchanged():
    status, _out, err = hfenv("run", "--endpoint", "hf", "--", "hfenv-no-such-command", env_extra=ZH)
    assert status == 127 and err == "hfenv: hfenv-no-such-command：未找到命令\n"
    status, _out, err = hfenv("run", "--endpoint", "hf", "--", "/no/such/tool", env_extra=ZH)
    assert status == 127 and err == "hfenv: /no/such/tool：没有那个文件或目录\n"
    # click's words come from hfenv's catalog, not from LANGUAGE/LANG set for the process: the child
    # gets exactly the locale variables hfenv was given.
    code = "import json, os; print(json.dumps({k: os.environ.get(k) for k in ('LANG', 'LANGUAGE', 'LC_ALL')}))"
    status, out, err = hfenv("run", "--endpoint", "hf", "--", "python3", "-c", code, env_extra={"HFENV_LANG": "zh-CN"})
    assert status == 0, err
    assert json.loads(out) == {"LANG": None, "LANGUAGE": None, "LC_ALL": None}


@pytest.mark.slow
def test_detect_is_chinese_and_its_json_english():
    status, out, err = hfenv("detect", env_extra={**ZH, "SHELL": "/bin/bash"})
    assert status == 0, err
    assert "操作系统：" in out and "当前 shell：" in out
    assert "未设置（huggingface_hub 会使用 https://huggingface.co）" in out
    prose = english_prose(out + err)
    # The startup files' "why" comes from hfenv/shells (another module's wording): listed, not hidden.
    assert all("read by" in line or "read " in line for line in prose), prose
    status, out, err = hfenv("detect", "--json", env_extra={**ZH, "SHELL": "/bin/bash"})
    assert status == 0 and not has_cjk(out + err)
    assert json.loads(out)["hf_endpoint"]["source"].startswith("not set (huggingface_hub uses ")


@pytest.mark.slow
def test_detect_has_no_english_at_all():
    status, out, err = hfenv("detect", env_extra={**ZH, "SHELL": "/bin/bash"})
    assert status == 0 and english_prose(out + err) == [], out


@pytest.mark.slow
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "tcsh", "powershell"])
def test_setup_dry_run_is_chinese(shell):
    status, out, err = hfenv("setup", "--dry-run", "--persist", "--endpoint", "hf-mirror", "--shell", shell,
                             env_extra=ZH)
    assert status == 0, err
    assert "演练（dry run）：" in err and "未写入任何内容" in err
    assert english_prose(err) == [], err
    status, out, err = hfenv("setup", "--endpoint", "hf-mirror", "--shell", shell, env_extra=ZH)
    assert status == 0, err
    assert "端点：hf-mirror" in out or "hf-mirror" in out
    assert english_prose(out + err) == [], out + err
    status, out, err = hfenv("setup", "--dry-run", "--json", "--persist", "--endpoint", "hf-mirror", "--shell", shell,
                             env_extra=ZH)
    assert status == 0 and json.loads(out)["endpoint"]["name"] == "hf-mirror"
    assert not has_cjk(out + err), out + err


@pytest.mark.slow
def test_reset_dry_run_is_chinese():
    status, out, err = hfenv("reset", "--dry-run", "--shell", "bash", env_extra=ZH)
    assert status == 0, err
    assert "演练（dry run）：" in err and english_prose(out + err) == []
    status, out, err = hfenv("reset", "--shell", "bash", env_extra=ZH)
    assert status == 0 and english_prose(out + err) == [], out + err
    status, out, err = hfenv("reset", "--json", "--shell", "bash", env_extra=ZH)
    assert status == 0 and not has_cjk(out + err)


@pytest.mark.slow
def test_endpoints_list_add_remove_are_chinese():
    status, out, err = hfenv("endpoints", env_extra=ZH)
    assert status == 0 and "（内置）" in out or "(built-in)" not in out, out
    assert english_prose(out + err) == []
    status, out, err = hfenv("endpoints", "add", "lab", "https://hub.lab.example", env_extra=ZH)
    assert status == 0 and english_prose(out + err) == [], out + err
    status, out, err = hfenv("endpoints", "remove", "lab", env_extra=ZH)
    assert status == 0 and english_prose(out + err) == [], out + err


@pytest.mark.slow
def test_profile_init_check_show_are_chinese(tmp_path):
    target = tmp_path / "lab.toml"
    status, out, err = hfenv("profile", "init", str(target), env_extra=ZH)
    assert status == 0 and target.exists(), err
    assert english_prose(out + err) == [], out
    status, out, err = hfenv("profile", "init", str(target), env_extra=ZH)
    assert status == 1 and "hfenv 不会覆盖它" in err or english_prose(err) == [], err
    status, out, err = hfenv("profile", "check", str(target), env_extra=ZH)
    assert status == 0, err
    assert english_prose(out + err) == [], out
    status, out, err = hfenv("profile", "show", "--root", str(tmp_path), env_extra=ZH)
    assert status == 0, err
    assert "用户" in out and "本机" in out and "不存在" in out and "当前生效：" in out
    # The first line's reason ("no profile: none given ...") is hfenv/profile.py's (locate): see below.
    assert english_prose("\n".join(out.splitlines()[1:]) + err) == [], out
    status, out, err = hfenv("profile", "show", "--json", "--root", str(tmp_path), env_extra=ZH)
    assert status == 0 and not has_cjk(out + err) and json.loads(out)["looked"][2]["place"] == "user"
    status, out, err = hfenv("profile", "check", str(tmp_path / "missing.toml"), env_extra=ZH)
    assert status == 2 and err.startswith("hfenv: ") and err.count("\n") == 1, err


@pytest.mark.slow
def test_profile_check_of_a_missing_file_is_chinese(tmp_path):
    status, out, err = hfenv("profile", "check", str(tmp_path / "missing.toml"), env_extra=ZH)
    assert status == 2 and english_prose(out + err) == [], err


@pytest.mark.slow
@pytest.mark.parametrize("args", [("shell", "--shell", "bash", "--endpoint", "hf"), ("endpoints",), ("--help",)])
def test_output_that_cannot_be_written_is_one_chinese_line(args):
    with open("/dev/full", "wb") as full:
        status, _out, err = hfenv(*args, env_extra=ZH, stdout=full)
    assert status == 1
    assert err.startswith("hfenv: 无法写出输出：") and err.count("\n") == 1, err


@pytest.mark.slow
def test_profile_show_has_no_english_at_all(tmp_path):
    status, out, err = hfenv("profile", "show", "--root", str(tmp_path), env_extra=ZH)
    assert status == 0 and english_prose(out + err) == [], out


@pytest.mark.parametrize("argv", [["shell", "--shell", "bash", "--endpoint", "hf-mirror"],
                                  ["run", "--endpoint", "hf-mirror", "--", "true"]])
def test_the_fast_path_loads_no_translation_machinery(argv, tmp_path):
    """Help texts are N_-marked in options.py and messages are Msgs in render/runner, yet `hfenv shell`
    and `hfenv run` with nothing to say import neither hfenv.i18n nor gettext."""
    code = (
        "import os, sys\n"
        "def report(*_):\n"
        "    print('LOADED', sorted(m for m in ('hfenv.i18n', 'gettext', 'hfenv.clicktext') if m in sys.modules))\n"
        "    sys.stdout.flush()\n"
        "    os._exit(0)\n"
        "os.execvpe = report\n"
        "os._exit = lambda status: report()\n"
        f"sys.argv = ['hfenv', *{argv!r}]\n"
        "from hfenv.fast import main\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "HFENV_LANG")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60,
                          env={**env, "LANG": "zh_CN.UTF-8"})
    assert "LOADED []" in done.stdout, (done.stdout, done.stderr)


# ---- Chinese help wrapped by terminal cells ----

def test_wrap_cells_fills_lines_by_terminal_cells_and_respects_punctuation():
    from hfenv.cli import _cells, wrap_cells

    text = ("不带 --system 或 --git 时，恢复检测到的 shell（或每个 --shell 指定的 shell）的启动文件，"
            "位置以 hfenv 记录的 setup 写入位置为准。hfenv 自己保存的选择和端点会保留。")
    for width in (20, 33, 50, 78):
        lines = wrap_cells(text, width, "  ", "  ").splitlines()
        # Closing punctuation may hang one character past the width (click keeps two columns spare).
        assert all(_cells(line) <= width or (_cells(line) <= width + 2 and line[-1] in "，。；：）")
                   for line in lines), (width, lines)
        assert not any(line.strip()[0] in "，。、；：）" for line in lines)
        assert not any(line.rstrip()[-1] in "（「" for line in lines)
        assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")
    assert wrap_cells("\b\n  a  b\nc\n\n段落", 10) == "  a  b\nc\n\n段落"  # \b keeps its lines


@pytest.mark.parametrize("command", [(), ("setup",), ("shell",), ("run",)])
def test_english_help_is_clicks_own_wrapping(command, monkeypatch):
    """The cell-aware formatter only touches text holding Chinese: English help is what click makes."""
    from click.testing import CliRunner

    from hfenv.cli import Formatter, main

    mine = CliRunner().invoke(main, [*command, "--help"], terminal_width=60).output
    monkeypatch.setattr(Formatter, "write_text", click.HelpFormatter.write_text)
    monkeypatch.setattr(Formatter, "write_dl", click.HelpFormatter.write_dl)
    assert CliRunner().invoke(main, [*command, "--help"], terminal_width=60).output == mine


# ---- messages worded in the modules these commands call ----

@pytest.mark.slow
@pytest.mark.parametrize("args, module", [
    (("shell", "--shell", "bash", "--endpoint", "http://example.org"), "hfenv/endpoints.py (the plain-http warning)"),
    (("endpoints", "remove", "hf"), "hfenv/endpoints.py (remove_endpoint: the built-in refusal)"),
    (("endpoints", "remove", "nosuch"), "hfenv/endpoints.py (remove_endpoint: no such endpoint)"),
    (("shell", "--shell", "nosuch", "--endpoint", "hf"), "hfenv/shells/__init__.py (get: unknown shell)"),
    (("profile", "check", "/nonexistent/profile.toml"), "hfenv/profile.py (load: no such file)"),
])
def test_messages_from_other_modules(args, module):
    status, out, err = hfenv(*args, env_extra=ZH)
    assert english_prose(out + err, allowed=shell_names()) == [], module
    assert status in (0, 2)


def test_completion_installs_clicks_words_for_the_module_it_imports():
    """install() leaves click modules not imported yet alone (a cost in every `hfenv shell`):
    `hfenv completion`, which imports click.shell_completion, installs again after it."""
    code = ("import sys\nsys.argv = ['hfenv', 'completion', 'bash']\nfrom hfenv.fast import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "import click.shell_completion as s, hfenv.clicktext as c\n"
            "print('PATCHED', s._ is c.gettext, file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "HFENV_LANG")}
    for lang, patched in (("zh_CN.UTF-8", True), ("C.UTF-8", False)):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                              env={**env, "LANG": lang, "PYTHONIOENCODING": "utf-8"})
        assert f"PATCHED {patched}" in done.stderr, done.stderr
