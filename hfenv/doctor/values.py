"""Values in doctor's sentences: endpoint URLs, paths, quoted arguments, sizes (pure)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import PurePath
from urllib.parse import urlsplit

from ..endpoints import CATALOG, OFFICIAL, Endpoint, EndpointError, check_url
from ..endpoints import is_official_url as is_official  # noqa: F401 (doctor's name for it)
from ..i18n import _

DEFAULT_ENDPOINT = CATALOG[OFFICIAL]


def normalized(value: str) -> str:
    """What huggingface_hub makes of a value: the value without trailing slashes."""
    return value.rstrip("/")


def value_problem(raw: str) -> tuple[str, str, str] | None:
    """(level, what is wrong, fix) for an HF_ENDPOINT value, or None when it is fine (in the user's language:
    made and shown by the same judge step)."""
    if raw == "":
        return ("error", _("it is set but empty: huggingface_hub then builds URLs without a host and every "
                           "download fails"), _("unset it (the official Hub is the default) or give a URL"))
    if raw != raw.strip():
        return ("error", _("{value} has spaces around it: clients use the value verbatim, and a URL starting "
                           "or ending with a space does not work").format(value=repr(raw)),
                _("write it without the spaces: {value}").format(value=raw.strip()))
    if "://" not in raw:
        guess = f"https://{raw.rstrip('/')}"
        return ("error", _("{value} has no scheme: clients need a full URL").format(value=repr(raw)),
                _("write {url}").format(url=guess))
    slash = raw.endswith("/")
    try:
        url, warnings = check_url(raw)
    except EndpointError as exc:
        return ("error", _("{value} is not a usable endpoint URL: {reason}").format(value=repr(raw), reason=exc),
                _("give a plain https:// URL (`hfenv endpoints` lists the known ones)"))
    if slash:
        return ("error", _("{value} ends with a slash: huggingface_hub drops it, but the datasets library "
                           "builds `//` URLs from it that mirrors answer with 404").format(value=repr(raw)),
                _("write {url}").format(url=url))
    if warnings:
        return ("warn", _("{value} uses plain http: traffic, and any token sent with it, travels "
                          "unencrypted").format(value=raw),
                _("use https:// if the endpoint offers it"))
    return None


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def pretty_path(path, home: PurePath) -> str:
    text, home_text = str(path), str(home)
    if home_text and (text == home_text or text.startswith(home_text.rstrip("/\\") + os.sep)):
        return "~" + text[len(home_text.rstrip("/\\")):]
    return text


def join(words: list[str]) -> str:
    """"a, b and c" (in the user's language)."""
    listed = words[0]
    for word in words[1:-1]:
        listed = _("{listed}, {item}").format(listed=listed, item=word)
    return listed if len(words) == 1 else _("{listed} and {last}").format(listed=listed, last=words[-1])


def shown(value: str) -> str:
    """A value in a sentence: quoted when spaces (or nothing) would hide where it starts or ends."""
    return value if value and value == value.strip() and " " not in value else repr(value)


def arg(value: str, shell: str | None = None) -> str:
    """A value as one argument of a command in a fix, quoted for the user's shell when it needs it."""
    from .. import shells

    if re.fullmatch(r"[A-Za-z0-9_./:@%+,=~-]+", value):
        return value
    try:
        return shells.get(shell or "sh").quote(value)
    except (shells.UnknownShell, shells.UnsafeValue):
        import shlex

        return shlex.quote(value)


def eval_hint(shell: str | None, value: str | None, saved: Endpoint | None,
               names: Mapping[str, str] | None = None) -> str:
    """The line that sets `value` in the shell already open (by its name where it has one)."""
    from .. import shells

    hint = 'eval "$(hfenv shell)"'
    if shell:
        try:
            hint = shells.get(shell).eval_hint
        except shells.UnknownShell:
            pass
    if value is not None and (saved is None or normalized(saved.url) != normalized(value)):
        name = (names or {}).get(normalized(value))
        hint = hint.replace("hfenv shell", f"hfenv shell --endpoint {arg(name or value, shell)}", 1)
    return hint


def named(value: str, names: Mapping[str, str] | None) -> str:
    """An endpoint in a sentence: `hf-mirror (https://hf-mirror.com)` where it has a name."""
    name = (names or {}).get(normalized(value))
    return _("{name} ({url})").format(name=name, url=shown(value)) if name else shown(value)


def truthy(value: str | None) -> bool:
    return (value or "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def human_size(n: int) -> str:
    """Bytes in words, for any int (integer arithmetic: no float overflow on absurd sizes)."""
    if n < 1000:
        return f"{n} B"
    for unit in ("KB", "MB", "GB"):
        if n < 1000 ** 2:
            return f"{n / 1000:.1f} {unit}"
        n //= 1000
    tb = n // 1000
    return f"{n / 1000:.1f} TB" if tb < 10 ** 12 else "more than 10^12 TB"


def failed(exc: Exception) -> str:
    """A proxy variable that cannot be parsed (hubcheck.ProxyError) or a request's Failure, in words."""
    return getattr(exc, "detail", None) or str(exc)

