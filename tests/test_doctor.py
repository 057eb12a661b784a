"""hfenv.doctor's pure parts: values, startup lines, layers, token, errors, redaction, the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfenv import doctor, persist, render, shells, startup
from hfenv.blocks import HASH_MARKERS
from hfenv.doctor import Finding, Report, Setting
from hfenv.doctor.storage import CacheDir
from hfenv.endpoints import Endpoint

MIRROR = "https://hf-mirror.com"
LAB = "https://hub.lab.example"


def codes(findings, level=None):
    return [f.code for f in findings if level is None or f.level == level]


def only(findings, code):
    [found] = [f for f in findings if f.code == code]
    return found


# ---- values ---------------------------------------------------------------------


@pytest.mark.parametrize("raw, level, words", [
    ("", "error", "empty"),
    (" https://hf-mirror.com", "error", "spaces"),
    ("https://hf-mirror.com ", "error", "spaces"),
    ("hf-mirror.com", "error", "no scheme"),
    ("https://hf-mirror.com/", "error", "`//` URLs"),
    ("ftp://hf-mirror.com", "error", "scheme 'ftp'"),
    ("https://user:pw@hf-mirror.com", "error", "user:password"),
    ("http://10.0.0.5:8080", "warn", "plain http"),
])
def test_malformed_values_are_explained(raw, level, words):
    found_level, reason, fix = doctor.value_problem(raw)
    assert found_level == level
    assert words in reason
    assert fix


def test_good_values_have_no_problem():
    for raw in (MIRROR, "https://huggingface.co", "https://hub.lab.example:8443/hf"):
        assert doctor.value_problem(raw) is None
    assert doctor.value_problem("hf-mirror.com")[2] == "write https://hf-mirror.com"
    assert doctor.value_problem("https://hf-mirror.com/")[2] == "write https://hf-mirror.com"


# ---- startup lines ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(shells.SHELLS))
@pytest.mark.parametrize("key", ["set", "persist"])
def test_every_line_hfenv_writes_is_read_back(name, key):
    shell = shells.get(name)
    value = "https://hub.lab.example:8443/hf-mirror"
    [line] = render.render_lines(shell, [("HF_ENDPOINT", value)], key=key)
    assert startup.parse_line(line, shell.syntax) == [("set", value, False, True)]  # exported
    [unset] = render.render_lines(shell, [("HF_ENDPOINT", None)])
    assert startup.parse_line(unset, shell.syntax) == [("unset", None, False, None)]


@pytest.mark.parametrize("syntax, line, expected", [
    ("posix", 'export HF_ENDPOINT="https://hf-mirror.com"', [("set", MIRROR, False, True)]),
    ("posix", "export HF_ENDPOINT=https://hf-mirror.com  # the mirror", [("set", MIRROR, False, True)]),
    ("posix", "declare -x HF_ENDPOINT='https://hf-mirror.com'", [("set", MIRROR, False, True)]),
    ("posix", "export HF_HOME=/data/hf HF_ENDPOINT=https://hf-mirror.com", [("set", MIRROR, False, True)]),
    ("posix", "export HF_HOME=/data/hf; export HF_ENDPOINT=https://hf-mirror.com", [("set", MIRROR, False, True)]),
    # Without export, a shell variable: exported only if an earlier line exported the name.
    ("posix", "HF_ENDPOINT=https://hf-mirror.com", [("set", MIRROR, False, None)]),
    ("posix", "HF_ENDPOINT=https://hf-mirror.com; export HF_ENDPOINT",
     [("set", MIRROR, False, None), ("export", None, False, True)]),
    ("posix", "HF_ENDPOINT=https://hf-mirror.com python train.py", []),  # that command's environment only
    ("posix", 'export HF_ENDPOINT="${MIRROR:-https://hf-mirror.com}"',
     [("set", "${MIRROR:-https://hf-mirror.com}", True, True)]),
    ("posix", "export HF_ENDPOINT=$(cat ~/.mirror)", [("set", "$(cat ~/.mirror)", True, True)]),
    ("posix", "echo $HF_ENDPOINT", []),
    ("posix", "export HF_ENDPOINT", [("export", None, False, True)]),
    ("posix", "unset HF_ENDPOINT", [("unset", None, False, None)]),
    ("environment", "HF_ENDPOINT=https://hf-mirror.com", [("set", MIRROR, False, True)]),  # /etc/environment
    ("environment", "HF_ENDPOINT DEFAULT=https://hf-mirror.com", [("set", MIRROR, False, True)]),  # pam
    ("fish", "set -gx HF_ENDPOINT https://hf-mirror.com", [("set", MIRROR, False, True)]),
    ("fish", "set --export --global HF_ENDPOINT https://hf-mirror.com", [("set", MIRROR, False, True)]),
    ("fish", "set -g HF_ENDPOINT https://hf-mirror.com", [("set", MIRROR, False, None)]),
    ("fish", "set -l HF_ENDPOINT https://hf-mirror.com", []),
    ("fish", "set -e HF_ENDPOINT", [("unset", None, False, None)]),
    ("csh", "setenv HF_ENDPOINT https://hf-mirror.com", [("set", MIRROR, False, True)]),
    ("csh", "set HF_ENDPOINT = https://hf-mirror.com", []),  # a csh shell variable is never exported
    ("powershell", "$Env:HF_ENDPOINT = \"https://hf-mirror.com\"", [("set", MIRROR, False, True)]),
])
def test_parse_line(syntax, line, expected):
    assert startup.parse_line(line, syntax) == expected


def test_read_settings_tells_inside_from_outside_the_block(isolated_home):
    rc = isolated_home / ".bashrc"
    rc.write_text("# >>> hfenv >>>\nexport HF_ENDPOINT='https://hf-mirror.com'\n# <<< hfenv <<<\n"
                  "alias ll='ls -l'\n# export HF_ENDPOINT=commented\nexport HF_ENDPOINT=https://hub.lab.example\n")
    places = [startup.StartupPlace(rc, ("bash",), HASH_MARKERS, True)]
    settings, problems = doctor.read_settings(places, isolated_home)
    assert problems == []
    assert [(s.label, s.value, s.in_block) for s in settings] == [
        ("~/.bashrc:2", MIRROR, True), ("~/.bashrc:6", LAB, False)]
    found = doctor.judge_layers(settings, LAB, "bash", None, None, [], "linux")
    assert "layers.same-file-twice" in codes(found, "warn")
    places_found = [f.message for f in found if f.code == "layers.place"]
    assert places_found == [f"~/.bashrc:2 (hfenv's block; read by bash): {MIRROR}",
                            "~/.bashrc:6 (outside hfenv's block: `hfenv setup`/`reset` leave this line alone; "
                            f"read by bash): {LAB}"]


def test_read_settings_reports_broken_markers_without_failing(isolated_home):
    rc = isolated_home / ".bashrc"
    rc.write_text("# >>> hfenv >>>\nexport HF_ENDPOINT=https://hf-mirror.com\n# >>> hfenv >>>\n")
    settings, problems = doctor.read_settings([startup.StartupPlace(rc, ("bash",), HASH_MARKERS, True)],
                                              isolated_home)
    assert [s.value for s in settings] == [MIRROR]
    [(label, problem)] = problems
    assert label == "~/.bashrc" and "line" in problem


def layers_of(home, root, process, shell="bash"):
    from hfenv.detect import current_platform

    settings, problems = doctor.read_settings(startup.startup_places(current_platform(), None, root), home)
    return settings, doctor.judge_layers(settings, process, shell, None, None, problems, "linux")


def test_a_bare_assignment_is_not_exported(isolated_home, tmp_path):
    (isolated_home / ".bashrc").write_text(f"HF_ENDPOINT={MIRROR}\n")
    settings, found = layers_of(isolated_home, tmp_path / "root", None)
    assert codes(found, "error") == []  # a new terminal's programs do not get it: nothing to "open" for
    warning = only(found, "layers.not-exported")
    assert "~/.bashrc:1 assigns HF_ENDPOINT=https://hf-mirror.com without exporting it" in warning.message
    assert warning.fix == f"write `export HF_ENDPOINT='{MIRROR}'` instead"
    # Exported on a later line, it is what new shells get.
    (isolated_home / ".bashrc").write_text(f"HF_ENDPOINT={MIRROR}\nexport HF_ENDPOINT\n")
    settings, found = layers_of(isolated_home, tmp_path / "root", None)
    assert "set in ~/.bashrc:1 but not in this shell" in only(found, "layers.not-in-process").message


def test_fish_set_without_x_is_not_exported(isolated_home, tmp_path):
    conf = isolated_home / ".config" / "fish" / "config.fish"
    conf.parent.mkdir(parents=True)
    conf.write_text(f"set -g HF_ENDPOINT {MIRROR}\n")
    settings, found = layers_of(isolated_home, tmp_path / "root", None, "fish")
    assert codes(found, "error") == [] and "layers.not-exported" in codes(found, "warn")
    assert "set -gx HF_ENDPOINT" in only(found, "layers.not-exported").fix


def test_etc_environment_exports_a_bare_assignment(isolated_home, tmp_path):
    (tmp_path / "root" / "etc").mkdir(parents=True)
    (tmp_path / "root" / "etc" / "environment").write_text(f'PATH="/usr/bin"\nHF_ENDPOINT="{MIRROR}"\n')
    settings, found = layers_of(isolated_home, tmp_path / "root", MIRROR)
    assert codes(found, "error") == [] and "layers.agree" in codes(found, "ok")


def test_every_assignment_of_an_export_line_counts(isolated_home, tmp_path):
    (isolated_home / ".bashrc").write_text(f"export HF_HOME=/data/hf HF_ENDPOINT={MIRROR}\n")
    settings, found = layers_of(isolated_home, tmp_path / "root", None)
    assert f"new terminals use {MIRROR}" in only(found, "layers.not-in-process").message


def test_the_file_read_last_wins(isolated_home, tmp_path):
    profile_d = tmp_path / "root" / "etc" / "profile.d"
    profile_d.mkdir(parents=True)
    (profile_d / "lab.sh").write_text(f"export HF_ENDPOINT={LAB}\n")
    (isolated_home / ".bashrc").write_text(f"export HF_ENDPOINT={MIRROR}\n")
    settings, found = layers_of(isolated_home, tmp_path / "root", MIRROR)
    assert [s.label for s in settings] == [f"{profile_d}/lab.sh:1", "~/.bashrc:1"]  # system files first
    assert codes(found, "error") == []
    assert only(found, "layers.agree").message == f"this shell and ~/.bashrc:1 agree: {MIRROR}"
    overridden = only(found, "layers.overridden")
    assert overridden.level == "info" and overridden.message.startswith(f"{profile_d}/lab.sh:1 sets {LAB}, but "
                                                                        "~/.bashrc:1, read later, overrides it")
    settings, found = layers_of(isolated_home, tmp_path / "root", LAB)
    assert codes(found, "warn") == ["layers.process-differs"]  # no saved choice: the files are the intent
    assert "~/.bashrc:1, read last by bash" in only(found, "layers.process-differs").message
    # A file that only zsh reads does disagree: new zsh shells would use another endpoint.
    (isolated_home / ".zshrc").write_text(f"export HF_ENDPOINT={LAB}\n")
    settings, found = layers_of(isolated_home, tmp_path / "root", MIRROR)
    assert codes(found, "error") == ["layers.files-disagree"]


def test_the_eval_hint_quotes_the_value_for_the_shell():
    assert doctor._eval_hint("bash", "https://x.example/a b", None) == \
        "eval \"$(hfenv shell --endpoint 'https://x.example/a'\\ 'b' --shell bash)\""
    assert doctor._eval_hint("fish", MIRROR, None) == f"hfenv shell --endpoint {MIRROR} --shell fish | source"


def test_set_for_another_shell_but_this_one_has_it_only_in_the_process():
    found = doctor.judge_layers([file_setting("~/.zshrc:2", MIRROR, ("zsh",))], MIRROR, "bash", None, None, [],
                                "linux")
    error = only(found, "layers.not-for-this-shell")
    assert "none of the startup files of bash, your shell, exports it (only ~/.zshrc:2)" in error.message
    assert error.fix == f"`hfenv setup --persist --shell bash --endpoint {MIRROR}`"


def test_startup_places_are_the_targets_persist_writes(isolated_home):
    from hfenv.detect import current_platform

    platform = current_platform()
    places = startup.startup_places(platform, None, isolated_home / "root")
    targets = {str(p.path) for p in places if p.hfenv_target}
    for shell in shells.SHELLS.values():
        for target in persist.shell_targets(shell, platform, None):
            assert str(target.path) in targets
    bashrc = next(p for p in places if p.path == isolated_home / ".bashrc")
    profile = next(p for p in places if p.path == isolated_home / ".profile")
    assert bashrc.shells == ("bash",) and set(profile.shells) == {"bash", "sh"}


# ---- layers (pure) -----------------------------------------------------------------


def file_setting(label, value, shells_=("bash",), in_block=True):
    return Setting("file", label, value, path=label.split(":")[0], line=int(label.split(":")[1]),
                   in_block=in_block, shells=shells_, hfenv_target=True)


def test_layers_agree():
    settings = [file_setting("~/.bashrc:2", MIRROR), file_setting("~/.profile:2", MIRROR, ("bash", "sh"))]
    found = doctor.judge_layers(settings, MIRROR, "bash", Endpoint("hf-mirror", MIRROR), None, [], "linux")
    assert codes(found, "error") == [] and codes(found, "warn") == []
    assert only(found, "layers.agree").message == f"this shell, ~/.bashrc:2 and ~/.profile:2 agree: {MIRROR}"


def test_set_in_a_startup_file_but_not_in_this_shell():
    found = doctor.judge_layers([file_setting("~/.bashrc:2", MIRROR)], None, "bash",
                                Endpoint("hf-mirror", MIRROR), None, [], "linux")
    error = only(found, "layers.not-in-process")
    assert error.level == "warn"  # new shells get the saved choice: this one just predates it
    assert "set in ~/.bashrc:2 but not in this shell" in error.message
    assert error.fix == 'open a new terminal, or run `eval "$(hfenv shell --shell bash)"` in this one'


def test_the_fix_names_the_endpoint_when_the_saved_choice_differs():
    found = doctor.judge_layers([file_setting("~/.bashrc:2", MIRROR)], None, "bash", None, None, [], "linux")
    assert f'eval "$(hfenv shell --endpoint {MIRROR} --shell bash)"' in only(found, "layers.not-in-process").fix


def test_process_differs_from_the_files():
    found = doctor.judge_layers([file_setting("~/.bashrc:2", MIRROR)], LAB, "bash", None, None, [], "linux")
    error = only(found, "layers.process-differs")
    assert f"this shell has HF_ENDPOINT={LAB}, but ~/.bashrc:2, read last by bash, sets {MIRROR}" in error.message
    assert f"hfenv setup --persist --endpoint {LAB}" in error.fix


def test_two_files_disagree():
    settings = [file_setting("~/.bashrc:2", MIRROR), file_setting("~/.zshrc:9", LAB, ("zsh",), in_block=False)]
    found = doctor.judge_layers(settings, MIRROR, "bash", None, None, [], "linux")
    error = only(found, "layers.files-disagree")
    assert f"~/.bashrc:2 sets {MIRROR}; ~/.zshrc:9 sets {LAB}" in error.message
    assert "~/.zshrc:9" in error.fix and "by hand" in error.fix


def test_set_for_another_shell_only():
    found = doctor.judge_layers([file_setting("~/.bashrc:2", MIRROR)], None, "zsh", None, None, [], "linux")
    error = only(found, "layers.other-shells-only")
    assert "not for zsh" in error.message
    assert "hfenv setup --persist --shell zsh" in error.fix


def test_set_in_this_shell_only_is_a_warning():
    found = doctor.judge_layers([], MIRROR, "bash", None, None, [], "linux")
    assert codes(found, "error") == []
    assert only(found, "layers.process-only").fix == f"to keep it: `hfenv setup --persist --endpoint {MIRROR}`"


def test_trailing_slash_in_the_process_does_not_count_as_disagreeing():
    found = doctor.judge_layers([file_setting("~/.bashrc:2", MIRROR)], MIRROR + "/", "bash", None, None, [],
                                "linux")
    assert "layers.agree" in codes(found)


def test_saved_choice_that_differs_is_a_warning():
    found = doctor.judge_layers([], None, "bash", Endpoint("hf-mirror", MIRROR), None, [], "linux")
    assert only(found, "layers.saved-differs").level == "warn"
    assert "layers.unset" in codes(found, "ok")
    found = doctor.judge_layers([file_setting("~/.bashrc:2", MIRROR)], None, "bash", Endpoint("hf-mirror", MIRROR),
                                None, [], "linux")
    assert "layers.saved-differs" not in codes(found)  # the process lags behind the files: said once


def test_an_interpreter_without_huggingface_hub():
    found = doctor.judge_client({"python": "/venv/bin/python", "error": "ModuleNotFoundError: No module named "
                                 "'huggingface_hub'"}, {})
    error = only(found, "client.unavailable")
    assert error.fix == "install it for that Python: `/venv/bin/python -m pip install -U huggingface_hub`"


def test_malformed_value_in_a_file_is_an_error():
    found = doctor.judge_layers([file_setting("~/.bashrc:2", "hf-mirror.com")], "hf-mirror.com", "bash",
                                None, None, [], "linux")
    assert "no scheme" in only(found, "layers.malformed").message


class RegistryHost:
    """The part of persist's host seam that doctor reads: registry values."""

    def __init__(self, values):
        self.values = values

    def read_value(self, hive, key, name):
        return self.values.get((hive, key, name))


def test_windows_user_and_machine_environment_through_the_seam():
    user, machine = persist.USER_ENVIRONMENT, persist.MACHINE_ENVIRONMENT
    host = RegistryHost({(*user, "HF_ENDPOINT"): (MIRROR, 1), (*machine, "HF_ENDPOINT"): (LAB, 1)})
    settings, problems = doctor.read_windows_environment(host)
    assert problems == []
    assert [(s.where, s.value) for s in settings] == [("windows-machine", LAB), ("windows-user", MIRROR)]
    found = doctor.judge_layers(settings, MIRROR, "powershell", None, None, [], "windows")
    assert codes(found, "error") == []  # the user's value wins over the machine's, as Windows does
    assert "Windows machine environment sets https://hub.lab.example" in only(found, "layers.overridden").message
    found = doctor.judge_layers(settings[1:], None, "powershell", None, None, [], "windows")
    error = only(found, "layers.not-in-process")
    assert "Windows user environment" in error.message
    assert "windows already open keep the old environment" in error.fix
    assert "Invoke-Expression" in error.fix


def test_windows_environment_absent_reads_as_nothing():
    assert doctor.read_windows_environment(RegistryHost({})) == ([], [])


# ---- token ------------------------------------------------------------------------


def test_the_token_in_effect_is_the_one_the_fresh_interpreter_names(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("hf_fromthefile0000000000000000000000\n")
    client = {"token_source": f"the token file {token_file}", "token_path": str(token_file),
              "token_present": ["$HUGGING_FACE_HUB_TOKEN", f"the token file {token_file}"], "token_blank": ["HF_TOKEN"]}
    state = doctor.token_state(client, {"HUGGING_FACE_HUB_TOKEN": "hf_legacy000000000000000000000000000",
                                        "HF_TOKEN": "  "})
    assert state.in_effect == f"the token file {token_file}" and state.value == "hf_fromthefile0000000000000000000000"
    assert "hf_fromthefile" not in repr(state) and "hf_fromthefile" not in str(state.to_json())
    found = doctor.judge_token(state, doctor.DEFAULT_ENDPOINT, doctor.DEFAULT_ENDPOINT, {}, None, None)
    assert "even blank" in only(found, "token.legacy-ignored").message
    assert "token.shadowed" not in codes(found)
    assert doctor.token_state({"error": "ModuleNotFoundError"}, {"HF_TOKEN": "x" * 37}).in_effect is None


def test_a_short_token_is_called_malformed_and_never_searched_for():
    state = doctor.token_state({"token_source": "$HF_TOKEN", "token_present": ["$HF_TOKEN"]}, {"HF_TOKEN": "null"})
    found = doctor.judge_token(state, doctor.DEFAULT_ENDPOINT, doctor.DEFAULT_ENDPOINT, {}, None, None)
    assert "looks malformed" in only(found, "token.malformed").message
    assert doctor.redact('{"a": null, "error": 1}', ["null", "error"]) == '{"a": null, "error": 1}'


def test_third_party_token_warning_and_the_check_policy():
    state = doctor.token_state({"token_source": "$HF_TOKEN", "token_present": ["$HF_TOKEN"]},
                               {"HF_TOKEN": "hf_secret00000000000000000000000000"})
    found = doctor.judge_token(state, MIRROR, doctor.DEFAULT_ENDPOINT, {}, None, "not checked: would send it")
    warning = only(found, "token.third-party")
    assert "hf-mirror.com, a third party" in warning.message
    assert "HF_HUB_DISABLE_IMPLICIT_TOKEN=1" in warning.fix
    # One wording for doctor and setup's warning (persist.token_warning).
    assert (warning.message, warning.fix) == persist.third_party_token(MIRROR)
    told = persist.token_warning(Endpoint("hf-mirror", MIRROR), {"HF_TOKEN": "hf_x"}, Path("/nonexistent-home"))
    assert warning.message in told and warning.fix in told
    found = doctor.judge_token(state, MIRROR, doctor.DEFAULT_ENDPOINT, {"HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"},
                               None, None)
    assert "token.not-sent" in codes(found, "ok") and "token.third-party" not in codes(found)
    found = doctor.judge_token(state, doctor.DEFAULT_ENDPOINT, doctor.DEFAULT_ENDPOINT, {}, {"status": 401}, None)
    assert only(found, "token.invalid").level == "error"
    assert "token.third-party" not in codes(found)


# ---- download errors ------------------------------------------------------------------


@pytest.mark.parametrize("chain, words", [
    ([["huggingface_hub.errors.LocalEntryNotFoundError", "... is missing the 'X-Repo-Commit' header ..."]],
     "this endpoint is not a Hub"),
    ([["huggingface_hub.errors.RepositoryNotFoundError", "404 Client Error"]], "404"),
    ([["httpx2.ConnectError", "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"]], "SSL_CERT_FILE"),
    ([["huggingface_hub.errors.HfHubHTTPError", "Server error '503 Service Unavailable'"]], "503"),
    ([["httpx2.ConnectError", "[Errno 111] Connection refused"]], "could not be reached"),
])
def test_download_errors_are_explained(chain, words):
    why, fix = doctor.explain_download_error(chain)
    assert words in why and fix


def test_a_401_is_blamed_on_the_token_only_when_one_was_sent():
    chain = [["huggingface_hub.errors.HfHubHTTPError", "401 Client Error: Unauthorized"]]
    assert "invalid token" in doctor.explain_download_error(chain, token_sent=True)[0]
    why, fix = doctor.explain_download_error(chain, token_sent=False)
    assert "no token was sent" in why and "invalid token" not in why


# ---- the report -------------------------------------------------------------------------


def test_redact_removes_every_8_character_piece():
    token = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    text = f"a {token} b {token[5:13]} c {token[-9:]} d {token[:7]}"
    clean = doctor.redact(text, [token])
    assert all(token[i:i + 8] not in clean for i in range(len(token) - 7))
    assert clean.startswith("a [redacted]")


@pytest.mark.parametrize("secret", ["redacted", "[redacted]xx", "aaaaaaaaaaaa"])
def test_redact_is_one_pass_and_ends(secret):
    # A secret made of the marker, or one that overlaps itself: one pass over the original text, no loop.
    text = f"<{secret}> [redacted] {secret}{secret}"
    clean = doctor.redact(text, [secret])
    assert secret not in clean.replace("[redacted]", "")
    assert clean.count("<") == 1 and clean.endswith("[redacted]")


def test_redact_data_keeps_the_structure():
    token = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    data = {"counts": {"error": 0}, "path": f"/tmp/{token[3:11]}/hf", token: [True, None, 1.5, token]}
    assert doctor.redact_data(data, (token,)) == {"counts": {"error": 0}, "path": "/tmp/[redacted]/hf",
                                                 "[redacted]": [True, None, 1.5, "[redacted]"]}


def test_warnings_alone_exit_0_and_the_verdict_is_the_worst_finding():
    findings = [Finding("client", "info", "client.note", "a note"), Finding("client", "ok", "client.fine", "fine"),
                Finding("token", "warn", "token.w", "careful", "do this")]
    report = Report({"url": MIRROR, "source": "process", "raw": MIRROR}, findings, {})
    assert report.exit_status == 0
    assert [(s["id"], s["level"], s["verdict"]) for s in report.sections()] == [
        ("client", "ok", "fine"), ("token", "warn", "careful")]
    report.findings.append(Finding("layers", "error", "layers.x", "broken"))
    assert report.exit_status == 1 and report.to_json()["needs_action"] is True
    text = doctor.format_report(report)
    assert "[ERROR] Where HF_ENDPOINT is set: broken" in text
    assert "fix: do this" in text
    assert text.endswith("Result: 1 problem needs action (exit status 1); 1 warning.")


def test_findings_refuse_unknown_levels_and_sections():
    with pytest.raises(ValueError):
        Finding("client", "fatal", "x", "y")
    with pytest.raises(ValueError):
        Finding("nowhere", "ok", "x", "y")


def test_storage_reports_the_nearest_existing_parent(tmp_path):
    entries = doctor.storage_facts({"hf_home": str(tmp_path / "a" / "b"), "hub_cache": str(tmp_path)})
    assert entries[0].checked == str(tmp_path) and entries[0].exists is False
    assert entries[0].free_bytes > 0 and entries[0].writable
    found = doctor.judge_storage(entries, Path("/nonexistent-home"))
    assert codes(found, "error") == []


def test_storage_judgement_on_synthetic_entries():
    home = Path("/home/alice")
    entries = [
        CacheDir("HF_HOME", "/home/alice/.cache/huggingface", exists=True, checked="/home/alice/.cache/huggingface",
                 free_bytes=2 * 10**9, writable=True, device=1),
        CacheDir("HF_HUB_CACHE", "/data/hub", exists=False, checked="/data", free_bytes=10**12, writable=False,
                 device=2),
    ]
    found = doctor.judge_storage(entries, home)
    low = only(found, "storage.low-disk")
    assert low.level == "warn" and "~/.cache/huggingface: only 2.0 GB free" in low.message
    error = only(found, "storage.not-writable")
    assert error.message == "HF_HUB_CACHE /data/hub cannot be written (nor created: /data is read-only): downloads fail"


def test_network_judgement():
    client = {"version": "2.4.0", "socksio": False}
    facts = doctor.proxy_facts({"https_proxy": "http://user:pw@proxy.lab:3128", "HTTPS_PROXY": "http://other:3128",
                                "ALL_PROXY": "socks5://127.0.0.1:1080", "REQUESTS_CA_BUNDLE": "/etc/lab-ca.pem"},
                               None)
    assert facts.variables["https_proxy"] == "http://proxy.lab:3128"  # no credentials
    found = doctor.judge_network(facts, MIRROR, client)
    assert "user:pw" not in str(found)
    assert only(found, "network.case-differs").level == "warn"
    assert "socksio" in only(found, "network.socks").fix
    assert only(found, "network.ca-missing").level == "error"  # /etc/lab-ca.pem does not exist here
    assert only(found, "network.ca-bundle").fix == "export SSL_CERT_FILE=/etc/lab-ca.pem"
    assert "network.ca-bundle" not in codes(doctor.judge_network(facts, MIRROR, {"version": "0.36.0"}))


# ---- right after setup: the shell already open predates it -----------------------------------


def test_a_shell_that_predates_the_setup_is_a_warning_unless_new_shells_are_wrong():
    files = [file_setting("~/.bashrc:2", MIRROR)]
    mirror = Endpoint("hf-mirror", MIRROR)
    names = {MIRROR: "hf-mirror", LAB: "lab"}
    for process in (None, LAB):
        found = doctor.judge_layers(files, process, "bash", mirror, None, [], "linux", (), names)
        assert codes(found, "error") == [], found
        [stale] = [f for f in found if f.level == "warn"]
        assert "new terminals" in stale.message and "hf-mirror (https://hf-mirror.com)" in stale.message
        assert 'eval "$(hfenv shell --shell bash)"' in stale.fix
        # The saved choice is elsewhere: new shells get the wrong value, an error (named by name).
        found = doctor.judge_layers(files, process, "bash", Endpoint("lab", LAB), None, [], "linux", (), names)
        [wrong] = [f for f in found if f.level == "error"]
        assert "hfenv shell --endpoint hf-mirror --shell bash" in wrong.fix
        # New shells' value was just found unusable: an error, and never the line that would use it.
        found = doctor.judge_layers(files, process, "bash", mirror, None, [], "linux", {MIRROR}, names)
        [dead] = [f for f in found if f.level == "error"]
        assert "not usable" in dead.fix and "eval" not in dead.fix and "open a new terminal" not in dead.fix
