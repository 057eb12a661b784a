"""`hfenv doctor` speaks Chinese under LANG=zh_CN.UTF-8, in every state it reports, and its --json stays English.

Each test builds one state in the sandbox HOME (startup files, a token file, a lab profile,
loopback hubs), runs the real command as a subprocess twice (text under a Chinese locale, then
--json), and checks that the text holds no English prose (tests/i18n_extract.py) but a few exact
Chinese phrases, and that the JSON holds no CJK character at all.

Proxies point at a dead loopback port and NO_PROXY covers loopback, as in test_doctor_cli.py:
the loopback servers are reached directly and nothing else is reached at all.

`allowed` (English a line may keep) is only text hfenv quotes from elsewhere: a startup file's
own line, huggingface_hub's own words, and details other modules hand doctor as data (a profile's
"why", hubcheck's and the probe's details). Those are taken from the JSON of the same state, so
nothing of doctor's own wording can hide behind them.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from i18n_extract import english_prose

from conftest import hfenv_process, need_program, run, subprocess_env
from hubserver import LARGE_FILES, dead_url

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
MIRROR = "https://hf-mirror.com"
# `--candidate http://...` warns through hfenv.endpoints.check_url (not doctor's words; translated there).
PLAIN_HTTP_CANDIDATE = "uses plain http: traffic (and any token) travels unencrypted"


@pytest.fixture
def base_env(isolated_home):
    """The environment of the subprocesses: the sandbox HOME, no locale but the one a test sets,
    proxies at a dead loopback port, loopback direct."""
    blackhole = dead_url()
    return subprocess_env(HOME=str(isolated_home), HTTP_PROXY=blackhole, HTTPS_PROXY=blackhole,
                          ALL_PROXY=blackhole, NO_PROXY="127.0.0.1,localhost")


def doctor(env: dict, *args: str, lang: str = "zh_CN.UTF-8") -> subprocess.CompletedProcess:
    return hfenv_process("doctor", *args, env={**env, "LANG": lang}, timeout=180)


def quoted(data: dict) -> list[str]:
    """What the report quotes from elsewhere, in English (from the JSON of the same state): details other
    modules hand doctor as data, and huggingface_hub's own messages."""
    facts = data["facts"]
    found = [facts.get("lab", {}).get("why")]
    endpoint = facts.get("endpoint") or {}
    found.append(endpoint.get("detail"))
    found += [r.get("detail") for r in (facts.get("probe") or {}).get("results", [])]
    found.append((facts.get("new_shells_endpoint") or {}).get("detail"))
    large = facts.get("large_files") or {}
    found += [large.get("detail"), large.get("xet_error"), (large.get("reach") or {}).get("detail"),
              (large.get("xet_reach") or {}).get("detail")]
    for _kind, message in (facts.get("download") or {}).get("chain", []):
        found += [line.strip() for line in message.splitlines()]
    found = [text for text in found if text]
    found += [re.split(r"[0-9]", text)[0] for text in found]  # a timing in it may differ between the two runs
    return sorted({text for text in found if len(text) > 8}, key=len, reverse=True)


# Where the report shows hubcheck's and the probe's details: "{endpoint} 不可用：{status}：{detail}",
# "测试了 {name}（{url}）：{status}, N ms; {detail}". A timeout's wording depends on timing, so the JSON
# run may word it differently: the detail in those slots is taken from the text itself.
SLOTS = (re.compile(r"不可用：[a-z_]+：(.+)$", re.M), re.compile(r"测试了 .+?）：[a-z_]+(?:, \d+ ms)?; (.+)$", re.M))


def detail_slots(text: str) -> list[str]:
    return [m.group(1) for pattern in SLOTS for m in pattern.finditer(text)]


def check(env: dict, *args: str, expect: tuple[str, ...], status: int | None = None,
          allowed: tuple[str, ...] = ()) -> tuple[str, dict]:
    """doctor ARGS in Chinese, then with --json: the text has no English prose and the phrases
    `expect`; the JSON (same state) has no CJK character. Returns (the text, the JSON)."""
    as_json = doctor(env, *args, "--json")
    assert not CJK.findall(as_json.stdout + as_json.stderr), as_json.stdout
    data = json.loads(as_json.stdout)
    done = doctor(env, *args)
    text = done.stdout + done.stderr
    assert done.returncode == as_json.returncode == data["exit_status"], text
    if status is not None:
        assert done.returncode == status, text
    allowed = (*allowed, *quoted(data), *detail_slots(text))
    left = english_prose(text, allowed=allowed)
    assert left == [], "English left in the Chinese report:\n" + "\n".join(left) + f"\n\n{text}\nallowed: {allowed}"
    for phrase in expect:
        assert phrase in text, f"{phrase!r} not in:\n{text}"
    return text, data


def setup_persist(shell: str, endpoint: str = "hf-mirror") -> None:
    result = run("setup", "--persist", "--shell", shell, "--endpoint", endpoint)
    assert result.exit_code == 0, result.output


# ---- layers: where HF_ENDPOINT is set --------------------------------------------------------


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_nothing_set(base_env):
    text, data = check(base_env, "--offline", "--shell", "bash", status=0,
                       expect=("哪里都没有设置 HF_ENDPOINT", "未检查（--offline）", "结论：无需处理（退出状态 0）"))
    assert data["findings"][0]["message"].startswith("HF_ENDPOINT is set nowhere")


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_setup_done_and_this_shell_predates_it(base_env, shell):
    setup_persist(shell)
    text, data = check(base_env, "--offline", "--shell", shell, status=0,
                       expect=("但当前 shell 中没有", "新终端使用 hf-mirror（https://hf-mirror.com）",
                               "修复：打开一个新终端，或者在当前终端运行 `", "hfenv 保存的选择：hf-mirror"))
    assert "layers.not-in-process" in [f["code"] for f in data["findings"]]


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_setup_done_and_this_shell_has_it(base_env):
    setup_persist("bash")
    check({**base_env, "HF_ENDPOINT": MIRROR}, "--offline", "--shell", "bash", status=0,
          expect=("当前 shell、~/.profile:3 和 ~/.bashrc:3 一致：https://hf-mirror.com", "hfenv 的配置块"))


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_a_blog_post_line_overrides_hfenvs_block(base_env, isolated_home):
    setup_persist("bash")
    line = 'export HF_ENDPOINT="https://hub.lab.example"  # from a blog post'
    with open(isolated_home / ".bashrc", "a") as fh:
        fh.write(line + "\n")
    text, data = check({**base_env, "HF_ENDPOINT": MIRROR}, "--offline", "--shell", "bash", status=1,
                       expect=("但 bash 最后读取的 ~/.bashrc:5 把它设置为 https://hub.lab.example",
                               "之后读取的 ~/.bashrc:5 覆盖了它", "在 hfenv 的配置块之外",
                               "要在这里使用 https://hub.lab.example："))
    codes = [f["code"] for f in data["findings"]]
    assert "layers.process-differs" in codes and "layers.overridden" in codes


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_startup_files_that_disagree(base_env, isolated_home):
    (isolated_home / ".bashrc").write_text(f"export HF_ENDPOINT={MIRROR}\n")
    (isolated_home / ".zshrc").write_text("export HF_ENDPOINT=https://hub.lab.example\n")
    text, data = check(base_env, "--offline", "--shell", "bash", status=1,
                       expect=("启动文件的设置互相矛盾", "~/.bashrc:1 设置为 https://hf-mirror.com",
                               "需要手动修改", "只保留一个："))
    assert "layers.files-disagree" in [f["code"] for f in data["findings"]]


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_a_line_that_does_not_export(base_env, isolated_home):
    (isolated_home / ".bashrc").write_text("HF_ENDPOINT=https://hf-mirror.com\n")
    fish = isolated_home / ".config" / "fish" / "config.fish"
    fish.parent.mkdir(parents=True)
    fish.write_text("set -g HF_ENDPOINT https://hf-mirror.com\n")
    text, data = check(base_env, "--offline", "--shell", "bash",
                       expect=("给 HF_ENDPOINT 赋值为 https://hf-mirror.com，但没有导出：它只在 bash 内部有效",
                               "修复：改写成 `export HF_ENDPOINT=", "它只在 fish 内部有效"))
    codes = {f["code"] for f in data["findings"]}
    assert "layers.not-exported" in codes
    # fish does not export a `set -g` line either: no shell's programs see it (measured with fish 3.6).
    assert "layers.other-shells-only" not in codes


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_lines_computed_unset_repeated_and_malformed(base_env, isolated_home):
    (isolated_home / ".profile").write_text("export HF_ENDPOINT=hf-mirror.com\n"
                                            "export HF_ENDPOINT=https://hf-mirror.com/\n")
    (isolated_home / ".bashrc").write_text("HF_ENDPOINT=https://hf-mirror.com\n")
    (isolated_home / ".zshrc").write_text('export HF_ENDPOINT="$(cat ~/.mirror)"\nunset HF_ENDPOINT\n')
    text, data = check(base_env, "--offline", "--shell", "bash", status=1,
                       allowed=("$(cat ~/.mirror)",),
                       expect=("设置的值格式有误", "缺少协议（scheme）", "以斜杠结尾", "多次给 HF_ENDPOINT 赋值",
                               "在 shell 启动时才计算 HF_ENDPOINT", "取消设置了 HF_ENDPOINT（读取者：zsh）",
                               "，由另一行导出"))
    codes = {f["code"] for f in data["findings"]}
    assert {"layers.malformed", "layers.same-file-twice", "layers.dynamic", "layers.unsets"} <= codes


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_a_malformed_value_in_this_process(base_env):
    check({**base_env, "HF_ENDPOINT": " https://hf-mirror.com"}, "--offline", "--shell", "bash", status=1,
          expect=("前后有空格", "去掉空格，写成：https://hf-mirror.com"))


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_this_shell_only_and_a_damaged_config(base_env, isolated_home):
    config = isolated_home / ".config" / "hfenv" / "config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[1]")
    check({**base_env, "HF_ENDPOINT": MIRROR}, "--offline", "--shell", "bash", status=1,
          expect=("只在当前 shell 中设置", "hfenv 的配置文件已损坏"))


# ---- token, lab --------------------------------------------------------------------------------


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_a_token_file(base_env, isolated_home):
    token = isolated_home / ".cache" / "huggingface" / "token"
    token.parent.mkdir(parents=True, exist_ok=True)
    token.write_text("hf_" + "a1B2c3D4e5" * 3 + "abcd\n")
    text, data = check(base_env, "--offline", "--shell", "bash", status=0,
                       expect=(f"来自 令牌文件 {token}（不会显示它的值）", "未检查是否有效（--offline）"))
    assert data["facts"]["token"]["source"].startswith("the token file ")
    assert "a1B2c3D4" not in text


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_a_token_path_that_is_a_directory(base_env, isolated_home):
    check({**base_env, "HF_TOKEN_PATH": str(isolated_home)}, "--offline", "--shell", "bash", status=1,
          expect=("不是普通文件（而是 FIFO、设备或目录）",))


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_a_lab_profile_whose_shared_cache_has_the_wrong_mode(base_env, tmp_path):
    cache = tmp_path / "shared"
    cache.mkdir()
    cache.chmod(0o755)
    profile = tmp_path / "lab.toml"
    profile.write_text(f'name = "Vision Lab"\n[cache]\nhub = "{cache}"\nshared = true\n'
                       f'[network]\nca_bundle = "{tmp_path / "missing.pem"}"\n')
    text, data = check({**base_env, "HFENV_PROFILE": str(profile)}, "--offline", "--shell", "bash", status=1,
                       allowed=("'Vision Lab'",),
                       expect=("既不是组可写的，也没有 setgid（权限 0755", "修复：chmod 2775 ",
                               "实验室配置要求", "；新 shell 中没有设置", "CA 证书文件", "不存在：经由实验室代理"))
    lab = data["facts"]["lab"]
    assert lab["shared_cache"]["problem"].startswith("is not group-writable and setgid (mode 0755")
    assert lab["ca_problem"] == "does not exist"


# ---- the network: loopback hubs -------------------------------------------------------------------


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_download_through_a_working_hub(serve, base_env):
    hub = serve("hub", large_files=LARGE_FILES)
    text, data = check({**base_env, "HF_ENDPOINT": hub.url}, "--shell", "bash", "--download", status=0,
                       expect=(f"{hub.url} 的应答和 Hub 一致", "大文件由 127.0.0.1:", "自己提供",
                               f"huggingface_hub 通过 {hub.url} 下载了 openai-community/gpt2/config.json（76 字节）"))
    assert "download.ok" in [f["code"] for f in data["findings"]]


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_download_through_a_captive_portal_fails(serve, base_env):
    portal = serve("portal")
    text, data = check({**base_env, "HF_ENDPOINT": portal.url}, "--shell", "bash", "--download",
                       "--only", "--candidate", f"wifi={portal.url}", status=1, allowed=(PLAIN_HTTP_CANDIDATE,),
                       expect=("不可用：not_a_hub", "应答中没有 X-Repo-Commit 头", "huggingface_hub 的原话：",
                               "从这里哪个 Hugging Face 端点都用不了", "备选方案：ModelScope"))
    assert "download.failed" in [f["code"] for f in data["findings"]]


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_an_endpoint_that_times_out_and_another_that_works(serve, base_env):
    stalled, hub = serve("swallow"), serve("hub")
    text, data = check({**base_env, "HF_ENDPOINT": stalled.url}, "--shell", "bash", "--download", "--timeout", "1",
                       "--only", "--candidate", f"lab={hub.url}", status=1, allowed=(PLAIN_HTTP_CANDIDATE,),
                       expect=("不可用：timeout", f"换成从这里可用的 lab（{hub.url}）", "测试了 lab",
                               "未运行：端点检查已经失败（timeout）"))
    assert "endpoint.unusable" in [f["code"] for f in data["findings"]]


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_right_after_setup_the_old_shell_still_uses_a_blocked_hub(serve, base_env):
    hub = serve("hub", large_files=LARGE_FILES)
    setup_persist("bash", hub.url)
    text, data = check(base_env, "--shell", "bash", "--only", "--candidate", f"lab={hub.url}", status=0,
                       allowed=(PLAIN_HTTP_CANDIDATE,),
                       expect=("不过这只影响当前 shell：新终端使用的是 lab（", "从这里可以用",
                               "修复：打开一个新终端，或者在当前终端运行 `eval \"$(hfenv shell --shell bash)\"`"))
    assert [f["level"] for f in data["findings"] if f["code"] == "endpoint.unusable"] == ["warn"]


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_after_setting_up_a_dead_mirror(serve, base_env):
    hub, dead = serve("hub"), dead_url()
    setup_persist("bash", dead)
    check(base_env, "--shell", "bash", "--only", "--candidate", f"good={hub.url}", status=1,
          allowed=(PLAIN_HTTP_CANDIDATE,),
          expect=(f"新终端会得到 {dead}，但它从这里不可用（见端点检查）", f"换成从这里可用的 good（{hub.url}）"))


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_the_large_file_host_cannot_be_reached(serve, base_env):
    gone = dead_url()
    hub = serve("hub", large_files=LARGE_FILES, lfs_redirect=gone)
    text, data = check({**base_env, "HF_ENDPOINT": hub.url}, "--shell", "bash", status=1,
                       expect=(f"大文件来自 {gone.split('//')[1]}，但连不上它", "重定向到",
                               "否则请换一个自己提供大文件的端点"))
    assert "large_files.unreachable" in [f["code"] for f in data["findings"]]


@pytest.mark.slow  # doctor and its client interpreter, as subprocesses
def test_git_rules_and_english_on_request(base_env, isolated_home):
    need_program("git")
    subprocess.run(["git", "config", "--global", "url.https://hub.lab.example/.insteadOf", "https://huggingface.co/"],
                   check=True, env=base_env, timeout=30)
    check({**base_env, "HF_ENDPOINT": MIRROR}, "--offline", "--shell", "bash",
          expect=("会走 https://hub.lab.example，但 HF_ENDPOINT 是 https://hf-mirror.com",))
    english = doctor({**base_env, "HFENV_LANG": "en"}, "--offline", "--shell", "bash")
    assert "Where HF_ENDPOINT is set" in english.stdout and not CJK.findall(english.stdout)


# ---- in-process: what no subprocess here can reach (Windows), and data rendered where it is shown ----


@pytest.fixture
def chinese(monkeypatch):
    """This process speaks Chinese (as under LANG=zh_CN.UTF-8 on a UTF-8 console)."""
    import io
    import sys

    from hfenv import i18n

    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    for name in ("LC_ALL", "LC_MESSAGES", "HFENV_LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))
    monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))
    i18n.reset()
    yield
    i18n.reset()


def report_text(findings) -> str:
    return "\n".join(f"{f.message}\n{f.fix or ''}" for f in findings)


def test_windows_values_in_chinese_and_their_json_in_english(chinese):
    from hfenv import doctor, i18n, persist
    from hfenv.doctor.layers import read_windows_environment

    class Registry:
        def read_value(self, hive, key, name):
            if (hive, key) == persist.USER_ENVIRONMENT:
                raise PermissionError(13, "Access is denied")
            return ("https://hub.lab.example", 1)

    settings, problems = read_windows_environment(Registry())
    found = doctor.judge_layers(settings, None, "powershell", None, None, problems, "windows")
    text = report_text(found)
    assert english_prose(text, allowed=("Access is denied",)) == [], text
    assert "Windows 系统环境变量：https://hub.lab.example（所有新启动的程序）" in text
    assert "无法读取 HKEY_LOCAL_MACHINE" not in text and "Windows 用户环境变量：无法读取 " in text
    assert "打开一个新终端（已经打开的窗口仍保留旧的环境）" in text
    # The facts stay English: the label is data (--json), whatever the language shown.
    assert settings[0].to_json()["label"] == "Windows machine environment"
    i18n.use_english()
    found = doctor.judge_layers(settings, None, "powershell", None, None, problems, "windows")
    assert not CJK.findall(json.dumps([f.to_json() for f in found], ensure_ascii=False))


def test_details_handed_over_as_msgs_are_shown_in_chinese(chinese):
    """hubcheck's and the probe's details are Msgs (English data): doctor renders them where it shows them."""
    from hfenv.doctor import judge_large_files
    from hfenv.doctor.endpoint import EndpointFacts
    from hfenv.doctor.endpoint import judge as judge_endpoint
    from hfenv.doctor.layers import LayerFacts
    from hfenv.i18n import Msg

    detail = Msg("URL has no host")  # any Msg the catalog knows
    facts = {"file": "openai-community/gpt2/model.safetensors", "checked": True, "kind": "error", "detail": detail}
    [unknown] = judge_large_files(facts, "https://hub.lab.example", "https://huggingface.co", {})
    assert "URL 中没有主机名" in unknown.message and "URL has no host" not in unknown.message
    assert facts["detail"] == "URL has no host"  # the data itself is unchanged

    class Ctx:
        def of(self, kind):
            return LayerFacts(None, "bash", [], [], None, None, {}, {})

    check = {"url": "https://hub.lab.example", "status": "not_a_hub", "detail": detail, "ok": False}
    found = judge_endpoint(Ctx(), EndpointFacts("https://hub.lab.example", check=check, probed=True))
    assert "不可用：not_a_hub：URL 中没有主机名" in found[0].message
    assert english_prose(report_text(found)) == []


def test_the_shared_cache_problem_is_english_data_and_chinese_where_shown(chinese):
    from hfenv import sharedcache
    from hfenv.doctor import lab

    facts = sharedcache.CacheFacts("/data/hf", True, True, 0o755, 1000, "lab")
    problem = sharedcache.judge(facts)
    assert problem == ("is not group-writable and setgid (mode 0755, group lab): chmod 2775 /data/hf (and chgrp "
                       "YOURGROUP /data/hf to share it with another group than lab)")
    assert problem.startswith("is not")  # compared by text elsewhere: the English value
    what, fix = sharedcache.split(problem)
    assert what == "既不是组可写的，也没有 setgid（权限 0755，属组 lab）"
    assert fix.startswith("chmod 2775 /data/hf（要和 lab 以外的组共享")
    cache = lab.SharedCacheFacts("/data/hf", True, True, "0755", "lab", problem, False, False, None)
    [finding] = [f for f in lab.judge_lab(lab.LabFacts("/etc/hfenv/profile.toml", "x", cache=cache))
                 if f.code == "lab.shared-cache"]
    assert finding.message == "共享缓存 /data/hf 既不是组可写的，也没有 setgid（权限 0755，属组 lab）"
    assert sharedcache.split(sharedcache.judge(sharedcache.CacheFacts("/x", True, False))) == ("不是目录", None)
    missing = sharedcache.judge(sharedcache.CacheFacts("/x", False))
    assert missing == "does not exist; create it: mkdir -p /x && chmod 2775 /x"
    assert sharedcache.split(missing) == ("不存在；请创建它", "mkdir -p /x && chmod 2775 /x")


def test_the_client_scripts_words_are_translated_where_shown(chinese):
    """client_script.py runs in another interpreter: its answer is data, rendered by doctor."""
    from hfenv.doctor.tokens import judge_token, token_state

    answer = {"token_source": None, "token_present": [], "token_blank": [], "token_path": "/h/token",
              "token_file_problem": "/h/token is not a regular file (a FIFO, a device or a directory)"}
    state = token_state(answer, {})
    assert state.file_problem == answer["token_file_problem"]  # English data
    found = judge_token(state, "https://huggingface.co", "https://huggingface.co", {}, None, None)
    text = report_text(found)
    assert "令牌文件/h/token 不是普通文件（而是 FIFO、设备或目录）" in text and english_prose(text) == []
    state = token_state({"token_source": "the token file /h/token", "token_present": ["the token file /h/token",
                                                                                     "$HF_TOKEN"]}, {})
    assert state.to_json()["source"] == "the token file /h/token"
    found = judge_token(state, "https://huggingface.co", "https://huggingface.co", {}, None, "x")
    text = report_text(found)
    assert "已设置令牌，来自 令牌文件 /h/token" in text and "$HF_TOKEN 中也有令牌；以 令牌文件 /h/token 为准" in text
    assert english_prose(text) == [], text
