"""fish: its own quoting, its `set` syntax, and conf.d files it runs at start."""

from __future__ import annotations

from pathlib import Path

from .base import Action, Msg, Platform, ProgramHost, Shell, StartupFile, Words, check_value, config_of, listing

_LONG_OPTIONS = {"--export": "x", "--unexport": "u", "--erase": "e", "--local": "l", "--global": "g",
                 "--universal": "U"}


class Fish(Shell):
    name = "fish"
    template = "fish.fish"
    evaluates = "{} | source"
    syntax = "fish"
    openers = frozenset({"if", "while", "for", "function", "begin", "switch"})
    closers = frozenset({"end"})
    continuers = frozenset({"else", "not", "and", "or"})

    def quote(self, value: str) -> str:
        # fish single quotes are not fully literal: backslash escapes ' and \ there.
        check_value(value)
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def word_actions(self, words: Words, name: str) -> list[Action]:
        head = words[0][0]
        if head == "export":  # fish's `export NAME=value` wraps `set -gx`
            return [("set", w[len(name) + 1:], d, True) for w, d in words[1:] if w.startswith(name + "=")]
        if head != "set":
            return []
        flags: set[str] = set()
        rest = words[1:]
        while rest and rest[0][0].startswith("-"):
            option = rest.pop(0)[0]
            flags |= {_LONG_OPTIONS[option]} if option in _LONG_OPTIONS else set(option.lstrip("-"))
        if not rest or rest[0][0] != name or "l" in flags:
            return []
        if "e" in flags:
            return [("unset", None, False, None)]
        values = rest[1:]
        # Without -x or -u, fish keeps the variable's export state: a new one is not exported.
        exported = True if "x" in flags else False if "u" in flags else None
        return [("set", " ".join(w for w, _ in values), any(d for _, d in values), exported)]

    def only_assigns(self, words: list[str], names: tuple[str, ...]) -> bool:
        head, rest = words[0], words[1:]
        if head == "set":
            args = [w for w in rest if not w.startswith("-")]
            return bool(args) and args[0] in names
        return head == "export" and all(w.split("=", 1)[0] in names for w in rest)

    def rest_is_condition(self, head: str) -> bool:
        return head in ("if", "while", "switch")

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        path = platform.config_home() / "fish" / "conf.d" / "hfenv.fish"
        return [StartupFile(path, Msg("fish runs every conf.d file at start"), owned=True)]

    def read_order(self, platform: Platform, root: Path) -> list[Path]:
        # fish runs the conf.d snippets of every directory together, sorted by file name, then config.fish.
        # hfenv's own snippet takes its place in that order before it exists (setup is about to write it).
        config = config_of(platform)
        snippets = listing(config / "fish" / "conf.d", (".fish",)) + listing(root / "etc" / "fish" / "conf.d",
                                                                             (".fish",))
        snippets += [p for p in [config / "fish" / "conf.d" / "hfenv.fish"] if p not in snippets]
        return sorted(snippets, key=lambda p: p.name) + [
            root / "etc" / "fish" / "config.fish", config / "fish" / "config.fish"]

    # fish's system configuration directory: distribution packages, Homebrew (Intel, Apple silicon).
    SYSCONF_DIRS = ("etc/fish", "usr/local/etc/fish", "opt/homebrew/etc/fish")

    def system_files(self, root: Path) -> list[Path]:
        for sysconf in self.SYSCONF_DIRS:
            if (root / sysconf).is_dir():
                return [root / sysconf / "conf.d" / "hfenv.fish"]
        return []

    def other_system_files(self, root: Path) -> list[Path]:
        # A fish installed (or removed) since: Homebrew's and the distribution's directories.
        return [root / sysconf / "conf.d" / "hfenv.fish" for sysconf in self.SYSCONF_DIRS]
