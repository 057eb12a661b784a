"""What every shell entry has: the Shell interface, the platform it decides for, shared quoting checks.

A :class:`Shell` owns both directions of its syntax. Writing: ``template``
(rendered by hfenv.render) and ``quote``. Reading back (hfenv.startup's one
reader): ``syntax`` names the syntax, and either ``word_actions`` (shells whose
assignments are shell words: posix, fish, csh) or ``line_patterns`` (one
assignment per line: xonsh, elvish, PowerShell, cmd) says what a line does to a
variable. Its files: ``startup_files`` (what setup writes), ``read_order`` (every
file it reads at start, in order), ``system_files``; and ``evaluates``, its eval line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path, PurePath

from ..blocks import HASH_MARKERS, Markers
from ..record import Default, Record

# Characters no shell here can carry through one line of code.
CONTROL = {chr(c) for c in range(0x20)} | {"\x7f", "\u0085", "\u2028", "\u2029"}

# One action of a line on a variable: ("set", value, dynamic, exported), ("export", None, False, True)
# or ("unset", None, False, None). Words are (text, dynamic) pairs, quotes removed (hfenv.startup).
Action = tuple
Words = list[tuple[str, bool]]
UNSET: Action = ("unset", None, False, None)


def _(message: str) -> str:
    """hfenv.i18n's `_`, imported only when a message is worded (the shells are on `hfenv shell`'s fast path)."""
    from ..i18n import _ as translate

    return translate(message)


def N_(message: str) -> str:
    """Marks a message for the catalog where it is defined (hfenv.i18n.N_, without importing it here)."""
    return message


def Msg(template: str, **kwargs) -> str:
    """hfenv.i18n.Msg, imported when one is made: a message that is data (English as a str, the user's
    language through hfenv.i18n.local), without loading hfenv.i18n for `hfenv shell`."""
    from ..i18n import Msg as message

    return message(template, **kwargs)


class UnknownShell(ValueError):
    """A --shell value (or detected shell) hfenv does not know."""


class UnsafeValue(ValueError):
    """A value that cannot be written safely for a given shell."""


class Platform(Record):
    """What a startup-file decision depends on; built by detect, replaced in tests."""

    system: str  # "linux", "macos", "windows" (WSL counts as linux)
    home: PurePath
    env: Mapping[str, str] = Default(dict)
    git_bash: bool = False

    def config_home(self) -> PurePath:
        xdg = self.env.get("XDG_CONFIG_HOME")
        return PurePath(xdg) if xdg and os.path.isabs(xdg) else self.home / ".config"


class StartupFile(Record):
    """A file `setup --persist` writes for a shell; `owned` files belong to hfenv whole.

    ``at_start``: the block goes first in the file (before an early `return`);
    ``newline`` and ``bom``: how a file that hfenv creates is written;
    ``match_newline``: the block may follow a file's CRLF endings (only shells
    that ignore the \r do; the others would read it as part of the value).
    """

    path: PurePath
    why: str  # a Msg: `hfenv detect --json` shows it in English, its text in the user's language
    owned: bool = False
    at_start: bool = False
    newline: str = "\n"
    bom: bool = False
    match_newline: bool = False


class ProgramHost:
    """What startup_files may ask the machine (see hfenv.host); None: use documented defaults.

    An interface only (plain, not a typing.Protocol: `hfenv shell` does not import typing)."""

    def which(self, program: str) -> str | None: ...

    def powershell_profile(self, exe: str) -> str | None: ...


def check_value(value: str) -> None:
    """Refuse what no shell line can carry: control characters and unencodable bytes."""
    for ch in value:
        if ch in CONTROL:
            raise UnsafeValue(_("value contains a control character ({code})").format(code=f"{ord(ch):#04x}"))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafeValue(_("value is not valid UTF-8 (undecodable bytes in a path?)")) from None


def refuse_braces(value: str, who: str) -> None:
    check_value(value)
    if "{" in value or "}" in value:
        raise UnsafeValue(_(
            "{shells} brace-expand the words of an unquoted eval, which can run a value as code: "
            "'{{' and '}}' cannot be carried safely"
        ).format(shells=_(who)))


class Shell:
    name: str = ""
    aliases: tuple[str, ...] = ()
    template: str = ""
    # How this shell runs what a command prints, `{}` standing for the command: the eval line that
    # `hfenv shell --help`, setup's hints, doctor and the READMEs show (a test checks the READMEs).
    evaluates: str = ""
    block_markers: Markers = HASH_MARKERS
    # Reading back: the name of its startup files' syntax (shells sharing one share the reader),
    # the words that open, close and continue a compound command (lines inside may not run),
    # and whether an indented line is inside a block (xonsh, elvish).
    syntax: str = ""
    openers: frozenset[str] = frozenset()
    closers: frozenset[str] = frozenset()
    continuers: frozenset[str] = frozenset()
    indent_nests: bool = False
    system_readers: tuple[str, ...] = ()  # the shells that read its machine-wide files (): itself
    sources: bool = False  # its files run others by a literal path (`. FILE`): those are read after them

    def quote(self, value: str) -> str:
        raise NotImplementedError

    def eval_line(self, command: str = "hfenv shell") -> str:
        """The line that puts `command`'s output into effect in this shell."""
        return self.evaluates.format(command)

    @property
    def eval_hint(self) -> str:
        """The eval line naming this shell, so it works wherever detection would guess another."""
        return self.eval_line(f"hfenv shell --shell {self.name}")

    # ---- reading a line back (the inverse of the template) ----

    def word_actions(self, words: Words, name: str) -> list[Action]:
        """What one simple command (its words) does to `name`; for shells whose lines are shell words."""
        return []

    def line_patterns(self, name: str) -> tuple[re.Pattern, re.Pattern] | None:
        """(unset pattern, set pattern with a `value` group) for shells with one assignment per line."""
        return None

    def line_value(self, value: str, commands: list[Words]) -> Action:
        """The action of a set line whose value text is `value` (`commands`: it cut as shell words)."""
        word, dynamic = commands[0][0] if commands else ("", False)
        return ("set", word, dynamic, True)

    def only_assigns(self, words: list[str], names: tuple[str, ...]) -> bool:
        """Whether this command does nothing but assign (or unset) names: commenting it out loses nothing else."""
        return False

    def rest_is_condition(self, head: str) -> bool:
        """After this compound-command word, the rest of the command is a condition, not run as such."""
        return False

    def block_change(self, words: Words) -> tuple[Words, int, bool]:
        """(words still to read, change of block depth, whether a block opens) for a command after its
        compound-command words are taken off: a function header, an `if (...) then`."""
        return words, 0, False

    # ---- its files ----

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        return []

    def other_startup_files(self, platform: Platform) -> list[PurePath]:
        """Files an earlier setup may have chosen instead (the choice depends on what existed)."""
        return []

    def read_order(self, platform: Platform, root: Path) -> list[Path]:
        """Every file this shell reads at start where users put variables, in the order it reads them."""
        return []

    def system_files(self, root: Path) -> list[Path]:
        """Machine-wide files (owned by hfenv) that `setup --system` writes, where their directory exists."""
        return []

    def other_system_files(self, root: Path) -> list[Path]:
        """Machine-wide files an earlier `setup --system` may have chosen instead."""
        return []


def first_existing(candidates: list[PurePath], default: PurePath) -> PurePath:
    for path in candidates:
        if os.path.lexists(path):
            return path
    return default


def listing(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """The files of a folder with these suffixes, sorted (at most 200); [] when it cannot be listed."""
    try:
        return [p for p in sorted(folder.iterdir()) if p.suffix in suffixes][:200]
    except OSError:
        return []


def home_of(platform: Platform) -> Path:
    return Path(str(platform.home))


def config_of(platform: Platform) -> Path:
    return Path(str(platform.config_home()))
