"""Every message literal hfenv passes to `_()` or `ngettext()`, found with `ast` (tests and catalog upkeep)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "hfenv"
CATALOG = PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES" / "hfenv.po"


def messages() -> dict:
    """{msgid or (singular, plural): "file:line"} for every literal `_()`/`N_()`/`ngettext()`/`Msg()` call in hfenv/."""
    found: dict = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            args = node.args
            if node.func.id in ("_", "N_") and len(args) == 1 and isinstance(args[0], ast.Constant) \
                    and isinstance(args[0].value, str):
                found.setdefault(args[0].value, where)
            elif node.func.id == "Msg" and args and isinstance(args[0], ast.Constant) \
                    and isinstance(args[0].value, str) and any(c.isalpha() for c in args[0].value):
                found.setdefault(args[0].value, where)
            elif node.func.id == "ngettext" and len(args) == 3 and all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args[:2]):
                found.setdefault((args[0].value, args[1].value), where)
    return found


# ---- English left in Chinese output ----

_NOT_PROSE = [
    re.compile(r"`[^`]*`"),                              # code spans
    re.compile(r"'[^'\n]*'|\"[^\"\n]*\""),                  # quoted values
    re.compile(r"\b[a-z][a-z0-9+.-]*://\S*", re.I),     # URLs
    re.compile(r"(?:~|\.{1,2})?(?:/[\w.@+-]+)+/?"),     # paths
    re.compile(r"\bhfenv(?: [a-z-]+)*(?: --?[\w-]+(?:[ =]\S+)?)*"),  # hfenv command lines
    re.compile(r"--?[\w-]+"),                           # options
    re.compile(r"\b[A-Z][A-Z0-9_]+(?:=\S*)?"),          # variables, VAR=value
]
_PROSE = re.compile(r"\b[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,}){2,}\b")  # three English words in a row


def english_prose(text: str, allowed=()) -> list:
    """The lines of `text` (hfenv's output under a Chinese locale) that still hold English prose:
    three or more English words in a row once code spans, quoted values, URLs, paths, hfenv
    command lines, options and VARIABLES are taken out. `allowed`: substrings that may stay
    English on a line (program output hfenv quotes, names of things)."""
    found = []
    for line in text.splitlines():
        rest = line
        for piece in allowed:
            rest = rest.replace(piece, " ")
        for pattern in _NOT_PROSE:
            rest = pattern.sub(" ", rest)
        if _PROSE.search(rest):
            found.append(line)
    return found
