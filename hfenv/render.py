"""Templates -> shell code. The only place shell syntax is produced."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from .shells import Shell, UnsafeValue, check_value

__all__ = [
    "UnsafeValue", "assignments", "unset_assignments", "render_shell_code", "render_lines",
    "render_block_body", "render_git_rule",
]

# Every variable hfenv writes: the endpoint, the cache, setup --xet's switch, and what a lab
# profile implies (hfenv.profile.profile_variables), in the order blocks list them.
XET_VARIABLE = "HF_HUB_DISABLE_XET"
VARIABLES = ("HF_ENDPOINT", "HF_HUB_CACHE", XET_VARIABLE, "HF_HUB_OFFLINE", "HF_HUB_DISABLE_IMPLICIT_TOKEN",
             "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "USE_MODELSCOPE_HUB", "VLLM_USE_MODELSCOPE")
# `hfenv shell --unset` leaves these alone: other programs (pip, curl, git) may rely on them.
KEPT_ON_UNSET = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


def templates_dir() -> Path:
    """templates/ inside the installed package, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "posix.sh").is_file():
            return candidate
    from .i18n import Msg  # only when a message is worded: this module is on `hfenv shell`'s fast path

    raise FileNotFoundError(Msg("hfenv's templates/ directory is missing (looked beside {here})", here=str(here)))


@cache
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


def assignments(endpoint_url: str, cache_dir: str | None = None,
                extra: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (), *,
                disable_xet: bool = False) -> list[tuple[str, str | None]]:
    """(variable, value) pairs to set; a relative cache_dir is made absolute for startup files.

    `disable_xet` (setup --xet's decision): also HF_HUB_DISABLE_XET=1, so that huggingface_hub
    downloads Xet-backed files over plain HTTP when the Xet storage cannot be reached.
    `extra`: the further variables a lab profile implies (hfenv.profile.profile_variables),
    each one of VARIABLES; they go in the same block, after the three above."""
    pairs: list[tuple[str, str | None]] = [("HF_ENDPOINT", endpoint_url)]
    if cache_dir is not None:
        check_value(cache_dir)
        if not cache_dir.strip():
            from .i18n import Msg

            raise UnsafeValue(Msg("the path is empty"))
        pairs.append(("HF_HUB_CACHE", absolute_path(cache_dir)))
    if disable_xet:
        pairs.append((XET_VARIABLE, "1"))
    for name, value in extra:
        if name not in VARIABLES or name in ("HF_ENDPOINT", "HF_HUB_CACHE", XET_VARIABLE):
            raise ValueError(f"{name} is not a variable a lab profile adds")
        check_value(value)
        pairs.append((name, value))
    return pairs


def absolute_path(path: str) -> str:
    """path made absolute without normalising it: '..' next to a symlink means what the OS says."""
    from pathlib import PureWindowsPath

    path = os.path.expanduser(path)
    if os.path.isabs(path) or PureWindowsPath(path).is_absolute():  # C:\... for cmd and PowerShell
        return path
    if _starts_with_a_variable(path):
        from .i18n import Msg

        raise UnsafeValue(Msg("{path} starts with a variable nothing expanded (it was quoted, or came from a "
                              "file): give the path itself, e.g. ~/hf-cache or /data/hf-cache", path=repr(path)))
    try:
        here = os.getcwd()
    except OSError:  # the working directory was deleted (or is unreadable)
        from .i18n import Msg

        raise UnsafeValue(Msg("{path} is relative, but the current directory no longer exists: "
                              "give an absolute path (or cd somewhere first)", path=repr(path))) from None
    return os.path.join(here, path)


def _starts_with_a_variable(path: str) -> bool:
    """'$HOME/x', '${HOME}/x', '%USERPROFILE%\\x', '$env:USERPROFILE\\x': a variable no shell expanded,
    which would otherwise become a directory named '$HOME' under the working directory."""
    head = path.replace("\\", "/").split("/", 1)[0]
    if head.startswith("%") and head.endswith("%") and len(head) > 2:
        return True
    return head.startswith("$") and len(head) > 1


def unset_assignments() -> list[tuple[str, str | None]]:
    return [(name, None) for name in VARIABLES if name not in KEPT_ON_UNSET]


def render_lines(shell: Shell, pairs: list[tuple[str, str | None]], *, key: str = "set") -> list[str]:
    """One line of `shell` code per pair; a None value unsets the variable.

    ``key`` picks the template's form for a value: "set" (what `hfenv shell`
    prints) or "persist" (a startup file's; templates without it use "set").
    """
    template = load_template(shell.template)
    lines = []
    for name, value in pairs:
        if value is None:
            code = template["unset"].replace("{{name}}", name)
        else:
            form = template.get(key, template["set"])
            code = form.replace("{{name}}", name).replace("{{value}}", shell.quote(value))
        lines.append(code)
    return lines


def render_block_body(shell: Shell, pairs: list[tuple[str, str]]) -> str:
    """What goes between hfenv's markers in a startup file: a note, then static assignments."""
    template = load_template(shell.template)
    lines = [template["note"], *render_lines(shell, pairs, key="persist")]
    return "".join(line + "\n" for line in lines)


def render_git_rule(mirror_url: str) -> str:
    """The lines of git config that send https://huggingface.co/ to the mirror (setup --git)."""
    check_value(mirror_url)
    if any(ch in mirror_url for ch in '"\\'):
        from .i18n import Msg

        raise UnsafeValue(Msg("a git config subsection cannot hold quotes or backslashes here"))
    template = load_template("git.gitconfig")
    lines = [template["note"], template["section"].replace("{{mirror}}", mirror_url), template["entry"]]
    return "".join(line + "\n" for line in lines)


def render_shell_code(shell: Shell, pairs: list[tuple[str, str | None]]) -> str:
    """The text `hfenv shell` prints: code only, one command per line."""
    return "".join(line + "\n" for line in render_lines(shell, pairs))
