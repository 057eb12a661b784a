"""Templates -> shell code. The only place shell syntax is produced."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from .shells import Shell, UnsafeValue, check_value

__all__ = ["UnsafeValue", "assignments", "unset_assignments", "render_shell_code", "render_lines"]

VARIABLES = ("HF_ENDPOINT", "HF_HUB_CACHE")


def templates_dir() -> Path:
    """templates/ inside the installed package, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "posix.sh").is_file():
            return candidate
    raise FileNotFoundError(f"hfenv's templates/ directory is missing (looked beside {here})")


@lru_cache(maxsize=None)
def load_template(filename: str) -> dict[str, str]:
    """Parse a template: `key: code` lines; `#` lines and blank lines are notes."""
    entries: dict[str, str] = {}
    text = (templates_dir() / filename).read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, code = line.partition(": ")
        if not sep:
            raise ValueError(f"template {filename}: line without 'key: ' prefix: {line!r}")
        entries[key] = code
    return entries


def assignments(endpoint_url: str, cache_dir: str | None = None) -> list[tuple[str, str | None]]:
    """(variable, value) pairs to set; cache_dir is made absolute for startup files."""
    pairs: list[tuple[str, str | None]] = [("HF_ENDPOINT", endpoint_url)]
    if cache_dir is not None:
        check_value(cache_dir)
        if not cache_dir:
            raise UnsafeValue("--cache-dir is empty")
        pairs.append(("HF_HUB_CACHE", os.path.abspath(os.path.expanduser(cache_dir))))
    return pairs


def unset_assignments() -> list[tuple[str, str | None]]:
    return [(name, None) for name in VARIABLES]


def render_lines(shell: Shell, pairs: list[tuple[str, str | None]]) -> list[str]:
    """One line of `shell` code per pair; a None value unsets the variable."""
    template = load_template(shell.template)
    lines = []
    for name, value in pairs:
        if value is None:
            code = template["unset"].replace("{{name}}", name)
        else:
            code = template["set"].replace("{{name}}", name).replace("{{value}}", shell.quote(value))
        lines.append(code)
    return lines


def render_shell_code(shell: Shell, pairs: list[tuple[str, str | None]]) -> str:
    """The text `hfenv shell` prints: code only, one command per line."""
    return "".join(line + "\n" for line in render_lines(shell, pairs))
