"""setup --take-over (issue 8 item 15): lines that would override hfenv's block, found, commented out, restored."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hfenv import takeover
from hfenv.blocks import HASH_MARKERS

from conftest import ROOT, need_program

MIRROR = "https://hf-mirror.com"
OLD = "https://old-blog.example"
VALUES = {"HF_ENDPOINT": MIRROR, "HF_HUB_CACHE": "/data/hf"}
BLOCK = b"# >>> hfenv >>>\nexport HF_ENDPOINT='https://hf-mirror.com'\n# <<< hfenv <<<\n"


def kinds(data: bytes, whole=False, syntax="posix"):
    return [(n, kind) for n, _, kind in takeover.overriding_lines(data, syntax, VALUES, HASH_MARKERS, whole)]


# ---- pure: what counts ------------------------------------------------------------


def test_lines_after_the_block_count_lines_before_do_not():
    data = f"export HF_ENDPOINT={OLD}\n".encode() + BLOCK + f"export HF_ENDPOINT={OLD}\nunset HF_HUB_CACHE\n".encode()
    assert kinds(data) == [(5, "override"), (6, "override")]
    assert kinds(data, whole=True) == [(1, "override"), (5, "override"), (6, "override")]


@pytest.mark.parametrize("line, kind", [
    (f"export HF_ENDPOINT={OLD}", "override"),
    (f"HF_ENDPOINT={OLD}", "override"),  # not exported, but the variable already is: it overrides
    ("unset HF_ENDPOINT", "override"),
    (f"export HF_ENDPOINT={MIRROR}", None),  # the same value: nothing is overridden
    ("export HF_ENDPOINT", None),
    ('echo "$HF_ENDPOINT"', None),
    (f"export HF_ENDPOINT={OLD} HF_HUB_CACHE=/x", "override"),
    (f"export HF_HOME=/x HF_ENDPOINT={OLD}", "manual"),  # commenting it out would lose HF_HOME
    (f"alias x=y; export HF_ENDPOINT={OLD}", "manual"),
    (f"export HF_ENDPOINT={OLD} \\", "manual"),  # continued: the next line would run alone
    (f"[ -n \"$LAB\" ] && export HF_ENDPOINT={OLD}", "guarded"),  # it may run: stops; take-over steps it aside
    (f"cd /x && export HF_ENDPOINT={OLD}", "guarded-manual"),  # stepping it aside would lose the cd
    (f"readonly HF_ENDPOINT={OLD}", "override"),
    (f"typeset -r HF_ENDPOINT={OLD}", "override"),
    ("export -n HF_ENDPOINT", "override"),  # programs started later lose it
    (f"eval \"export HF_ENDPOINT={OLD}\"", "manual"),
    ("printf -v HF_ENDPOINT %s x", "manual"),
    ("read HF_ENDPOINT < ~/.mirror", "manual"),
    ('export HF_ENDPOINT="${HF_ENDPOINT:-https://x}"', "conditional"),  # keeps hfenv's value
    ("export HF_ENDPOINT=$(cat ~/.mirror)", "override"),
])
def test_what_counts_as_an_override(line, kind):
    found = kinds(BLOCK + line.encode() + b"\n")
    assert found == ([] if kind is None else [(4, kind)])


GUARDED = BLOCK + (f"if true; then\n  export HF_ENDPOINT={OLD}\nfi\nf() {{\n  unset HF_ENDPOINT\n}}\n"
           f"if [ -d /x ]; then export HF_ENDPOINT={OLD}; fi\ntrue && export HF_ENDPOINT={OLD}\n"
           f"case $X in\n  a) export HF_ENDPOINT={OLD} ;;\nesac\n"
           f"if [ -d /x ]; then export HF_ENDPOINT={OLD}\nfi\n").encode()


def test_lines_inside_if_and_functions_stop_setup_and_take_over_steps_them_aside():
    assert kinds(GUARDED) == [(5, "guarded"), (8, "guarded"), (10, "guarded"), (11, "guarded"),
                              (13, "guarded-manual"), (15, "guarded-manual")]
    out = takeover.comment_out(GUARDED, "posix", VALUES, HASH_MARKERS, False)
    assert out.split(b"\n")[4] == takeover.GUARD_PREFIX + f"  export HF_ENDPOINT={OLD}".encode()
    assert out.split(b"\n")[12] == GUARDED.split(b"\n")[12]  # a case pattern: edit by hand
    assert takeover.restore(out) == GUARDED


@pytest.mark.parametrize("shell", ["bash", "zsh", "dash"])
def test_a_stepped_aside_guarded_line_keeps_the_file_valid(tmp_path, shell):
    program = need_program(shell)
    data = GUARDED.split(b"case")[0] + b"f\n"
    out = takeover.comment_out(data, "posix", VALUES, HASH_MARKERS, False)
    path = tmp_path / "rc"
    path.write_bytes(out)
    assert subprocess.run([program, "-n", str(path)], capture_output=True).returncode == 0
    done = subprocess.run([program, "-c", f'. "{path}"; printf %s "$HF_ENDPOINT"'], capture_output=True, text=True)
    assert done.stdout == MIRROR, done.stderr


def test_heredoc_bodies_are_not_code():
    data = BLOCK + (f"cat <<EOF >/tmp/x\nexport HF_ENDPOINT={OLD}\nEOF\ncat <<-'X'\n\texport HF_ENDPOINT={OLD}\n"
                    f"\tX\ncat <<\"Y\"\nexport HF_ENDPOINT={OLD}\nY\nexport HF_ENDPOINT={OLD}\n").encode()
    assert kinds(data) == [(13, "override")]


@pytest.mark.parametrize("syntax, line", [
    ("fish", f"set -gx HF_ENDPOINT {OLD}"),
    ("fish", "set -e HF_ENDPOINT"),
    ("csh", f"setenv HF_ENDPOINT {OLD}"),
    ("xonsh", f"$HF_ENDPOINT = '{OLD}'"),
    ("elvish", f"set E:HF_ENDPOINT = '{OLD}'"),
])
def test_other_shells_overrides(syntax, line):
    assert kinds(line.encode() + b"\n", whole=True, syntax=syntax) == [(1, "override")]


# ---- pure: commenting out and restoring, byte for byte --------------------------------------


ODD_FILES = [
    BLOCK + f"export HF_ENDPOINT={OLD}".encode(),  # no final newline
    BLOCK + f"alias a=b\r\nexport HF_ENDPOINT={OLD}\r\nunset HF_HUB_CACHE\r\n".encode(),  # CRLF
    BLOCK + b"export HF_ENDPOINT='https://caf\xe9.example'\n# \xff\xfe\n",  # not UTF-8
    BLOCK + f"export HF_ENDPOINT={OLD}\nexport HF_ENDPOINT={OLD}\n\n\nunset HF_ENDPOINT".encode(),  # several
    b"\xef\xbb\xbf" + BLOCK + f"export HF_ENDPOINT={OLD}\n".encode(),  # a BOM
]


@pytest.mark.parametrize("data", ODD_FILES)
def test_comment_out_then_restore_gives_back_every_byte(data):
    taken = takeover.comment_out(data, "posix", VALUES, HASH_MARKERS, False)
    assert taken != data
    assert kinds(taken) == []  # nothing left to take over, and a second run changes nothing
    assert takeover.comment_out(taken, "posix", VALUES, HASH_MARKERS, False) == taken
    assert takeover.restore(taken) == data
    # Each taken line is the prefix plus the original bytes, nothing else changed.
    for old, new in zip(data.split(b"\n"), taken.split(b"\n")):
        assert new == old or new == takeover.PREFIX + old


def test_restore_leaves_other_comments_alone():
    data = b"# hfenv take-over: not ours\n#" + takeover.PREFIX + b"x\n"
    assert takeover.restore(data) == data


def test_files_read_before_the_block_are_not_searched():
    views = [takeover.FileView("/etc/profile", f"export HF_ENDPOINT={OLD}\n".encode(), "posix", None, False),
             takeover.FileView("/h/.bashrc", BLOCK, "posix", HASH_MARKERS, True),
             takeover.FileView("/h/.bash_aliases", b"unset HF_ENDPOINT\n", "posix", HASH_MARKERS, False),
             takeover.FileView("/etc/late", b"unset HF_ENDPOINT\n", "posix", HASH_MARKERS, False)]
    found = takeover.find_overrides(views, VALUES, ("bash",), "/h")
    assert [(o.path, o.line, o.kind) for o in found] == [("/h/.bash_aliases", 1, "override"),
                                                         ("/etc/late", 1, "system")]


# ---- the command, in the real shells ---------------------------------------------------


def hfenv(*args, home):
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    return subprocess.run([sys.executable, "-m", "hfenv", *args], capture_output=True, cwd=str(ROOT), env=env,
                          timeout=60)


def new_shell_value(argv: list[str], home) -> str:
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "XDG_CONFIG_HOME": str(home / ".config"), "TERM": "dumb"}
    done = subprocess.run(argv, capture_output=True, env=env, timeout=30, stdin=subprocess.DEVNULL)
    out = done.stdout.decode("utf-8", "replace").strip()
    return out.splitlines()[-1] if out else ""


BLOG = f"# from a blog post\nexport HF_ENDPOINT={OLD}\n"
CASES = {
    "bash": ({".bashrc": "alias ll='ls -l'\n" + BLOG + "[ -f ~/.bash_aliases ] && . ~/.bash_aliases\n",
              ".bash_aliases": "unset HF_ENDPOINT\nexport HF_ENDPOINT=https://aliases.example",  # no final newline
              ".profile": "[ -n \"$BASH_VERSION\" ] && . ~/.bashrc\n" + BLOG},
             [["bash", "-ic", "echo HF=$HF_ENDPOINT"], ["bash", "-lc", "echo HF=$HF_ENDPOINT"]]),
    # zsh: the blocks go last in ~/.zshenv and ~/.zshrc; ~/.zprofile and ~/.zlogin are read after them.
    "zsh": ({".zshrc": "setopt no_beep\r\n" + BLOG.replace("\n", "\r\n"), ".zshenv": BLOG,
             ".zprofile": BLOG.replace("\n", "\r\n"), ".zlogin": "unset HF_ENDPOINT"},
            [["zsh", "-ic", "echo HF=$HF_ENDPOINT"], ["zsh", "-lc", "echo HF=$HF_ENDPOINT"],
             ["zsh", "-ilc", "echo HF=$HF_ENDPOINT"], ["zsh", "-c", "echo HF=$HF_ENDPOINT"]]),
    # fish: hfenv's conf.d/hfenv.fish runs in name order with the other snippets, then config.fish.
    "fish": ({".config/fish/conf.d/aa.fish": f"set -gx HF_ENDPOINT {OLD}\n",  # before hfenv.fish: no matter
              ".config/fish/conf.d/zz.fish": f"set -gx HF_ENDPOINT {OLD}\n",
              ".config/fish/config.fish": "set -e HF_ENDPOINT\n"},
             [["fish", "-c", "echo HF=$HF_ENDPOINT"], ["fish", "-ic", "echo HF=$HF_ENDPOINT"]]),
}
EXPECTED = {"bash": "~/.bash_aliases:3", "zsh": "~/.zlogin:2", "fish": "~/.config/fish/conf.d/zz.fish:2"}


@pytest.mark.slow
@pytest.mark.parametrize("shell", sorted(CASES))
def test_take_over_in_the_real_shell_and_reset_gives_back_every_byte(shell, isolated_home):
    need_program(shell)
    files, runs = CASES[shell]
    for name, text in files.items():
        (isolated_home / name).parent.mkdir(parents=True, exist_ok=True)
        (isolated_home / name).write_bytes(b"# \xff not UTF-8\n" + text.encode())
    before = {name: (isolated_home / name).read_bytes() for name in files}
    for argv in runs:  # the blog lines win today
        assert new_shell_value(argv, isolated_home) != f"HF={MIRROR}"

    refused = hfenv("setup", "--persist", "--shell", shell, "--endpoint", "hf-mirror", home=isolated_home)
    assert refused.returncode == 1
    stderr = refused.stderr.decode()
    assert "--take-over" in stderr and EXPECTED[shell] in stderr and "aa.fish" not in stderr
    assert {name: (isolated_home / name).read_bytes() for name in files} == before  # nothing changed

    preview = hfenv("setup", "--persist", "--shell", shell, "--endpoint", "hf-mirror", "--take-over", "--dry-run",
                    home=isolated_home)
    assert preview.returncode == 0 and b"+" + takeover.PREFIX in preview.stdout
    assert {name: (isolated_home / name).read_bytes() for name in files} == before

    done = hfenv("setup", "--persist", "--shell", shell, "--endpoint", "hf-mirror", "--take-over", home=isolated_home)
    assert done.returncode == 0, done.stderr
    for argv in runs:
        assert new_shell_value(argv, isolated_home) == f"HF={MIRROR}", argv
    again = hfenv("setup", "--persist", "--shell", shell, "--endpoint", "hf-mirror", home=isolated_home)
    assert again.returncode == 0, again.stderr  # taken over: no longer in the way

    reset = hfenv("reset", "--shell", shell, home=isolated_home)
    assert reset.returncode == 0, reset.stderr
    assert {name: (isolated_home / name).read_bytes() for name in files} == before
    created = {str(p.relative_to(isolated_home)) for p in isolated_home.rglob("*")
               if p.is_file() and "hfenv" not in p.parts} - set(files)
    assert created == set()


# (file, lines hfenv's block adds before them: setup names lines as it would leave the file, new shells)
GUARDED_CASES = {
    "bash": (".bashrc", 4, [["bash", "-ic", "echo HF=$HF_ENDPOINT"]]),
    "zsh": (".zlogin", 0, [["zsh", "-ilc", "echo HF=$HF_ENDPOINT"]]),  # read after ~/.zshrc's block
}
GUARDED_RC = (f"alias ll='ls -l'\nif [ -d / ]; then\n  export HF_ENDPOINT={OLD}\nfi\n"
              f"true && export HF_ENDPOINT={OLD}\nreadonly HF_ENDPOINT={OLD}\n"
              f"cat <<-'EOF' >/dev/null\n\texport HF_ENDPOINT={OLD}\n\tEOF\n")


@pytest.mark.slow
@pytest.mark.parametrize("shell", sorted(GUARDED_CASES))
def test_guarded_and_readonly_lines_stop_setup_and_take_over_steps_them_aside(shell, isolated_home):
    program = need_program(shell)
    name, offset, runs = GUARDED_CASES[shell]
    rc = isolated_home / name
    rc.write_bytes(GUARDED_RC.encode())
    before = rc.read_bytes()
    refused = hfenv("setup", "--persist", "--shell", shell, "--endpoint", "hf-mirror", home=isolated_home)
    assert refused.returncode == 1
    stderr = refused.stderr.decode()
    for line in (3, 5, 6):  # the heredoc's body (line 8) is data, not code
        assert f"~/{name}:{line + offset}" in stderr, stderr
    assert f"~/{name}:{8 + offset}" not in stderr and rc.read_bytes() == before
    doctor = hfenv("doctor", "--offline", "--shell", shell, "--json", home=isolated_home)
    lines = [s["line"] for s in __import__("json").loads(doctor.stdout)["facts"]["layers"]["settings"]
             if s.get("path") == str(rc)]
    assert 6 in lines and 8 not in lines  # doctor reads the same way

    done = hfenv("setup", "--persist", "--shell", shell, "--endpoint", "hf-mirror", "--take-over", home=isolated_home)
    assert done.returncode == 0, done.stderr
    assert subprocess.run([program, "-n", str(rc)], capture_output=True).returncode == 0
    for argv in runs:
        assert new_shell_value(argv, isolated_home) == f"HF={MIRROR}", argv
    reset = hfenv("reset", "--shell", shell, home=isolated_home)
    assert reset.returncode == 0, reset.stderr
    assert rc.read_bytes() == before
