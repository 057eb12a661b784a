"""`setup --take-over`: lines outside hfenv's block that would override it, and how to step them aside.

A blog post's ``export HF_ENDPOINT=...`` pasted at the end of ``~/.bashrc`` runs
after hfenv's block (which goes first there), so new shells get the old value
while setup reports success. Setup therefore looks, in every file the shell
reads (hfenv.startup's list and read order), for lines that set or unset a
variable setup writes and run after hfenv's block: later in the same file, or
in a file read later. Found, setup stops (exit 1) naming file:line; with
``--take-over`` it comments them out, and ``reset`` puts them back.

The comment form: :data:`PREFIX` followed by the original line's bytes,
untouched (a CRLF line keeps its ``\\r``, a last line without newline stays
so, bytes that are not UTF-8 stay). Reset removes exactly that prefix from
every line that starts with it, so ``restore(comment_out(x)) == x`` byte for
byte. The prefix is long and specific so that no hand-written line matches.

What is left alone, and why:

- *guarded* lines (inside ``if``/``case``/a loop/a function, after
  ``&&``/``||``; an indented xonsh or elvish line) may run, so they stop setup
  too. Commenting one out could leave an empty ``then ... fi`` (a syntax
  error), so in sh/bash/zsh ``--take-over`` replaces such a line with
  :data:`GUARD_PREFIX` + the line (``:`` is a command that does nothing, the
  rest a comment); reset removes that prefix, byte for byte. Only a line that
  opens and closes its own blocks, starts no ``then``/``else``/``fi``, holds no
  case pattern and does nothing but tests and assignments is stepped aside;
  others, and every guarded line in fish, tcsh, xonsh, elvish, are for the
  user to edit ("guarded-manual").
- lines that keep hfenv's value (``${HF_ENDPOINT:-...}``): a warning only.
- lines setup cannot comment out alone: a line continued with ``\\`` (the next
  line would become a command of its own) or one that does more than set
  hfenv's variables (``export HF_HOME=/x HF_ENDPOINT=...; alias ...``).
  They stop setup even with ``--take-over``: edit them by hand.
- lines that set the very value setup writes (nothing is overridden), and a
  bare ``export HF_ENDPOINT`` (it changes no value).

The functions over bytes come first; the few that read files (through
hfenv.startup) are at the end.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import startup
from .i18n import N_, _

PREFIX = b"# hfenv take-over (hfenv reset restores this line): "
# A line inside a block (`then ... fi`, a function) or after `&&`: ':' is a command that does nothing, so
# the block keeps a command and stays valid sh/bash/zsh; the original follows as a comment.
GUARD_PREFIX = b": " + PREFIX
# Commands that only test something: a guarded line made of these and assignments can be stepped aside whole.
_TESTS = frozenset({"[", "[[", "test", "true", "false", ":"})


@dataclass(frozen=True)
class Override:
    """A line read after hfenv's block that sets or unsets one of its variables."""

    path: str
    line: int
    text: str
    name: str
    kind: str  # "override" (take-over comments it), "manual" (edit by hand); warnings only:
    # "conditional" (it may not run), "system" (a machine-wide file: the administrator's)
    shells: tuple[str, ...] = ()

    def label(self, home: str = "") -> str:
        path = self.path
        if home and path.startswith(home.rstrip("/") + "/"):
            path = "~" + path[len(home.rstrip("/")):]
        return f"{path}:{self.line}"


def report(found: list[Override], home: str) -> tuple[list[str], list[str]]:
    """(lines that stop setup, warnings), each naming file:line, the line and the shells that read it."""
    stops, warnings = [], []
    for item in found:
        text = _(_REPORT[item.kind]).format(where=item.label(home), line=f"`{item.text}`",
                                            shells=", ".join(item.shells))
        (stops if item.kind in STOPS else warnings).append(text)
    return stops, warnings


# One message per kind of line, whole (a translation orders the parts as its language wants).
_REPORT = {
    "override": N_("{where}: {line}, read by {shells}"),
    "manual": N_("{where}: {line}, read by {shells} (hfenv cannot comment it out alone: edit it by hand)"),
    "guarded": N_("{where}: {line}, read by {shells} (inside an if, a loop or a function, or after && or ||: "
                  "it may run)"),
    "guarded-manual": N_("{where}: {line}, read by {shells} (inside an if, a loop or a function, or after && "
                         "or ||: it may run, and hfenv has no safe way to step it aside here (fish, tcsh and the "
                         "like, or a line that does more): edit it by hand)"),
    "conditional": N_("{where}: {line}, read by {shells} (it keeps hfenv's value when that is set; hfenv leaves "
                      "it alone)"),
    "system": N_("{where}: {line}, read by {shells} (a machine-wide file: hfenv leaves it to the administrator)"),
}


STOPS = ("override", "manual", "guarded", "guarded-manual")  # kinds that stop setup
TAKEN = ("override", "guarded")  # kinds --take-over steps aside
MANUAL = ("manual", "guarded-manual")  # kinds only a person can fix


@dataclass(frozen=True)
class FileView:
    """One file a shell reads, as setup is about to leave it; ``target``: hfenv's block for this shell goes here."""

    path: str
    data: bytes
    syntax: str
    markers: object | None
    target: bool


# ---- over bytes -----------------------------------------------------------------


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _block(data: bytes, markers, label: str) -> tuple[int, int] | None:
    return startup.block_lines(data, markers, label) if markers is not None else None


def _takeable(raw: bytes, syntax: str, names: tuple[str, ...]) -> bool:
    """True when commenting the line out removes nothing but assignments of names."""
    text = raw.decode("utf-8", "replace").strip()
    if text.endswith("\\"):
        return False  # the next line would become a command of its own
    reader = startup.READERS.get(syntax, startup.READERS["posix"])
    if reader.line_patterns(startup.NAME) is not None:
        return True  # one assignment per line, matched whole
    commands = startup.shell_commands(text)
    return len(commands) == 1 and reader.only_assigns([w for w, _ in commands[0]], names)


def _kind(found: startup.StartupLine, raw: bytes, syntax: str, values: dict[str, str]) -> str | None:
    """How a line read after the block is treated (see the module's doc), None: not an override."""
    if found.in_block or found.action == "export":
        return None
    same = found.action == "set" and not found.dynamic and found.value == values[found.name]
    if same and found.exported is not False:
        return None
    if found.dynamic and found.value and found.name in found.value:
        return "conditional"  # e.g. ${HF_ENDPOINT:-...}: keeps hfenv's value when it is set
    if found.conditional:  # it may run: setup cannot claim success
        return "guarded" if _neutralisable(raw, syntax, tuple(values)) else "guarded-manual"
    return "override" if _takeable(raw, syntax, tuple(values)) else "manual"


def _neutralisable(raw: bytes, syntax: str, names: tuple[str, ...]) -> bool:
    """True when a guarded sh/bash/zsh line can become GUARD_PREFIX + line and the file stay valid.

    The line must open and close its own blocks (`if ...; then export ...; fi`, or none), not start with
    `then`/`else`/`fi`/... nor hold a case pattern, and do nothing but tests and assignments of names."""
    text = raw.decode("utf-8", "replace").strip()
    if syntax != "posix" or text.endswith("\\") or ";;" in text or startup._parse(text, syntax, "\0")[1] != 0:
        return False
    reader = startup.READERS["posix"]
    marks = reader.openers | reader.closers | reader.continuers
    commands = startup.shell_commands(text)
    if not commands or commands[0][0][0] in reader.closers | reader.continuers:
        return False
    for words in commands:
        plain = [w for w, _ in words]
        while plain and plain[0] in marks:
            plain.pop(0)
        if not plain:
            continue
        if plain[0].endswith(")") or not (plain[0] in _TESTS or reader.only_assigns(plain, names)):
            return False
    return True


def overriding_lines(data: bytes, syntax: str, values: dict[str, str], markers, whole: bool,
                     label: str = "") -> list[tuple[int, startup.StartupLine, str]]:
    """(line number, the line read back, kind) of each line of data that would override values.

    ``whole``: every line outside hfenv's block counts (a file read after the block);
    otherwise only the lines after the block (the file that holds it).
    """
    block = _block(data, markers, label)
    start = 0 if whole or block is None else block[1]
    raw_lines = _lines(data)
    out = []
    for found in startup.scan(data, syntax, tuple(values), block, label):
        if found.line <= start or any(n == found.line for n, _, _ in out):
            continue  # (one entry per line, even when it sets two of hfenv's variables)
        kind = _kind(found, raw_lines[found.line - 1], syntax, values)
        if kind is not None:
            out.append((found.line, found, kind))
    return out


def comment_out(data: bytes, syntax: str, values: dict[str, str], markers, whole: bool) -> bytes:
    """data with each override line that take-over may touch prefixed by PREFIX; every other byte kept."""
    kinds = {n: kind for n, _, kind in overriding_lines(data, syntax, values, markers, whole) if kind in TAKEN}
    if not kinds:
        return data
    prefix = {"override": PREFIX, "guarded": GUARD_PREFIX}
    return b"\n".join(prefix[kinds[i]] + line if i in kinds else line for i, line in enumerate(_lines(data), 1))


def restore(data: bytes) -> bytes:
    """data with GUARD_PREFIX or PREFIX removed from the start of every line: what it was before take-over."""
    if PREFIX not in data:
        return data

    def back(line: bytes) -> bytes:
        for prefix in (GUARD_PREFIX, PREFIX):
            if line.startswith(prefix):
                return line[len(prefix):]
        return line
    return b"\n".join(back(line) for line in _lines(data))


def find_overrides(files: list[FileView], values: dict[str, str], shells: tuple[str, ...] = (),
                   home: str | None = None) -> list[Override]:
    """Every override line in files (one shell's files, in its read order).

    Lines in files outside ``home`` are machine-wide settings (kind "system"): hfenv
    reports them and never edits them."""
    found, seen_block = [], False
    for view in files:
        if view.target:
            seen_block = True
        elif not seen_block:
            continue  # read before hfenv's block: the block wins
        for number, line, kind in overriding_lines(view.data, view.syntax, values, view.markers, not view.target,
                                                   view.path):
            if home is not None and not view.path.startswith(home.rstrip("/") + "/") and kind != "conditional":
                kind = "system"
            found.append(Override(view.path, number, line.text, line.name, kind, shells))
    return found


# ---- files (the edge) -----------------------------------------------------------------


def _places(shell, platform, own: list, root: Path | None) -> list:
    """The places `shell` reads; its targets in this plan (own) where the documented defaults differ.

    No host is asked here: the plan already holds the targets it found (PowerShell's profiles)."""
    places = startup.places_for(shell.name, startup.startup_places(platform, None, root))
    known = {os.path.realpath(str(p.path)) for p in places}
    missing = [startup.StartupPlace(Path(str(t.path)), (shell.name,), t.markers, True) for t in own
               if os.path.realpath(str(t.path)) not in known]
    return missing + places


def shell_files(shell, platform, own: list, contents: dict[str, bytes | None], root: Path | None = None
                ) -> list[FileView]:
    """The files `shell` reads, in order, with contents (by real path) replacing what is on disk.

    ``own``: the shell's targets in this plan (hfenv's block for it goes there)."""
    from .files import read_regular

    own_keys = {os.path.realpath(str(t.path)) for t in own}
    views = []
    for place in _places(shell, platform, own, root):
        key = os.path.realpath(str(place.path))
        if key in contents:
            data = contents[key]
        else:
            try:
                data = read_regular(place.path)
            except OSError:
                data = None
        if data is None:
            continue
        views.append(FileView(str(place.path), data, place.syntax, place.markers, key in own_keys))
    return views


def overrides(shells, changes, pairs, platform, host, root: Path | None = None) -> list[Override]:
    """The override lines for each shell, reading its targets as the planned changes leave them."""
    contents = {os.path.realpath(str(c.target.path)): c.new for c in changes}
    values = {name: value for name, value in pairs if value is not None}
    found: dict[tuple[str, int, str], Override] = {}
    for shell in shells:
        own = [c.target for c in changes if c.target.kind == shell.name]
        views = shell_files(shell, platform, own, contents, root)
        for item in find_overrides(views, values, (shell.name,), str(platform.home)):
            key = (os.path.realpath(item.path), item.line, item.name)
            if key in found:
                item = Override(item.path, item.line, item.text, item.name, item.kind,
                                found[key].shells + item.shells)
            found[key] = item
    return list(found.values())


def with_take_over(edits: list, found: list[Override], pairs, changes) -> list:
    """edits with each file holding an override line commented out (composed with its block edit)."""
    from .writers import Target

    values = {name: value for name, value in pairs if value is not None}
    files: dict[str, tuple[str, str, object, bool]] = {}
    syntax_of = {}
    for change in changes:
        syntax_of[os.path.realpath(str(change.target.path))] = change.target
    for item in found:
        if item.kind not in TAKEN:
            continue
        key = os.path.realpath(item.path)
        target = syntax_of.get(key)
        from . import shells as shells_mod

        syntax = shells_mod.get(item.shells[0]).syntax
        files[key] = (item.path, syntax, target.markers if target else None, target is not None)

    def step(inner, syntax, markers, whole):
        from .blocks import HASH_MARKERS

        def edit(old):
            new = inner(old) if inner else old
            return None if new is None else comment_out(new, syntax, values, markers or HASH_MARKERS, whole)
        return edit

    out = []
    for target, edit in edits:
        key = os.path.realpath(str(target.path))
        if key in files:
            path, syntax, markers, _rest = files.pop(key)
            edit = step(edit, syntax, target.markers, False)
        out.append((target, edit))
    extra = [(Target("take-over", Path(path), match_newline=False), step(None, syntax, None, True))
             for path, syntax, _, _ in files.values()]
    at = next((i for i, (t, _) in enumerate(out) if t.kind == "config" or t.kind.endswith("environment")), len(out))
    return out[:at] + extra + out[at:]


def with_restores(edits: list, shells, platform, host, root: Path | None = None) -> list:
    """edits with every line that take-over commented out (in the shells' files) put back."""
    from .files import read_regular
    from .writers import Target

    keys = {os.path.realpath(str(t.path)) for t, _ in edits}
    paths = []
    for shell in shells:
        for place in _places(shell, platform, [t for t, _edit in edits if t.kind == shell.name], root):
            try:
                holds = PREFIX in read_regular(place.path)
            except OSError:
                continue
            key = os.path.realpath(str(place.path))
            if holds and key not in paths:
                paths.append(key if key in keys else str(place.path))

    def step(inner):
        def edit(old):
            new = inner(old) if inner else old
            return None if new is None else restore(new)
        return edit

    out = [(t, step(e) if os.path.realpath(str(t.path)) in paths else e) for t, e in edits]
    extra = [(Target("take-over", Path(p), match_newline=False), step(None)) for p in paths if p not in keys]
    return extra + out
