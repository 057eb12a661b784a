"""tcsh and csh: history-safe quoting, setenv lines, ~/.tcshrc or ~/.cshrc."""

from __future__ import annotations

import os
from pathlib import Path, PurePath

from .base import Action, Msg, Platform, ProgramHost, Shell, StartupFile, Words, home_of, refuse_braces


class Tcsh(Shell):
    name = "tcsh"
    aliases = ("csh",)
    template = "tcsh.csh"
    evaluates = 'eval "`{}`"'
    syntax = "csh"
    openers = frozenset({"foreach", "while", "switch"})
    closers = frozenset({"end", "endif", "endsw"})
    continuers = frozenset({"else"})

    def quote(self, value: str) -> str:
        # csh expands history (!) even inside single quotes, so ! is escaped
        # outside them; spaces too, so that backquote word splitting is lossless.
        # It also brace-expands the words of a plain eval `...`: braces are refused.
        refuse_braces(value, "csh")
        out = []
        for part in _split_keep(value, " !"):
            if part in (" ", "!"):
                out.append("\\" + part)
            else:
                out.append("'" + part.replace("'", "'\\''") + "'")
        return "".join(out) or "''"

    def word_actions(self, words: Words, name: str) -> list[Action]:
        head = words[0][0]
        if head == "setenv" and len(words) > 1 and words[1][0] == name:
            value = words[2] if len(words) > 2 else ("", False)
            return [("set", value[0], value[1], True)]
        if head == "unsetenv" and any(w == name for w, _ in words[1:]):
            return [("unset", None, False, None)]
        return []  # `set NAME = value` is a shell variable: csh never exports those

    def only_assigns(self, words: list[str], names: tuple[str, ...]) -> bool:
        head, rest = words[0], words[1:]
        return head in ("setenv", "unsetenv") and bool(rest) and rest[0] in names and (
            head == "setenv" or all(w in names for w in rest))

    def rest_is_condition(self, head: str) -> bool:
        return True  # `while (...)`, `switch (...)`, `else if (...)`

    def block_change(self, words: Words) -> tuple[Words, int, bool]:
        if words and words[0][0] == "if":
            # `if (...) setenv ...` runs only sometimes: hfenv does not judge it; `if (...) then` opens a block.
            opens = words[-1][0] == "then"
            return [], 1 if opens else 0, opens
        return words, 0, False

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        home = platform.home
        tcshrc, cshrc = home / ".tcshrc", home / ".cshrc"
        path = cshrc if os.path.lexists(cshrc) and not os.path.lexists(tcshrc) else tcshrc
        return [StartupFile(path, Msg("read by every tcsh"))]

    def other_startup_files(self, platform: Platform) -> list[PurePath]:
        return [platform.home / ".tcshrc", platform.home / ".cshrc"]

    def read_order(self, platform: Platform, root: Path) -> list[Path]:
        home = home_of(platform)
        return [home / ".tcshrc", home / ".cshrc", home / ".login"]


def _split_keep(text: str, separators: str) -> list[str]:
    """Split text into runs and single separator characters, keeping both."""
    parts, current = [], ""
    for ch in text:
        if ch in separators:
            if current:
                parts.append(current)
            parts.append(ch)
            current = ""
        else:
            current += ch
    if current:
        parts.append(current)
    return parts
