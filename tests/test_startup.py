"""hfenv.startup: the one reader of startup files that detect, doctor and setup's take-over share."""

from __future__ import annotations

import pytest

from hfenv import detect, doctor, startup
from hfenv.blocks import HASH_MARKERS

MIRROR = "https://hf-mirror.com"
OLD = "https://old.example"


def _doctor_lines(home, root, shell):
    platform = detect.current_platform()
    settings, _ = doctor.read_settings(startup.startup_places(platform, None, root), home)
    return [(s.path, s.line, s.action, s.value) for s in settings if s.applies_to(shell)]


def _detect_lines(root, shell):
    from hfenv import shells

    platform = detect.current_platform()
    info = detect.endpoint_sources(shells.get(shell), platform, None, root)
    return [(i["path"], i["line"], i["action"], i["value"]) for i in info["startup_files"]]


@pytest.mark.parametrize("sourced", [True, False])
def test_detect_and_doctor_agree_on_tricky_files(isolated_home, tmp_path, sourced):
    home, root = isolated_home, tmp_path / "root"
    bashrc = [
        "# >>> hfenv >>>", f"export HF_ENDPOINT='{MIRROR}'", "# <<< hfenv <<<",
        'echo "$HF_ENDPOINT"',  # mentions it, sets nothing
        "# export HF_ENDPOINT=commented",
        "HF_ENDPOINT=https://one-command.example python train.py",  # that command's environment only
    ]
    if sourced:
        bashrc.append("if [ -f ~/.bash_aliases ]; then\n    . ~/.bash_aliases\nfi")
    (home / ".bashrc").write_text("\n".join(bashrc) + "\n")
    (home / ".bash_aliases").write_text(f"alias ll='ls -l'\nexport HF_ENDPOINT={OLD}\n")
    (home / ".zshrc").write_text(f"print $HF_ENDPOINT\nexport HF_ENDPOINT={OLD}\n")
    for shell in ("bash", "zsh"):
        assert _detect_lines(root, shell) == _doctor_lines(home, root, shell)
    expected = [(str(home / ".bashrc"), 2, "set", MIRROR)]
    if sourced:
        expected.append((str(home / ".bash_aliases"), 2, "set", OLD))
    assert _detect_lines(root, "bash") == expected
    assert _detect_lines(root, "zsh") == [(str(home / ".zshrc"), 2, "set", OLD)]


def test_a_sourced_file_comes_right_after_the_file_that_sources_it(isolated_home, tmp_path):
    home = isolated_home
    (home / ".bashrc").write_text("[ -f $HOME/.hf.sh ] && source $HOME/.hf.sh\n")
    (home / ".hf.sh").write_text(f"export HF_ENDPOINT={OLD}\n")
    places = [p.path for p in startup.places_for("bash", startup.startup_places(detect.current_platform(), None,
                                                                               tmp_path / "root"))]
    assert places.index(home / ".hf.sh") == places.index(home / ".bashrc") + 1


@pytest.mark.parametrize("syntax, text, expected", [
    ("posix", "if [ -z \"$X\" ]; then export HF_ENDPOINT=a; fi", [("set", True)]),
    ("posix", "[ -n \"$LAB\" ] && export HF_ENDPOINT=a", [("set", True)]),
    ("posix", "export HF_ENDPOINT=a", [("set", False)]),
    ("posix", "unset HF_ENDPOINT", [("unset", False)]),
    ("fish", "if status is-login; set -gx HF_ENDPOINT a; end", [("set", True)]),
    ("csh", "if ($?prompt) setenv HF_ENDPOINT a", []),
])
def test_conditional_lines_are_marked(syntax, text, expected):
    found = startup.scan(text.encode() + b"\n", syntax)
    assert [(f.action, f.conditional) for f in found] == expected


def test_lines_inside_blocks_and_functions_are_conditional():
    data = (b"use_lab() {\n  export HF_ENDPOINT=lab\n}\nif true\nthen\n  export HF_ENDPOINT=b\nfi\n"
            b"export HF_ENDPOINT=c\r\n")
    found = startup.scan(data, "posix")
    assert [(f.line, f.value, f.conditional) for f in found] == [(2, "lab", True), (6, "b", True), (8, "c", False)]


def test_scan_knows_hfenv_block_and_other_variables():
    data = b"# >>> hfenv >>>\nexport HF_ENDPOINT=a\n# <<< hfenv <<<\nexport HF_HUB_CACHE=/x\n"
    block = startup.block_lines(data, HASH_MARKERS, "f")
    found = startup.scan(data, "posix", ("HF_ENDPOINT", "HF_HUB_CACHE"), block)
    assert [(f.name, f.line, f.in_block) for f in found] == [("HF_ENDPOINT", 2, True), ("HF_HUB_CACHE", 4, False)]


def test_every_shell_names_a_syntax_the_reader_knows():
    from hfenv import shells

    for shell in shells.SHELLS.values():
        assert shell.syntax in startup.SYNTAXES, shell.name


@pytest.mark.parametrize("name", ["HF_ENDPOINT", "HF_HUB_CACHE"])
def test_every_line_hfenv_writes_is_read_back_for_each_variable(name):
    from hfenv import render, shells

    for shell in shells.SHELLS.values():
        [line] = render.render_lines(shell, [(name, "/data/hf x")], key="persist")
        assert startup.parse_line(line, shell.syntax, name) == [("set", "/data/hf x", False, True)], shell.name
