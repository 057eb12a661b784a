"""setup, reset, endpoints and profile speak Simplified Chinese under LANG=zh_CN.UTF-8.

Real `hfenv` subprocesses in the sandbox home conftest gives every test (HOME and XDG dirs), through
the scenarios users hit: setup --persist for bash/zsh/fish, a blog post's line that overrides the
block, startup files hfenv will not edit, a damaged config.json, bad profiles, an unreachable
profile URL, reset, a broken state.json. Each run's output holds no English prose
(tests/i18n_extract.py) and the exact Chinese; the same run under HFENV_LANG=en gives the English it
always gave; --json stays English. The Windows paths run in-process behind the fake of
tests/test_persist_windows.py, with golden Chinese text.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
from i18n_extract import english_prose

from hfenv import i18n
from hfenv.shells import ALIASES, SHELLS

from conftest import hfenv_process, run, subprocess_env

pytestmark = pytest.mark.slow  # every test here starts hfenv as a subprocess (or fakes Windows in-process)

# Text that is not hfenv's message but content it shows: the comment setup writes in the block (a diff
# shows it), and messages of modules other helpers translate in their branches (named, so they can go).
BLOCK_COMMENT = "# Managed by hfenv: `hfenv setup` changes it, `hfenv reset` removes it."
TAKE_OVER_FIX = ("delete them, or run setup again with --take-over: hfenv comments them out and `hfenv reset` "
                 "puts them back (--dry-run shows the change)")  # commands.py (FAST's file)


def hfenv(*args: str, lang: str = "zh", extra: dict | None = None, cwd: Path | None = None):
    """`hfenv ARGS` as a subprocess in the sandbox home: lang "zh" (LANG=zh_CN.UTF-8), "en" (the same
    locale with HFENV_LANG=en), proxies pinned to a dead loopback port."""
    env = subprocess_env(**{"LANG": "zh_CN.UTF-8", "HTTPS_PROXY": "http://127.0.0.1:9",
                            "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost",
                            "HFENV_LANG": "en" if lang == "en" else None, **(extra or {})})
    return hfenv_process(*args, env=env, cwd=cwd)


def chinese(done, *phrases: str, status: int | None = None, allowed=()) -> str:
    """The run's output, checked: no English prose, every phrase there, the exit status."""
    out = done.stdout + done.stderr
    if status is not None:
        assert done.returncode == status, out
    assert english_prose(out, allowed=allowed) == [], out
    for phrase in phrases:
        assert phrase in out, f"{phrase!r} not in:\n{out}"
    return out


def no_cjk(text: str) -> bool:
    return not any("\u4e00" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text)


SHELL_NAMES = ", ".join([*SHELLS, *sorted(ALIASES)])  # names of things, listed as they are


def setup_args(*shells: str) -> list[str]:
    return ["setup", "--persist", "--endpoint", "hf-mirror", *[a for s in shells for a in ("--shell", s)]]


# ---- setup and reset ----

def test_setup_persist_for_bash_zsh_fish_and_dry_run_in_chinese_json_and_english_unchanged(isolated_home):
    home = isolated_home
    dry = hfenv(*setup_args("bash"), "--dry-run")
    chinese(dry, "演练（dry run）：4 个目标中有 4 个会改动；未写入任何内容", status=0, allowed=(BLOCK_COMMENT,))
    assert not (home / ".bashrc").exists()
    done = hfenv(*setup_args("bash", "zsh", "fish"))
    chinese(done, "端点：hf-mirror（https://hf-mirror.com），已保存为 hfenv 的默认选择。",
            "要在当前 shell 中立即生效：", 'eval "$(hfenv shell --shell zsh)"', "hfenv shell --shell fish | source",
            status=0)
    assert (home / ".config" / "fish" / "conf.d" / "hfenv.fish").is_file() and (home / ".zshenv").is_file()
    again = hfenv(*setup_args("bash"), lang="en")
    assert again.returncode == 0
    assert "Endpoint: hf-mirror (https://hf-mirror.com), saved as hfenv's default." in again.stdout
    assert "To use it in this shell now:" in again.stdout
    report = hfenv(*setup_args("bash"), "--json")
    assert report.returncode == 0 and json.loads(report.stdout)["changed"] is False
    assert no_cjk(report.stdout + report.stderr), report.stdout + report.stderr


def test_reset_and_reset_all_in_chinese(isolated_home):
    assert hfenv(*setup_args("bash", "fish")).returncode == 0
    done = hfenv("reset", "--shell", "bash")
    chinese(done, "已删除 hfenv setup 写入的内容：", "已经打开的 shell 在关闭之前仍保留 HF_ENDPOINT", status=0)
    done = hfenv("reset", "--all")
    chinese(done, "已删除 hfenv setup 写入的内容：", status=0)
    assert not (isolated_home / ".config" / "fish" / "conf.d" / "hfenv.fish").exists()
    done = hfenv("reset", "--all")
    chinese(done, "无需删除：这些位置没有 hfenv 的设置。", status=0)
    english = hfenv("reset", "--all", lang="en")
    assert "Nothing to remove: no hfenv settings in these places." in english.stdout
    report = hfenv("reset", "--all", "--json")
    assert json.loads(report.stdout)["changed"] is False and no_cjk(report.stdout + report.stderr)


def test_a_blog_post_line_is_refused_naming_file_and_line_then_taken_over(isolated_home):
    bashrc = isolated_home / ".bashrc"
    bashrc.write_text("alias ll='ls -l'\nexport HF_ENDPOINT=https://example.org\n")
    before = bashrc.read_bytes()
    done = hfenv(*setup_args("bash"))
    chinese(done, "下面这些行在 hfenv 的配置块之后执行，会在新开的 shell 中覆盖它：",
            "~/.bashrc:6：`export HF_ENDPOINT=https://example.org`，bash 会读取", "未做任何改动",
            status=1, allowed=(TAKE_OVER_FIX,))
    assert bashrc.read_bytes() == before
    english = hfenv(*setup_args("bash"), lang="en")
    assert english.returncode == 1
    assert "~/.bashrc:6: `export HF_ENDPOINT=https://example.org`, read by bash" in english.stderr
    taken = hfenv(*setup_args("bash"), "--take-over")
    chinese(taken, "端点：hf-mirror（https://hf-mirror.com）", status=0)
    # The comment take-over writes is data (reset strips it byte for byte): English whatever the locale.
    assert "# hfenv take-over (hfenv reset restores this line): export HF_ENDPOINT" in bashrc.read_text()
    chinese(hfenv("reset", "--shell", "bash"), "已删除 hfenv setup 写入的内容：", status=0)
    assert bashrc.read_bytes() == before


def test_conditional_and_guarded_lines_in_chinese(isolated_home):
    (isolated_home / ".bashrc").write_text('export HF_ENDPOINT="${HF_ENDPOINT:-https://x.example}"\n'
                                           "if true; then export HF_ENDPOINT=https://y.example; fi\n")
    done = hfenv(*setup_args("bash"))
    chinese(done, "警告：可能覆盖 hfenv 的配置块：", "（hfenv 的值已设置时它会保留该值；hfenv 不改动它）",
            "（它在 if、循环或函数中，或在 && / || 之后：有可能执行）", status=1, allowed=(TAKE_OVER_FIX,))
    english = hfenv(*setup_args("bash"), lang="en")
    assert "(it keeps hfenv's value when that is set; hfenv leaves it alone)" in english.stderr
    assert "(inside an if, a loop or a function, or after && or ||: it may run)" in english.stderr
    chinese(hfenv(*setup_args("bash"), "--take-over"), "可能覆盖 hfenv 的配置块", status=0)


def test_startup_files_hfenv_will_not_edit_are_refused_in_chinese(isolated_home, tmp_path):
    home = isolated_home
    os.mkfifo(home / ".bashrc")
    chinese(hfenv(*setup_args("bash")), f"{home / '.bashrc'}：不是普通文件；hfenv 只编辑普通文件", status=1)
    os.unlink(home / ".bashrc")
    (home / ".bashrc").write_bytes(b"#" * (5 * 1024 * 1024))
    done = hfenv(*setup_args("bash"))
    chinese(done, f"hfenv: {home / '.bashrc'}：超过 4 MiB；hfenv 不读取这么大的文件", status=1)
    assert "普通文件" not in done.stderr  # a big regular file is not called "not a regular file"
    english = hfenv(*setup_args("bash"), lang="en")
    assert "is larger than 4 MiB; hfenv does not read files that big here" in english.stderr
    (home / ".bashrc").write_bytes(b"alias x='\xff\xfe'\n# >>> hfenv >>>\nexport A=1\n")
    chinese(hfenv(*setup_args("bash")), "第 2 行的 '# >>> hfenv >>>' 没有对应的结束行 '# <<< hfenv <<<'；"
                                        "请手工修好 hfenv 的标记行，再重新运行 hfenv", status=1)
    conf = home / ".config" / "fish" / "conf.d" / "hfenv.fish"
    conf.parent.mkdir(parents=True)
    conf.write_text("set -gx HF_ENDPOINT https://mine.example\n")
    chinese(hfenv(*setup_args("fish")),
            "已存在，而且除了 hfenv 标记的配置块之外还有别的内容，hfenv 不能替换或删除它", status=1)
    assert conf.read_text() == "set -gx HF_ENDPOINT https://mine.example\n"


def test_a_value_a_shell_cannot_carry_and_home_problems_in_chinese(isolated_home, tmp_path):
    chinese(hfenv("setup", "--persist", "--shell", "ksh", "--endpoint", "hf", "--cache-dir", "/tmp/{a}"),
            "无法写入这个值：ksh 和 mksh 会对不加引号的 eval 中的单词做花括号展开", status=2)
    chinese(hfenv("setup", "--persist", "--shell", "bash", "--endpoint", "hf", extra={"HOME": ""}),
            "$HOME 为空；请把它设为你的主目录（绝对路径），然后重新运行 hfenv", status=2)
    chinese(hfenv("setup", "--persist", "--shell", "bash", "--endpoint", "hf", extra={"HOME": "rel"}, cwd=tmp_path),
            "$HOME 是相对路径（'rel'）", status=2)
    chinese(hfenv("setup", "--persist", "--shell", "cmd", "--endpoint", "hf"),
            "cmd 在这里没有可写的启动文件；在 Windows 上，setup --persist 会写入用户环境变量", status=0)
    chinese(hfenv("setup", "--persist", "--shell", "nosuch", "--endpoint", "hf"),
            "不认识的 shell 'nosuch'；请用 --shell 指定以下之一：", status=2, allowed=(SHELL_NAMES,))


def test_machine_wide_refusals_in_chinese(isolated_home, tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    chinese(hfenv("setup", "--system", "--root", str(root), "--endpoint", "hf-mirror"),
            "--system：这台机器上既没有 /etc/profile.d，也没有 fish 的系统级 conf.d；没有可写的全机配置", status=1)
    (root / "etc" / "profile.d").mkdir()
    (root / "etc" / "environment").write_text("PATH=/bin\n")
    chinese(hfenv("setup", "--system", "--root", str(root), "--endpoint", "hf-mirror", "--cache-dir", "/tmp/a b"),
            "无法写入这个值：/etc/environment 无法写入 HF_HUB_CACHE='/tmp/a b'：",
            "含有空白字符（pam_env 会在此处切分或去掉它）",
            status=2)


def test_a_lock_that_is_a_symlink_is_refused_in_chinese(isolated_home):
    lock = isolated_home / ".config" / "hfenv" / "setup.lock"
    lock.parent.mkdir(parents=True)
    lock.symlink_to(isolated_home / "elsewhere")
    chinese(hfenv("setup", "--endpoint", "hf"), f"未做任何改动：{lock}：锁文件是符号链接，hfenv 不会跟随它", status=1)


# ---- hfenv's own files: config.json, state.json ----

@pytest.mark.parametrize("content, phrase", [
    (b"{not json", "不是合法的 JSON（缺少用双引号括起来的键名：第 1 行第 2 列（第 1 个字符））；请修正或删除它"),
    (b'{"a": "\xff"}', "不是合法的 JSON（不是 UTF-8：偏移 7 处的字节 0xff）；请修正或删除它"),
    (b"[1, 2]", "的内容不是 JSON 对象；请修正或删除它"),
    (b'{"endpoints": [1]}', "键 'endpoints' 必须是 NAME: URL 形式的对象，而不是列表；请修正或删除它"),
    (b'{"endpoints": {"hf": "https://x.org"}}', "键 'endpoints.hf' 重新定义了内置端点，hfenv 不允许这样做；请删除它"),
    (b'{"endpoints": {"lab": 5}}',
     "键 'endpoints.lab' 必须是 URL 字符串，而不是数字；请用 `hfenv endpoints add lab URL` 修正"),
    (b'{"endpoints": {"lab": "ftp://x"}}', "键 'endpoints.lab' 包含 hfenv 拒绝使用的 URL："),
    (b'{"chosen": 3}', "键 'chosen' 必须是由字符串组成的对象"),
    (b'{"chosen": {"name": "hf-mirror", "url": "https://other.org"}}',
     "键 'chosen' 记录的 hf-mirror 是 https://other.org，但 hf-mirror 实际是 https://hf-mirror.com"),
    (b'{"chosen": {"name": "lab", "url": "https://lab.org", "disable_xet": "yes"}}',
     "键 'chosen.disable_xet' 必须是 true 或 false，而不是字符串；请用 `hfenv setup --endpoint NAME|URL` 重新选择"),
], ids=["not-json", "not-utf8", "not-object", "endpoints-list", "redefines-builtin", "url-not-string",
        "url-refused", "chosen-number", "chosen-disagrees", "disable-xet-string"])
def test_a_damaged_config_json_in_chinese_and_english(isolated_home, content, phrase):
    config = isolated_home / ".config" / "hfenv" / "config.json"
    config.parent.mkdir(parents=True)
    config.write_bytes(content)
    chinese(hfenv("endpoints"), str(config), phrase, status=1)
    english = hfenv("endpoints", lang="en")
    assert english.returncode == 1 and str(config) in english.stderr and no_cjk(english.stderr)
    assert config.read_bytes() == content


def test_a_broken_state_json_is_ignored_with_a_chinese_warning(isolated_home):
    state = isolated_home / ".local" / "state" / "hfenv" / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text("{broken")
    chinese(hfenv(*setup_args("bash")), f"警告：忽略 hfenv 记录 {state} 中损坏的部分：内容不是有效的 JSON", status=0)
    state.write_text('{"version": 1, "targets": [{"kind": "bash", "path": "relative"}, 5]}')
    chinese(hfenv("reset"), "中损坏的部分：其中有 2 条记录已损坏", status=0)
    state.write_text('{"version": 1, "targets": [5]}')
    english = hfenv("reset", lang="en")
    assert f"ignoring what is damaged in hfenv's record {state}: it has 1 damaged entry" in english.stderr


# ---- endpoints ----

def test_endpoints_add_and_remove_in_chinese(isolated_home):
    chinese(hfenv("endpoints", "add", "lab", "http://lab.example.org"),
            "已添加 lab = http://lab.example.org", "http://lab.example.org 使用明文 http：流量（包括令牌）都不加密传输",
            status=0)
    assert hfenv("setup", "--endpoint", "lab").returncode == 0
    chinese(hfenv("endpoints", "add", "lab", "https://lab2.example.org"),
            "保存的选择 lab 现在指向 https://lab2.example.org（`hfenv shell` 会用它）", status=0)
    chinese(hfenv("endpoints", "remove", "lab"), "'lab' 是当前保存的选择（`hfenv shell` 会用它）", status=1)
    chinese(hfenv("endpoints", "remove", "nosuch"), "没有名为 'nosuch' 的用户端点", status=2)
    chinese(hfenv("endpoints", "remove", "hf"), "'hf' 是内置端点，不能删除", status=2)
    assert "'hf' is a built-in endpoint and cannot be removed" in hfenv("endpoints", "remove", "hf", lang="en").stderr


# ---- the lab profile ----

@pytest.mark.parametrize("text, phrase", [
    ('name = "x"\n[cache\n', ":2: 不是有效的 TOML：表头末尾缺少 ']'"),
    ("[endpoints]\norder = [1\n", ":2: 不是有效的 TOML：数组没有闭合"),
    ("[cache]\nhub = 3\n", ":2: cache.hub: 必须是字符串，而不是整数"),
    ('nmae = "x"\n', ":1: nmae: 未知的键（可用的键："),
    ('[network]\nproxy = "x"\n', ":2: network.proxy: [network] 中有未知的键（可用的键：ca_bundle, xet, offline）"),
    ('[endpoints]\norder = ["nosuch"]\n', ":2: endpoints.order: 列出了 'nosuch'，但它既不是内置端点"),
    ('[cache]\nhub = "data/hf"\n', ":2: cache.hub: 'data/hf' 是相对路径：请写绝对路径"),
    ('[endpoints]\nchoose = "random"\n', ":2: endpoints.choose: 'random' 不是可选值 fastest, first 之一"),
    ("[cache]\nshared = true\n", ":2: cache.shared: 需要同时设置 [cache] hub"),
    ('[endpoints]\nlab = "ftp://x"\n', ":2: endpoints.lab: 不允许使用协议 'ftp'"),
    ("token = 1\n", ":1: token: 必须是一个表（[token]）"),
    ("[endpoints]\norder = []\n", ":2: endpoints.order: 为空；如果想用 hfenv 默认的候选端点，请直接去掉这一项"),
    ('[endpoints]\norder = ["hf", "hf"]\n', ":2: endpoints.order: 同一个端点出现了两次"),
    ("name = 1979-05-27\n", ":1: name: 必须是字符串，而不是日期或时间"),
], ids=["toml-header", "toml-array", "wrong-type", "unknown-key", "unknown-table-key", "unknown-name",
        "relative-path", "not-one-of", "shared-without-hub", "bad-url", "not-a-table", "empty-order", "twice",
        "date"])
def test_a_bad_profile_names_file_line_and_key_in_chinese(isolated_home, tmp_path, text, phrase):
    bad = tmp_path / "lab.toml"
    bad.write_text(text)
    chinese(hfenv("profile", "check", str(bad)), f"{bad}{phrase}", status=2)
    chinese(hfenv("setup", "--shell", "bash", "--endpoint", "hf", extra={"HFENV_PROFILE": str(bad)}),
            f"实验室配置：{bad}{phrase}", status=2)
    english = hfenv("profile", "check", str(bad), lang="en")
    assert english.returncode == 2 and f"{bad}:" in english.stderr and no_cjk(english.stderr)


def test_profiles_hfenv_cannot_read_in_chinese(isolated_home, tmp_path):
    (tmp_path / "bin.toml").write_bytes(b'name = "\xff"\n')
    chinese(hfenv("profile", "check", str(tmp_path / "bin.toml")), f"{tmp_path / 'bin.toml'}:1: 不是 UTF-8 文本",
            status=2)
    chinese(hfenv("profile", "check", str(tmp_path / "nosuch.toml")), "nosuch.toml: 文件不存在", status=2)
    os.mkfifo(tmp_path / "fifo.toml")
    chinese(hfenv("profile", "check", str(tmp_path / "fifo.toml")),
            "无法读取：是 FIFO（命名管道）；hfenv 只读取普通文件", status=2)
    chinese(hfenv("profile", "check", "http://127.0.0.1:9/p.toml"),
            "实验室配置的 URL 必须使用 https://（它决定了每个成员的下载和令牌发往哪里）", status=2)


def test_profile_show_init_and_no_profile_in_chinese(isolated_home):
    user = isolated_home / ".config" / "hfenv" / "profile.toml"
    chinese(hfenv("profile", "show"), "当前生效：无（没有实验室配置：没有指定，$HFENV_PROFILE 未设置，"
                                      f"{user} 和 /etc/hfenv/profile.toml 也都不存在）", status=0)
    chinese(hfenv("profile", "check"), "没有可检查的实验室配置（没有实验室配置：", status=2)
    chinese(hfenv("profile", "init"), f"已写入 {user}", status=0)
    chinese(hfenv("profile", "init"), f"{user} 已存在；hfenv 不会覆盖它", status=1)
    chinese(hfenv("profile", "show"), f"当前生效：{user}（用户自己的实验室配置，位于配置目录）", status=0)
    english = hfenv("profile", "show", lang="en")
    assert f"in effect: {user} (the user's profile (config directory))" in english.stdout
    report = hfenv("profile", "show", "--json")
    assert json.loads(report.stdout)["why"] == "the user's profile (config directory)"


def test_an_unreachable_profile_url_falls_back_to_the_last_good_copy_in_chinese(isolated_home):
    from hfenv import profile

    url = "https://127.0.0.1:9/lab/profile.toml"  # nothing listens on the discard port
    copy = profile.copy_path(url)
    assert str(copy).startswith(str(isolated_home))
    copy.parent.mkdir(parents=True)
    copy.write_text('name = "Lab"\n[endpoints]\norder = ["hf-mirror"]\n')
    assert copy.name == hashlib.sha256(url.encode()).hexdigest()[:16] + ".toml"
    refused = ("connection refused by 127.0.0.1:9: nothing listens there",)  # hubcheck's detail (NET's file)
    out = chinese(hfenv("profile", "show", "--profile", url),
                  f"{url} 获取失败，已改用本地副本 {copy}。原因：请求失败（", 'name = "Lab"', status=0, allowed=refused)
    assert "（无法获取（" not in out  # no brackets in brackets
    assert "当前生效：" in out and "（由 --profile 指定）" in out
    chinese(hfenv("setup", "--dry-run", "--shell", "bash", "--endpoint", "hf", "--profile", url),
            f"警告：实验室配置：{url} 获取失败", f"已改用本地副本 {copy}", status=0, allowed=refused)
    chinese(hfenv("profile", "check", url), f"{url}: 请求失败（", status=2, allowed=refused)
    english = hfenv("profile", "show", "--profile", url, lang="en")
    assert f"{url} could not be fetched (" in english.stdout and f"used the local copy {copy}" in english.stdout
    report = hfenv("profile", "show", "--profile", url, "--json")
    shown = json.loads(report.stdout)
    assert shown["note"].startswith(f"{url} could not be fetched (") and no_cjk(report.stdout + report.stderr)


# ---- Windows, faked in-process behind hfenv.host (see tests/test_persist_windows.py) ----

@pytest.fixture
def in_chinese(monkeypatch):
    """This process speaks Chinese (CliRunner's streams are UTF-8), and English again afterwards."""
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    i18n.reset()
    yield
    i18n.reset()


@pytest.fixture
def windows(isolated_home, tmp_path, monkeypatch):
    from test_persist_windows import FakeHost

    from hfenv import detect, host
    from hfenv.shells import Platform

    fake = FakeHost(programs={"pwsh": r"C:\Program Files\PowerShell\7\pwsh.exe"},
                    profiles={r"C:\Program Files\PowerShell\7\pwsh.exe": str(tmp_path / "Documents" / "profile.ps1")})
    platform = Platform("windows", isolated_home, env={"ProgramData": str(tmp_path / "ProgramData")})
    monkeypatch.setattr(detect, "current_platform", lambda env=None: platform)
    monkeypatch.setattr(host, "system_host", lambda: fake)
    return fake


def test_windows_setup_and_reset_in_chinese_golden(windows, in_chinese):
    result = run("setup", "--persist", "--shell", "cmd", "--endpoint", "hf-mirror")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "端点：hf-mirror（https://hf-mirror.com），已保存为 hfenv 的默认选择。"
    assert "新启动的程序会看到 Windows 环境变量的变化；已经打开的窗口在重新打开之前仍是旧值。\n" in result.stdout
    assert english_prose(result.stdout + result.stderr) == []
    result = run("reset", "--shell", "cmd")
    assert result.exit_code == 0 and result.stdout.startswith("已删除 hfenv setup 写入的内容：\n")


def test_windows_damaged_record_in_chinese_golden(windows, in_chinese):
    windows.registry[("HKCU", r"Software\hfenv", "Environment")] = ("{not json", 1)
    result = run("setup", "--persist", "--shell", "cmd", "--endpoint", "hf-mirror")
    assert result.exit_code == 1
    assert result.stderr == ("hfenv: HKCU\\Environment：hfenv 的记录 HKCU\\Software\\hfenv\\Environment 已损坏；"
                             "请删除它，再手工检查 HF_* 环境变量\n")


def test_windows_refusals_in_chinese_golden(windows, in_chinese):
    result = run("setup", "--system", "--endpoint", "hf-mirror")
    assert result.exit_code == 1 and result.stderr == (
        "hfenv: --system 会修改整台机器的环境变量：请在“以管理员身份运行”打开的终端中执行 `hfenv setup --system`\n")
    assert windows.registry == {}
    result = run("shell", "--shell", "cmd", "--endpoint", "hf-mirror", "--cache-dir", r"C:\hf%TEMP%")
    assert result.exit_code == 2
    assert result.stderr == "hfenv: 无法为 cmd 生成这段代码：cmd 无法在值中安全地写入 '%'；请改用 PowerShell\n"


def test_windows_setx_failures_in_chinese_golden(windows, in_chinese, monkeypatch):
    """The real SystemHost.run_setx words setx's failure; only subprocess.run is faked."""
    from hfenv import host

    def failing(argv, **kwargs):
        return subprocess.CompletedProcess(argv, 1, b"", b"ERROR: Access to the registry path is denied.\r\n")

    def hanging(argv, **kwargs):
        raise subprocess.TimeoutExpired(argv, kwargs.get("timeout"))

    monkeypatch.setattr(windows, "run_setx", host.SystemHost().run_setx)
    monkeypatch.setattr(host.subprocess, "run", failing)
    result = run("setup", "--persist", "--shell", "cmd", "--endpoint", "hf-mirror")
    assert result.exit_code == 1
    assert result.stderr == ("hfenv: 未做任何改动：HKCU\\Environment：setx 失败（1）："
                             "ERROR: Access to the registry path is denied.\n")
    setx_words = ("ERROR: Access to the registry path is denied.",)  # setx's own output, quoted
    assert english_prose(result.stderr, allowed=setx_words) == []
    monkeypatch.setattr(host.subprocess, "run", hanging)
    result = run("setup", "--persist", "--shell", "cmd", "--endpoint", "hf-mirror")
    assert result.exit_code == 1
    assert result.stderr == "hfenv: 未做任何改动：HKCU\\Environment：setx 在 30 秒内没有结束\n"
    assert windows.registry == {}


def test_a_startup_files_why_is_english_data_and_chinese_text(in_chinese, tmp_path):
    """StartupFile.why is a Msg: `hfenv detect --json` and comparisons see English, local() the user's language."""
    from hfenv.shells import SHELLS, Platform

    why = SHELLS["zsh"].startup_files(Platform("linux", tmp_path))[1].why
    assert why == "read by every zsh, also zsh -c and zsh -lc"
    assert json.dumps({"why": why}) == '{"why": "read by every zsh, also zsh -c and zsh -lc"}'
    assert i18n.local(why) == "每个 zsh 都会读取，包括 zsh -c 和 zsh -lc"
