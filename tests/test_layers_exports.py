"""Export state across lines, fast and pure: what a shell holds after reading a file, as the real shells do.

tests/test_layers_real.py runs the real shells for the same cases; these pin the reader and doctor's
judgement without starting any process.
"""

from __future__ import annotations

import pytest

from hfenv import doctor, startup
from hfenv.doctor.layers import Setting, new_shell_value

A = "https://a.example.com"
Y = "https://y.example.com"


@pytest.mark.parametrize("syntax, line, expected", [
    ("fish", "set -q HF_ENDPOINT", []),  # only looks
    ("fish", "set --query HF_ENDPOINT", []),
    ("fish", "set -S HF_ENDPOINT", []),
    ("fish", "set -n", []),
    ("posix", f"typeset +x HF_ENDPOINT={A}", [("set", A, False, False)]),
    ("posix", f"declare +x HF_ENDPOINT={A}", [("set", A, False, False)]),
    ("posix", "typeset +x HF_ENDPOINT", [("unset", None, False, None)]),  # programs started later lose it
    ("posix", f"typeset -x HF_ENDPOINT={A}", [("set", A, False, True)]),
])
def test_parse_line_reads_flags_as_the_shells_do(syntax, line, expected):
    assert startup.parse_line(line, syntax) == expected


def lines_of(text: str, syntax: str, shell: str) -> list[Setting]:
    found = startup.scan(text.encode(), syntax, path=f"/h/{shell}rc", shells=(shell,))
    return [Setting("file", f"~/{shell}rc:{x.line}", x.value, path=x.path, line=x.line, in_block=False,
                    shells=x.shells, action=x.action, exported=x.exported, scope=x.scope) for x in found]


@pytest.mark.parametrize("syntax, shell, text, exported, kept", [
    ("fish", "fish", f"set -g HF_ENDPOINT {A}", None, A),
    ("fish", "fish", f"set -gx HF_ENDPOINT {Y}\nset -g HF_ENDPOINT {A}", A, None),
    ("fish", "fish", f"set -gx HF_ENDPOINT {Y}\nset -U HF_ENDPOINT {A}", Y, None),  # hidden by the global
    ("fish", "fish", f"set -Ux HF_ENDPOINT {A}", A, None),
    ("fish", "fish", f"set -gx HF_ENDPOINT {Y}\nset -gu HF_ENDPOINT {A}", None, A),
    ("fish", "fish", f"set -Ux HF_ENDPOINT {Y}\nset -g HF_ENDPOINT {A}", Y, None),  # the global is not exported
    ("fish", "fish", f"set -Ux HF_ENDPOINT {Y}\nset HF_ENDPOINT {A}", A, None),  # changes the universal
    ("fish", "fish", f"set -U HF_ENDPOINT {Y}", None, Y),
    ("posix", "bash", f"export HF_ENDPOINT={Y}\nHF_ENDPOINT={A}", A, None),
    ("posix", "bash", f"export HF_ENDPOINT={Y}\ntypeset +x HF_ENDPOINT={A}", None, A),
    ("posix", "bash", f"export HF_ENDPOINT={Y}\nunset HF_ENDPOINT\nHF_ENDPOINT={A}", None, A),
])
def test_what_a_new_shell_holds(syntax, shell, text, exported, kept):
    won, unexported = new_shell_value(lines_of(text, syntax, shell), shell)
    assert (won and won.value, unexported and unexported.value) == (exported, kept)


def codes(findings):
    return {f.code for f in findings}


def test_an_unexported_fish_line_is_not_set_for_fish_when_doctor_looks_at_bash():
    # The reviewer's report: `set -g` alone was called "set for fish" while the same report said it is not exported.
    found = doctor.judge_layers(lines_of(f"set -g HF_ENDPOINT {A}", "fish", "fish"), None, "bash", None, None, [],
                                "linux")
    assert "layers.other-shells-only" not in codes(found)
    assert "layers.not-exported" in codes(found)
    assert "layers.unset" not in codes(found)  # fish does hold it, unexported: not "set nowhere"
    [place] = [f for f in found if f.code == "layers.place"]
    assert "not exported" in place.message


def test_an_earlier_export_makes_a_later_fish_line_set_for_fish():
    settings = lines_of(f"set -gx HF_ENDPOINT {Y}\nset -g HF_ENDPOINT {A}", "fish", "fish")
    found = doctor.judge_layers(settings, None, "bash", None, None, [], "linux")
    [error] = [f for f in found if f.code == "layers.other-shells-only"]
    assert error.message.endswith(f"the others {A}")
    assert "layers.not-exported" not in codes(found)
    assert any("exported by another line" in f.message for f in found if f.code == "layers.place")


def test_a_line_a_later_unset_undoes_is_not_set_for_that_shell():
    settings = lines_of(f"export HF_ENDPOINT={Y}\nunset HF_ENDPOINT", "posix", "bash")
    found = doctor.judge_layers(settings, None, "fish", None, None, [], "linux")
    assert "layers.other-shells-only" not in codes(found)
    assert "layers.unset" in codes(found)


def test_a_hidden_universal_is_described_and_not_a_second_assignment():
    settings = lines_of(f"set -gx HF_ENDPOINT {Y}\nset -U HF_ENDPOINT {A}", "fish", "fish")
    found = doctor.judge_layers(settings, None, "fish", None, None, [], "linux")
    assert "layers.same-file-twice" not in codes(found)
    assert [f.message for f in found if f.code == "layers.not-in-process"][0].endswith(f"new terminals use {Y}")
    assert any("the global one set before it hides it" in f.message for f in found)
    alone = doctor.judge_layers(lines_of(f"set -U HF_ENDPOINT {A}", "fish", "fish"), None, "fish", None, None, [],
                                "linux")
    assert not any("hides it" in f.message for f in alone) and "layers.not-exported" in codes(alone)


def test_fish_variables_are_read_with_their_escapes_and_export_flag(tmp_path):
    stored = tmp_path / "fish_variables"
    stored.write_text("# This file contains fish universal variable definitions.\n# VERSION: 3.0\n"
                      "SETUVAR --export HF_ENDPOINT:https\\x3a//hf\\x2dmirror\\x2ecom\n"
                      "SETUVAR HF_HOME:/data/hf\\x1ecache\nSETUVAR __fish_initialized:3400\n")
    [line] = startup.fish_universal_lines(stored)[0]
    assert (line.line, line.value, line.exported, line.scope, line.shells) == (
        3, "https://hf-mirror.com", True, "universal", ("fish",))
    [home] = startup.fish_universal_lines(stored, ("HF_HOME",))[0]
    assert (home.value, home.exported) == ("/data/hf cache", False)
    assert startup.fish_universal_lines(tmp_path / "missing") == ([], [])
