"""bash, zsh and sh (dash, ksh, mksh, ...): one template, one quoting, one reader of their lines."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePath

from .base import (
    N_,
    Action,
    Msg,
    Platform,
    ProgramHost,
    Shell,
    StartupFile,
    Words,
    check_value,
    first_existing,
    home_of,
    listing,
    refuse_braces,
)

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_FUNCTION = re.compile(r"[A-Za-z_][\w.:-]*\(\)")


def system_profile(root: Path) -> list[Path]:
    """/etc/profile and the files it runs from /etc/profile.d (sh, bash, zsh's distributions all read them)."""
    return [root / "etc" / "profile"] + listing(root / "etc" / "profile.d", (".sh",))


class Posix(Shell):
    template = "posix.sh"
    evaluates = 'eval "$({})"'
    syntax = "posix"
    openers = frozenset({"if", "while", "until", "for", "case", "select", "function", "{", "("})
    closers = frozenset({"fi", "done", "esac", "}", ")"})
    continuers = frozenset({"then", "do", "else", "elif", "!"})
    sources = True  # its files run others with `. FILE`: those count where a file sources them

    def quote(self, value: str) -> str:
        # Single quotes keep everything literal; a space is written as an escaped
        # space outside the quotes so that the unquoted `eval $(hfenv shell)`,
        # which splits on runs of spaces and rejoins with one, restores it exactly.
        check_value(value)
        pieces = ("'" + part.replace("'", "'\\''") + "'" for part in value.split(" "))
        return "\\ ".join(pieces)

    def word_actions(self, words: Words, name: str) -> list[Action]:
        while len(words) > 1 and words[0][0].endswith(")") and not _FUNCTION.fullmatch(words[0][0]):
            words = words[1:]  # a case pattern: `a) export HF_ENDPOINT=... ;;`
        head = words[0][0]
        if head == "eval":  # eval "export HF_ENDPOINT=...": the words are code, read as a line of their own
            inner = " ".join(w for w, _ in words[1:])
            from ..startup import parse_line

            return [(kind, value, True if kind == "set" else dynamic, exported)
                    for kind, value, dynamic, exported in parse_line(inner, "posix", name)] if name in inner else []
        if (head == "read" and any(w == name for w, _ in words[1:])) or (
                head == "printf" and any(w == "-v" and i + 1 < len(words) and words[i + 1][0] == name
                                         for i, (w, _) in enumerate(words))):
            return [("set", f"`{head}`", True, None)]  # computed when it runs
        if head == "readonly":  # readonly NAME=value (bash, zsh, sh): sets it, keeps its export flag
            words = [("typeset", False), ("-r", False)] + words[1:]
            head = "typeset"
        if head in ("export", "declare", "typeset", "local"):
            if head == "local":
                return []  # a function's own variable
            options = [w for w, _ in words[1:] if w.startswith(("-", "+"))]
            if head == "export":
                exported: bool | None = "-n" not in options
            else:
                exported = True if any("x" in o for o in options if o.startswith("-")) else None
            out: list[Action] = []
            for word, dynamic in words[1:]:
                if word.startswith(name + "="):
                    out.append(("set", word[len(name) + 1:], dynamic, exported))
                elif word == name and exported:
                    out.append(("export", None, False, True))
                elif word == name and exported is False:
                    out.append(("unset", None, False, None))  # export -n NAME: programs started later lose it
            return out
        if head == "unset":
            return [("unset", None, False, None)] if any(w == name for w, _ in words[1:]) else []
        assignments: list[Action] = []
        for word, dynamic in words:
            if not _ASSIGNMENT.match(word):
                return []  # NAME=value before a command: that command's environment only
            if word.startswith(name + "="):
                assignments.append(("set", word[len(name) + 1:], dynamic, None))
        return assignments

    def only_assigns(self, words: list[str], names: tuple[str, ...]) -> bool:
        head, rest = words[0], words[1:]
        if head in ("export", "declare", "typeset", "readonly", "unset"):
            args = [w for w in rest if not w.startswith(("-", "+"))]
            return bool(args) and all(w.split("=", 1)[0] in names for w in args)
        return all("=" in w and w.split("=", 1)[0] in names for w in words)

    def block_change(self, words: Words) -> tuple[Words, int, bool]:
        if words and _FUNCTION.fullmatch(words[0][0]):
            return [], 1, True  # name() { ...
        if words and words[-1][0] == "{":
            return words, 1, True
        return words, 0, False


class Bash(Posix):
    name = "bash"

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        home = platform.home
        if platform.system == "macos" or platform.git_bash:
            rc = StartupFile(home / ".bash_profile", Msg("read by login shells (every new terminal here)"))
            return [rc]
        login = first_existing(
            [home / ".bash_profile", home / ".bash_login", home / ".profile"], home / ".profile"
        )
        # bash runs ~/.bashrc for `ssh host cmd` too, but Debian's (and Ubuntu's) starts
        # by returning when not interactive: only a block placed first is seen there.
        return [
            StartupFile(home / ".bashrc", Msg("read by interactive shells and by `ssh host command` "
                        "(the block goes first, before any not-interactive `return`)"), at_start=True),
            StartupFile(login, Msg("read by login shells (bash -l, ssh logins, many job schedulers)")),
        ]

    def other_startup_files(self, platform: Platform) -> list[PurePath]:
        home = platform.home
        return [home / name for name in (".bashrc", ".bash_profile", ".bash_login", ".profile")]

    def read_order(self, platform: Platform, root: Path) -> list[Path]:
        # A login shell, then ~/.bashrc (which ~/.bash_aliases counts after, where it sources it).
        home = home_of(platform)
        return system_profile(root) + [
            root / "etc" / "bash.bashrc", root / "etc" / "bashrc",
            home / ".bash_profile", home / ".bash_login", home / ".profile", home / ".bashrc",
        ]


class Zsh(Posix):
    name = "zsh"

    def _base(self, platform: Platform) -> PurePath:
        zdotdir = platform.env.get("ZDOTDIR")
        return PurePath(zdotdir) if zdotdir and os.path.isabs(zdotdir) else platform.home

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        base = self._base(platform)
        return [
            StartupFile(base / ".zshrc", Msg("read by interactive shells")),
            StartupFile(base / ".zshenv", Msg("read by every zsh, also zsh -c and zsh -lc")),
        ]

    def other_startup_files(self, platform: Platform) -> list[PurePath]:
        return [platform.home / ".zshrc", platform.home / ".zshenv"]  # before ZDOTDIR was set

    def read_order(self, platform: Platform, root: Path) -> list[Path]:
        # ~/.zshenv is read first, even when it is what sets ZDOTDIR; zsh reads it before /etc/profile,
        # which its distributions' zprofile sources.
        home, base = home_of(platform), Path(str(self._base(platform)))
        return [root / "etc" / "zsh" / "zshenv", root / "etc" / "zshenv", home / ".zshenv", base / ".zshenv"] + \
            system_profile(root) + [base / ".zprofile", base / ".zshrc", base / ".zlogin"]


class Sh(Posix):
    name = "sh"
    aliases = ("dash", "ksh", "mksh", "ksh93", "ash", "busybox")

    def quote(self, value: str) -> str:
        # ksh and mksh brace-expand the words of an unquoted `eval $(...)`, which
        # can turn a quoted value into code, so braces are refused for this family.
        refuse_braces(value, N_("ksh and mksh"))
        return super().quote(value)

    system_readers = ("sh", "bash", "zsh")  # /etc/profile runs profile.d for each (zsh's through its zprofile)

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        return [StartupFile(platform.home / ".profile", Msg("read by login shells"))]

    def read_order(self, platform: Platform, root: Path) -> list[Path]:
        return system_profile(root) + [home_of(platform) / ".profile"]

    def system_files(self, root: Path) -> list[Path]:
        # /etc/profile runs every file here for login shells of sh, bash, dash and ksh.
        profile_d = root / "etc" / "profile.d"
        return [profile_d / "hfenv.sh"] if profile_d.is_dir() else []



