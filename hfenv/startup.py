"""The one reader of startup files: which files each shell reads, in what order, and what their lines do.

``detect``, ``doctor`` and ``setup``'s take-over check all read startup files
through this module, so they always agree on where a variable is set.

- :func:`startup_places`: every file that can set a variable for a shell here,
  each once (symlinks joined), in the order shells read them (each shell's
  ``read_order``, merged). Files a bash or
  sh file sources with a literal path (``. ~/.bash_aliases``, as Debian's
  ``~/.bashrc`` does) come right after the file that sources them; a file
  nothing sources is not read, so it does not count.
- :func:`parse_line`: what one line does to a variable, in the syntax of the
  shells that read it: set it (exported or not), export it, or unset it. The
  shell's entry (:class:`hfenv.shells.Shell`, named by its ``syntax``) reads
  the line, the inverse of its template; this module cuts lines into words and
  tracks blocks. Only static, top-level constructs are understood; a ``$(...)``
  value is reported as dynamic, not run.
- :func:`scan`: every line of a file's bytes that touches the variables,
  with its line number, whether it is inside hfenv's marker block, and whether
  it is *conditional* (inside ``if``/``case``/a loop/a function, or after
  ``&&``/``||``): hfenv cannot tell whether such a line runs.
- :func:`held_values`: what a shell holds after each line it reads, and whether
  its programs get it (the export flag an earlier line gave stays; fish's
  global and universal variables are kept apart), as the real shells do.
- :func:`read_places`: :func:`scan` over files on disk, read with
  :func:`hfenv.files.read_regular` (a FIFO or /dev/zero among the startup files
  is a problem reported by name, never a hang).

Lines are split on ``\\n`` only, as the shells do; a CRLF line's ``\\r`` is
whitespace to this reader.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .files import FileRefused, read_regular
from .shells import SHELLS, UNSET, Action, Shell, Words
from .shells.base import listing

NAME = "HF_ENDPOINT"


# ---- one line -------------------------------------------------------------------


def shell_commands(text: str) -> list[list[tuple[str, bool]]]:
    """Shell code cut into simple commands (at ; & |), each a list of (word, dynamic), quotes removed.

    A word is dynamic when it holds $ or backquotes outside '...'; $(...), ${...}
    and `...` stay one word. A # that starts a word ends the line.
    """
    return [words for words, _ in _commands(text)]


def _commands(text: str) -> list[tuple[list[tuple[str, bool]], bool]]:
    """shell_commands, each with whether it runs only after `&&` or `||` (conditionally)."""
    commands: list[list[tuple[str, bool]]] = [[]]
    after_logic = [False]
    word: list[str] | None = None
    dynamic = False
    i, n = 0, len(text)

    def close():
        nonlocal word, dynamic
        if word is not None:
            commands[-1].append(("".join(word), dynamic))
        word, dynamic = None, False

    while i < n:
        ch = text[i]
        if ch in " \t\r":
            close()
            i += 1
            continue
        if ch in ";&|":
            close()
            logic = ch in "&|" and text[i + 1:i + 2] == ch
            if commands[-1]:
                commands.append([])
                after_logic.append(logic)
            elif logic:
                after_logic[-1] = True
            i += 2 if logic else 1
            continue
        if ch == "#" and word is None:
            break
        word = [] if word is None else word
        if ch == "'":
            end = text.find("'", i + 1)
            end = n if end < 0 else end
            word.append(text[i + 1:end])
            i = end + 1
        elif ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\$`':
                    j += 1
                elif text[j] in "$`":
                    dynamic = True
                word.append(text[j])
                j += 1
            i = j + 1
        elif ch == "\\":
            word.append(text[i + 1:i + 2])
            i += 2
        elif ch == "`" or (ch == "$" and text[i + 1:i + 2] in ("(", "{")):
            dynamic = True
            opener = text[i + 1:i + 2] if ch == "$" else "`"
            closer = {"(": ")", "{": "}", "`": "`"}[opener]
            j, depth = i + (2 if ch == "$" else 1), 1
            while j < n and depth:
                if text[j] == closer:
                    depth -= 1
                elif text[j] == opener and opener != "`":
                    depth += 1
                j += 1
            word.append(text[i:j])
            i = j
        else:
            if ch == "$":
                dynamic = True
            word.append(ch)
            i += 1
    close()
    return [(c, logic) for c, logic in zip(commands, after_logic) if c]


class _EnvironmentFiles(Shell):
    """The session's environment files, read like a shell's: every program of the session gets them."""

    syntax = "environment"

    def word_actions(self, words: Words, name: str) -> list[Action]:
        # /etc/environment and environment.d: NAME=value (pam_env skips an "export "); ~/.pam_environment:
        # NAME DEFAULT=value OVERRIDE=value. Everything there ends up in every program's environment.
        if words[0][0] == "export":
            words = words[1:]
        if not words:
            return []
        word, dynamic = words[0]
        if word.startswith(name + "="):
            return [("set", word[len(name) + 1:], dynamic, True)]
        if word == name:
            found = {w.split("=", 1)[0]: (w.split("=", 1)[1], d) for w, d in words[1:] if "=" in w}
            chosen = found.get("OVERRIDE") or found.get("DEFAULT")
            if chosen is not None:
                return [("set", chosen[0], chosen[1] or "${" in chosen[0] or "@{" in chosen[0], True)]
        return []


    def only_assigns(self, words: list[str], names: tuple[str, ...]) -> bool:
        return READERS["posix"].only_assigns(words, names)


# The reader of each syntax is the Shell entry that names it (hfenv.shells), plus the environment files.
READERS: dict[str, Shell] = {**{entry.syntax: entry for entry in SHELLS.values()}, "environment": _EnvironmentFiles()}
SYNTAXES = tuple(READERS)


def parse_line(text: str, syntax: str = "posix", name: str = NAME) -> list[Action]:
    """What one line of a startup file does to `name`, in the syntax of the shells that read it."""
    return [action for action, _, _ in _parse(text, syntax, name)[0]]


_FISH_QUERIES = frozenset({"q", "S", "n", "--query", "--show", "--names"})


def _scoped(syntax: str, words: Words, name: str, actions: list[Action]) -> tuple[list[Action], str]:
    """(actions, the fish scope they work on: "global", "universal", "any" without -g/-U; "" for the other
    shells), as the real shells do them.

    Measured with fish 3.6, bash 5.2, zsh 5.9 and ksh93: ``set -q``/``-S``/``-n``
    only look; ``set -U`` sets a universal variable, ``set -g`` a global one, and
    ``set``/``set -e`` without either the global one if there is one, else the
    universal one (see :func:`held_values`). ``typeset +x``/``declare +x`` take
    the export flag away.
    """
    head = words[0][0] if words else ""
    if head not in ("set", "typeset", "declare"):
        return actions, ""
    options = [w for w, _ in words[1:] if w.startswith(("-", "+"))]
    if syntax == "fish" and head == "set":
        flags = {o for o in options if o.startswith("--")} | {c for o in options if not o.startswith("--")
                                                              for c in o[1:]}
        if flags & _FISH_QUERIES:
            return [], ""
        return actions, ("universal" if flags & {"U", "--universal"} else "global" if flags & {"g", "--global"}
                         else "any")
    if syntax == "posix" and any(o.startswith("+") and "x" in o for o in options):
        # `typeset +x NAME=value` assigns and unexports; `typeset +x NAME` unexports, like `export -n NAME`.
        assigned = [(kind, value, dynamic, False) for kind, value, dynamic, _ in actions if kind == "set"]
        if assigned or not any(w == name for w, _ in words[1:]):
            return assigned, ""
        return [UNSET], ""
    return actions, ""


def _parse(text: str, syntax: str, name: str) -> tuple[list[tuple[Action, bool, str]], int]:
    """(each action with whether it is conditional on this line and the fish scope it works on (_scoped),
    the change of block depth)."""
    text = text.strip()
    reader = READERS.get(syntax, READERS["posix"])
    patterns = reader.line_patterns(name)
    if patterns is not None:
        unset, setter = patterns
        if unset.search(text):
            return [(UNSET, False, "")], 0
        match = setter.match(text)
        if not match:
            return [], 0
        return [(reader.line_value(match["value"], shell_commands(match["value"])), False, "")], 0
    openers, closers = reader.openers, reader.closers
    marks = openers | closers | reader.continuers
    out, depth, opened = [], 0, False
    for words, after_logic in _commands(text):
        conditional = after_logic or opened
        while words and words[0][0] in marks:
            head = words.pop(0)[0]
            if head in openers:
                depth += 1
                opened = conditional = True
            elif head in closers:
                depth -= 1
            else:
                conditional = True
            if reader.rest_is_condition(head):
                words, conditional = [], True
        words, change, opens = reader.block_change(words)
        depth += change
        opened = opened or opens
        if not words:
            continue
        actions, scope = _scoped(syntax, words, name, reader.word_actions(words, name))
        out += [(action, conditional, scope) for action in actions]
    return out, depth


# ---- a file -----------------------------------------------------------------------


@dataclass(frozen=True)
class StartupLine:
    """A place that sets, exports or unsets a variable: one line of one startup file.

    ``value`` is None unless the line assigns; ``exported`` is True when it
    exports, False when it assigns without exporting, None when it keeps what
    the variable was. ``conditional``: inside a compound command or a function,
    or after ``&&``/``||`` (it may not run).
    """

    name: str
    path: str
    line: int
    text: str  # the line, stripped, bad bytes replaced
    action: str  # "set" | "export" | "unset"
    value: str | None
    dynamic: bool
    exported: bool | None
    in_block: bool
    conditional: bool = False
    shells: tuple[str, ...] = ()  # the shells that read the file; () = every program of the session
    hfenv_target: bool = False
    scope: str = ""  # fish `set`: "global" (-g), "universal" (-U), "any" (neither); "" for the other shells

    @property
    def universal(self) -> bool:
        return self.scope == "universal"


def held_values(lines, shell: str | None) -> Iterator[tuple[object | None, bool]]:
    """(the assignment whose value `shell` holds, whether its programs get it) after each line it reads.

    `lines`: :class:`StartupLine` or anything with its fields (doctor's settings). As the shells do
    (measured with bash 5.2, zsh 5.9, dash 0.5, ksh93 and fish 3.6): an assignment without export keeps
    the export flag an earlier line gave (``HF_ENDPOINT=x`` after ``export HF_ENDPOINT=y``, fish's
    ``set -g`` after ``set -gx``); ``unset`` drops both. fish keeps a global and a universal variable
    apart: ``set``/``set -e`` without -g/-U work on the global one if there is one, else on the universal
    one; a new global starts unexported; programs get the global's value when it is exported, else the
    universal's when that one is (``set -Ux`` then ``set -g`` still gives programs the universal value).
    The other shells' lines (and the environment files, imported at start) work on the global one.
    """
    slots: dict[str, list] = {"global": [None, False], "universal": [None, False]}  # [line, exported]
    for line in lines:
        if shell is not None and line.shells and shell not in line.shells:
            continue
        scope = getattr(line, "scope", "") or "global"
        if scope == "any":
            scope = "universal" if slots["global"][0] is None and slots["universal"][0] is not None else "global"
        slot = slots[scope]
        if line.action == "unset":
            slot[:] = [None, False]
        elif line.action == "export":
            slot[1] = True
        elif line.value is not None:
            slot[:] = [line, line.exported if line.exported is not None else slot[1]]
        if slots["global"][0] is not None and slots["global"][1]:
            yield slots["global"][0], True
        elif slots["universal"][0] is not None and slots["universal"][1]:
            yield slots["universal"][0], True
        else:
            yield slots["global"][0] or slots["universal"][0], False


def reaches_programs(lines, line) -> bool:
    """Whether a shell that reads `line` exports its value while it holds it (an earlier or a later
    line may give the export flag): only then do the programs it starts see the value."""
    if not line.shells:
        return line.exported is not False
    return any(current is line and exported for shell in line.shells for current, exported in held_values(lines, shell))


def block_lines(data: bytes, markers, label: str) -> tuple[int, int] | None:
    """First and last line number of hfenv's block in data; BlockError for broken markers."""
    from .blocks import find_block

    span = find_block(data, markers, label)
    if span is None:
        return None
    return data.count(b"\n", 0, span[0]) + 1, data.count(b"\n", 0, max(span[1] - 1, 0)) + 1


def scan(data: bytes, syntax: str, names: tuple[str, ...] = (NAME,), block: tuple[int, int] | None = None,
         path: str = "", shells: tuple[str, ...] = (), hfenv_target: bool = False) -> list[StartupLine]:
    """Every line of data that sets, exports or unsets one of names, in order (``#`` lines skipped)."""
    found: list[StartupLine] = []
    reader = READERS.get(syntax, READERS["posix"])
    depth = 0
    needles = [n.encode() for n in names]
    heredocs: list[tuple[bytes, bool]] = []  # (delimiter, tabs stripped) of here-documents still open
    for number, raw in enumerate(data.split(b"\n"), 1):
        if heredocs:  # a here-document's body is data for a command, not code
            delimiter, tabs = heredocs[0]
            if (raw.lstrip(b"\t") if tabs else raw) == delimiter:
                heredocs.pop(0)
            continue
        if syntax == "posix" and b"<<" in raw:
            heredocs = heredoc_delimiters(raw)
        stripped = raw.strip()
        if not stripped or stripped.startswith(b"#"):
            continue
        mentions = any(n in raw for n in needles)
        if not mentions and not reader.openers:
            continue
        text = stripped.decode("utf-8", "replace")
        if reader.indent_nests and raw[:1] in (b" ", b"\t"):
            nested = True  # an indented line is inside a block or function
        else:
            nested = depth > 0
        for name in names if mentions else ():
            actions, _ = _parse(text, syntax, name)
            for (action, value, dynamic, exported), conditional, scope in actions:
                found.append(StartupLine(
                    name=name, path=path, line=number, text=text, action=action, value=value, dynamic=dynamic,
                    exported=exported, in_block=bool(block and block[0] <= number <= block[1]),
                    conditional=conditional or nested, shells=shells, hfenv_target=hfenv_target,
                    scope=scope))
        if reader.openers:
            depth = max(0, depth + _parse(text, syntax, "\0")[1])
    return found


_HEREDOC = re.compile(rb"(?<![<$(])<<(?![<(])(-?)[ \t]*(?:'([^'\n]*)'|\"([^\"\n]*)\"|\\?([^\s;&|<>()'\"]+))")


def heredoc_delimiters(raw: bytes) -> list[tuple[bytes, bool]]:
    """The here-documents a sh/bash/zsh line opens (`<<X`, `<<-X`, `<<'X'`, `<<"X"`): (delimiter, tabs stripped).

    Not `<<<` (a here-string) nor `$((1 << 2))`; a `<<` after a `#` that starts a word is a comment."""
    code = raw.split(b" #", 1)[0] if not raw.lstrip().startswith(b"#") else b""
    if b"((" in code:
        return []  # arithmetic: << is a shift there
    found = []
    for match in _HEREDOC.finditer(code):
        word = next(g for g in match.groups()[1:] if g is not None)
        found.append((word, match.group(1) == b"-"))
    return found


# ---- the files, in read order ---------------------------------------------------


@dataclass(frozen=True)
class StartupPlace:
    """A file hfenv reads: hfenv's targets (the same persist writes) and well-known others."""

    path: Path
    shells: tuple[str, ...]  # () = every program of the session (environment files)
    markers: object | None = None  # blocks.Markers for hfenv's targets
    hfenv_target: bool = False

    @property
    def syntax(self) -> str:
        return SHELLS[self.shells[0]].syntax if self.shells else "environment"

    def applies_to(self, shell: str | None) -> bool:
        return shell is None or not self.shells or shell in self.shells


def startup_places(platform, host, root: Path | None = None) -> list[StartupPlace]:
    """Every file that can set a variable for a shell here, each once (symlinks joined), in read order."""
    from . import persist, shells
    from .blocks import HASH_MARKERS

    root = persist.SYSTEM_ROOT if root is None else root
    found: dict[str, dict] = {}

    def add(path, shell_names, markers=None, target=False):
        key = os.path.realpath(str(path))
        entry = found.setdefault(key, {"path": Path(str(path)), "shells": [], "markers": markers, "target": target})
        for name in shell_names:
            if name not in entry["shells"]:
                entry["shells"].append(name)
        if target and not entry["target"]:
            entry.update(markers=markers, target=True)

    for path, names in _with_sourced(_other_places(platform, root), platform):
        add(path, names, HASH_MARKERS)
    for shell in shells.SHELLS.values():
        for target in persist.shell_targets(shell, platform, host):
            add(target.path, [shell.name], target.markers, True)
    for shell in shells.SHELLS.values():
        for target in persist.shell_system_targets(shell, root):
            add(target.path, list(shell.system_readers or (shell.name,)), target.markers, True)
    return [StartupPlace(e["path"], tuple(e["shells"]), e["markers"], e["target"]) for e in found.values()]


def places_for(shell: str, places: list[StartupPlace]) -> list[StartupPlace]:
    """The places a new `shell` reads, in its read order (the session's environment files first)."""
    return [p for p in places if p.applies_to(shell)]


def _other_places(platform, root: Path) -> list[tuple[Path, list[str]]]:
    """Startup files users (and tutorials) put HF_ENDPOINT in, in the order shells read them.

    The session's environment files first (every login session reads them, whatever
    the shell), then each shell's read order (``Shell.read_order``) merged into one
    list that keeps every shell's order: each shell reads its own part of it, in
    its order, and a file several shells read (/etc/profile) is listed once.
    """
    home = Path(str(platform.home))
    config = Path(str(platform.config_home()))
    places: list[tuple[Path, list[str]]] = [(root / "etc" / "environment", []), (home / ".pam_environment", [])]
    places += [(p, []) for p in listing(config / "environment.d", (".conf",))]
    merged: list[Path] = []
    names: dict[Path, list[str]] = {}
    for shell in SHELLS.values():
        order = shell.read_order(platform, root)
        for i, path in enumerate(order):
            names.setdefault(path, [])
            if shell.name not in names[path]:
                names[path].append(shell.name)
            if path in merged:
                continue
            before = [merged.index(p) + 1 for p in order[:i] if p in merged]
            after = [merged.index(p) for p in order[i + 1:] if p in merged]
            merged.insert(max(before) if before else min(after) if after else len(merged), path)
    return places + [(path, names[path]) for path in merged]


def _with_sourced(places: list[tuple[Path, list[str]]], platform, depth: int = 3) -> list[tuple[Path, list[str]]]:
    """places, each user file of sh/bash/zsh followed by the files it sources with a literal path."""
    home = str(platform.home)
    out = []
    for path, names in places:
        out.append((path, names))
        if depth and names and all(SHELLS[n].sources for n in names) and str(path).startswith(home):
            sourced = [(p, names) for p in sourced_files(path, home)]
            out += _with_sourced(sourced, platform, depth - 1)
    return out


def sourced_files(path: Path, home: str) -> list[Path]:
    """Files a sh/bash/zsh file sources (`. FILE`, `source FILE`) with a literal path (~ and $HOME allowed)."""
    try:
        data = read_regular(path)
    except OSError:
        return []
    found = []
    for raw in data.split(b"\n"):
        if b"." not in raw and b"source" not in raw:
            continue
        for words, _ in _commands(raw.decode("utf-8", "replace").strip()):
            while words and words[0][0] in READERS["posix"].continuers | {"if", "{"}:
                words = words[1:]
            if len(words) < 2 or words[0][0] not in (".", "source"):
                continue
            target = words[1][0]
            for prefix in ("~/", "$HOME/", "${HOME}/"):
                if target.startswith(prefix):
                    target = os.path.join(home, target[len(prefix):])
            if words[1][1] and not target.startswith(home):
                continue  # some other variable: hfenv does not guess
            if os.path.isabs(target):
                found.append(Path(target))
    return found


_SETUVAR = re.compile(r"SETUVAR((?: --[a-z]+)*) ([A-Za-z0-9_]+):(.*)")


def fish_universal_lines(path: Path, names: tuple[str, ...] = (NAME,)) -> tuple[list[StartupLine],
                                                                                 list[tuple[str, str]]]:
    """fish's universal variables (`set -U`/`set -Ux` typed at a prompt), which fish stores in
    ``fish_variables`` and has before it reads any startup file: each as a StartupLine of scope
    "universal" (``SETUVAR --export NAME:VALUE``; ``\\xNN`` escapes, ``\\x1e`` between list items).
    Also (path, problem) when the file is not a regular file."""
    try:
        data = read_regular(path)
    except FileRefused as exc:
        return [], [(str(path), exc.reason)]
    except OSError:
        return [], []
    found = []
    for number, raw in enumerate(data.decode("utf-8", "replace").split("\n"), 1):
        match = _SETUVAR.fullmatch(raw.strip())
        if match is None or match[2] not in names:
            continue
        value = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m[1], 16)), match[3].replace("\\\\", "\\x5c"))
        found.append(StartupLine(
            name=match[2], path=str(path), line=number, text=raw.strip(), action="set",
            value=value.replace("\x1e", " "), dynamic=False, exported="--export" in match[1].split(),
            in_block=False, shells=("fish",), scope="universal"))
    return found, []


def read_places(places: list[StartupPlace], names: tuple[str, ...] = (NAME,),
                contents: dict[str, bytes | None] | None = None) -> tuple[list[StartupLine], list[tuple[str, str]]]:
    """The lines of each place that touch names (in read order), and (path, problem) for files not judged.

    ``contents`` (by real path) replaces what is on disk: the take-over check reads
    the targets as setup is about to write them.
    """
    from .blocks import BlockError

    lines, problems = [], []
    for place in places:
        key = os.path.realpath(str(place.path))
        if contents is not None and key in contents:
            data = contents[key]
            if data is None:
                continue
        else:
            try:
                data = read_regular(place.path)
            except FileRefused as exc:
                problems.append((str(place.path), exc.reason))
                continue
            except OSError:
                continue
        if not any(n.encode() in data for n in names):
            continue
        block = None
        if place.markers is not None:
            try:
                block = block_lines(data, place.markers, str(place.path))
            except BlockError as exc:
                problems.append((str(place.path), str(exc)))
        lines += scan(data, place.syntax, names, block, str(place.path), place.shells, place.hfenv_target)
    return lines, problems
