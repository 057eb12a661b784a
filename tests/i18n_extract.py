"""Every message literal hfenv passes to `_()` or `ngettext()`, found with `ast` (tests and catalog upkeep)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "hfenv"
CATALOG = PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES" / "hfenv.po"


def messages() -> dict:
    """{msgid or (singular, plural): "file:line"} for every literal `_()`/`ngettext()` call in hfenv/."""
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
            elif node.func.id == "ngettext" and len(args) == 3 and all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args[:2]):
                found.setdefault((args[0].value, args[1].value), where)
    return found
