"""The endpoint catalog, strict URL checks, and hfenv's small config file.

An endpoint is accepted as a catalog name or as a URL wherever one is accepted
(SPEC 1). URLs end up inside shell code and startup files, so the check is
strict: anything that is not a plain http(s) origin with an optional path
prefix is refused with a one-line reason.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from .record import Record

OFFICIAL = "hf"
CATALOG = {
    "hf": "https://huggingface.co",
    "hf-mirror": "https://hf-mirror.com",
}
# A small file of a public repo that every Hub and mirror serves: the probe checks it,
# doctor --download fetches it.
PUBLIC_REPO = "openai-community/gpt2"
PUBLIC_FILE = "config.json"

# Patterns, compiled (and cached by re) at first use: a catalog name needs none of them.
_NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_HOST_RE = r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
_IPV6_RE = r"^\[[0-9A-Fa-f:.]+\]$"
_PATH_RE = r"^(?:[A-Za-z0-9._~/-]|%[0-9A-Fa-f]{2})*$"


def N_(message: str) -> str:
    """Marks a message for the catalog where it is defined (hfenv.i18n.N_, without importing it here)."""
    return message


def _(message: str) -> str:
    """hfenv.i18n's `_`, imported only when a message is worded (this module is on `hfenv shell`'s fast path)."""
    from .i18n import _ as translate

    return translate(message)


class EndpointError(ValueError):
    """A name or URL that hfenv refuses; the message is the one-line reason."""


class ConfigError(Exception):
    """hfenv's config file cannot be read or is damaged: a run-time failure, not bad input."""


class ChoiceInUse(ConfigError):
    """A user endpoint cannot be removed while it is the saved choice (exit 1, naming the fix)."""


class Endpoint(Record):
    name: str
    url: str

    @property
    def is_official(self) -> bool:
        return is_official_url(self.url)

    def as_dict(self) -> dict:
        return {"name": self.name, "url": self.url}


def check_url(text: str) -> tuple[str, list[str]]:
    """Return (normalised URL, warnings) or raise EndpointError naming the bad part."""
    for ch in text:
        if ord(ch) < 0x20 or ord(ch) == 0x7F or ch in "\u0085\u2028\u2029":
            raise EndpointError(_("URL contains a control character ({code})").format(code=f"{ord(ch):#04x}"))
        if ch.isspace():
            raise EndpointError(_("URL contains whitespace"))
        if ch in "'\"`":
            raise EndpointError(_("URL contains a quote character ({char})").format(char=ch))
        if ch == "\\":
            raise EndpointError(_("URL contains a backslash"))
        if ord(ch) > 0x7E:
            raise EndpointError(_("URL contains a non-ASCII character ({char}); write the host in punycode")
                                .format(char=repr(ch)))
    if "://" not in text:
        raise EndpointError(_("not a catalog name and not a URL: {text} (known names: {names})").format(
            text=repr(text), names=", ".join(CATALOG)))
    scheme = text.split("://", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise EndpointError(_("scheme {scheme} is not allowed: use https:// (or http://)").format(scheme=repr(scheme)))
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise EndpointError(_("malformed URL: {reason}").format(reason=exc)) from None
    netloc = parts.netloc
    if "@" in netloc:
        raise EndpointError(_("URL carries user:password (userinfo before '@'); give the bare host"))
    if "?" in text:
        raise EndpointError(_("URL has a query string ('?...'); give only host and path"))
    if "#" in text:
        raise EndpointError(_("URL has a fragment ('#...'); give only host and path"))
    if netloc.startswith("["):
        host, bracket, rest = netloc.partition("]")
        host += bracket
        if rest and not rest.startswith(":"):
            raise EndpointError(_("URL host {host} is not a valid host name").format(host=repr(netloc)))
        port_text = rest[1:] if rest else None
    else:
        host, sep, port_text = netloc.partition(":")
        port_text = port_text if sep else None
    if not host:
        raise EndpointError(_("URL has no host"))
    if not (re.match(_HOST_RE, host) or re.match(_IPV6_RE, host)):
        raise EndpointError(_("URL host {host} is not a valid host name").format(host=repr(host)))
    if port_text is not None:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise EndpointError(_("URL port {port} is not a number from 1 to 65535").format(port=repr(port_text)))
    path = parts.path
    if not re.match(_PATH_RE, path):
        bad = next(ch for ch in re.sub(r"%[0-9A-Fa-f]{2}", "", path) if not re.match(r"[A-Za-z0-9._~/-]", ch))
        raise EndpointError(
            _("URL path contains {char}, which is not allowed (only letters, digits, - . _ ~ / and %XX escapes)")
            .format(char=repr(bad)))
    if "//" in path:
        raise EndpointError(_("URL path contains '//'"))
    if any(seg in (".", "..") for seg in path.split("/")):
        raise EndpointError(_("URL path contains '.' or '..' segments"))
    url = f"{scheme}://{netloc.lower()}{path}".rstrip("/")
    warnings = []
    if scheme == "http":
        warnings.append(_("{url} uses plain http: traffic (and any token) travels unencrypted").format(url=url))
    return url, warnings


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) as a client connects: case folded, a trailing dot and the
    scheme's default port dropped; None for what is not an http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in _DEFAULT_PORTS or not host or "@" in parts.netloc:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs reach the same server (https://huggingface.co:443 and HTTPS://huggingface.co.
    are https://huggingface.co): compare origins, never strings."""
    origin = origin_of(a)
    return origin is not None and origin == origin_of(b)


def is_official_url(url: str, official_url: str | None = None) -> bool:
    """Whether url is the official Hub (or `official_url`, which tests point at loopback)."""
    return same_origin(url, official_url or CATALOG[OFFICIAL])


def check_name(name: str) -> str:
    if not re.match(_NAME_RE, name):
        raise EndpointError(
            _("endpoint name {name} is not allowed: use letters, digits, '.', '_' or '-' (at most 64)")
            .format(name=repr(name)))
    return name


def name_for_url(url: str, known: dict[str, str]) -> str:
    """The known name of url, else its host[:port] (so two bare URLs stay apart)."""
    for name, known_url in known.items():
        if known_url == url:
            return name
    return url.split("://", 1)[1].split("/", 1)[0]


def resolve(text: str, known: dict[str, str] | None = None) -> tuple[Endpoint, list[str]]:
    """Turn a catalog name or a URL into an Endpoint (SPEC 1)."""
    known = CATALOG if known is None else known
    if text in known:
        return Endpoint(text, known[text]), []
    url, warnings = check_url(text)
    return Endpoint(name_for_url(url, known), url), warnings


def parse_candidate(text: str, known: dict[str, str] | None = None) -> tuple[Endpoint, list[str]]:
    """`--candidate NAME=URL` (or a bare catalog name or URL)."""
    name, sep, rest = text.partition("=")
    if sep and "://" not in name:
        check_name(name)
        endpoint, warnings = resolve(rest, known)
        return Endpoint(name, endpoint.url), warnings
    return resolve(text, known)


# ---- config file ---------------------------------------------------------


def cache_dir() -> Path:
    """hfenv's directory in the platform's cache (the probe result, copies of URL profiles)."""
    import sys

    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "hfenv" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "hfenv"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "hfenv"


def config_path(app_dir: str | None = None) -> Path:
    """hfenv's config file; app_dir is click.get_app_dir("hfenv") unless given (hfenv/fast.py
    passes its click-free copy of that rule)."""
    if app_dir is None:
        import click  # click is always loaded by the CLI; imported here for library use

        app_dir = click.get_app_dir("hfenv")
    if not os.path.isabs(app_dir):
        # An empty or relative XDG_CONFIG_HOME, which the XDG spec says to ignore.
        app_dir = os.path.join(os.path.expanduser("~"), ".config", "hfenv")
    return Path(app_dir) / "config.json"


def load_config(path: Path | None = None) -> dict:
    """The config file as a JSON object ({} when absent); only its shape is checked here.

    Readers of endpoints and the choice go through read_config(), which checks every value."""
    from .files import read_regular

    path = path or config_path()
    try:
        data = read_regular(path, MAX_CONFIG_BYTES)  # a FIFO or /dev/zero there is damage, not a wait
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(_("cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc)) from None
    return parse_config(data, path)


MAX_CONFIG_BYTES = 1024 * 1024  # hfenv writes a few hundred bytes
MAX_CONFIG_DEPTH = 32  # hfenv writes 3 levels; deeper is damage (and would exhaust the stack)


def parse_config(data: bytes, path: Path) -> dict:
    import json  # here, not at the top: `hfenv shell --endpoint NAME` reads no config

    try:
        config = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ConfigError(_("{path} is nested too deeply to be hfenv's config; fix or remove it").format(
            path=path)) from None
    except ValueError as exc:
        raise ConfigError(_("{path} is not valid JSON ({reason}); fix or remove it").format(
            path=path, reason=_json_reason(exc))) from None
    if not isinstance(config, dict):
        raise ConfigError(_("{path} does not hold a JSON object; fix or remove it").format(path=path))
    if json_depth(config) > MAX_CONFIG_DEPTH:
        raise ConfigError(_("{path} is nested too deeply to be hfenv's config; fix or remove it").format(path=path))
    return config


# The json module's messages (its C scanner's too), so that the parser's reason is translated with ours.
_JSON_MESSAGES = (
    N_("Expecting value"), N_("Expecting property name enclosed in double quotes"), N_("Expecting ',' delimiter"),
    N_("Expecting ':' delimiter"), N_("Extra data"), N_("Unterminated string starting at"),
    N_("Invalid control character at"), N_("Invalid \\escape"), N_("Invalid \\uXXXX escape"),
    N_("Illegal trailing comma before end of object"), N_("Illegal trailing comma before end of array"),
)


def _json_reason(exc: ValueError) -> str:
    """Why json could not parse a config: its message (as str(exc) words it), or the byte that is not UTF-8."""
    if isinstance(exc, UnicodeDecodeError):
        return _("not UTF-8: byte {byte} at offset {offset}").format(byte=f"{exc.object[exc.start]:#04x}",
                                                                      offset=exc.start)
    import json

    if isinstance(exc, json.JSONDecodeError):
        message = _(exc.msg) if exc.msg in _JSON_MESSAGES else exc.msg
        return _("{message}: line {line} column {column} (char {char})").format(
            message=message, line=exc.lineno, column=exc.colno, char=exc.pos)
    return str(exc)


def json_depth(value) -> int:
    """How deeply containers nest in a parsed JSON value (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class UserConfig(Record):
    """The endpoints and the saved choice of hfenv's config file, every value checked."""

    endpoints: dict[str, str]
    chosen: Endpoint | None
    disable_xet: bool = False  # setup --xet decided HF_HUB_DISABLE_XET=1 for the saved choice


def read_config(path: Path | None = None) -> UserConfig:
    """Load and check the config's endpoints and choice: the one way they are read.

    A value that `endpoints add` or `setup` would refuse (a hand edit, a damaged file) is a
    ConfigError naming the file and the key, never used."""
    path = path or config_path()
    return check_config(load_config(path), path)


def check_config(config: dict, path: Path) -> UserConfig:
    def bad(key: str, why: str, fix: str | None = None) -> ConfigError:
        return ConfigError(_("{path}: key {key} {why}; {fix}").format(
            path=path, key=repr(key), why=why, fix=fix or _("fix or remove it")))

    raw = config.get("endpoints", {})
    if not isinstance(raw, dict):
        raise bad("endpoints", _("must be an object of NAME: URL, not {type}").format(type=_json_type(raw)))
    mine: dict[str, str] = {}
    for name, url in raw.items():
        key = f"endpoints.{name}"
        try:
            check_name(name)
        except EndpointError as exc:
            raise bad(key, _("is not a valid name: {reason}").format(reason=exc)) from None
        if name in CATALOG:
            raise bad(key, _("redefines a built-in endpoint, which hfenv never does"), _("remove it"))
        fix = _("fix it with `hfenv endpoints add {name} URL` or `hfenv endpoints remove {name}`").format(name=name)
        if not isinstance(url, str):
            raise bad(key, _("must be a URL string, not {type}").format(type=_json_type(url)), fix)
        try:
            mine[name], _warnings = check_url(url)
        except EndpointError as exc:
            raise bad(key, _("holds a URL hfenv refuses: {reason}").format(reason=exc), fix) from None
    known = {**mine, **CATALOG}
    chosen = None
    if "chosen" in config:
        raw = config["chosen"]
        fix = _("choose again with `hfenv setup --endpoint NAME|URL`")
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not isinstance(raw.get("url"), str):
            raise bad("chosen", _('must be an object {{"name": ..., "url": ...}} of strings, not {type}').format(
                type=_json_type(raw)) if not isinstance(raw, dict) else _('needs "name" and "url" strings'), fix)
        try:
            url, _warnings = check_url(raw["url"])
        except EndpointError as exc:
            raise bad("chosen.url", _("holds a URL hfenv refuses: {reason}").format(reason=exc), fix) from None
        name = raw["name"]
        if name != name_for_url(url, {}):  # a bare URL's name is its host[:port]
            try:
                check_name(name)
            except EndpointError as exc:
                raise bad("chosen.name", _("is not a valid name: {reason}").format(reason=exc), fix) from None
        if name in known and known[name] != url:
            raise bad("chosen", _("says {name} is {url}, but {name} is {known}").format(
                name=name, url=url, known=known[name]), fix)
        chosen = Endpoint(name, url)
        disable_xet = raw.get("disable_xet", False)
        if not isinstance(disable_xet, bool):
            raise bad("chosen.disable_xet", _("must be true or false, not {type}").format(
                type=_json_type(disable_xet)), fix)
        return UserConfig(mine, chosen, disable_xet)
    return UserConfig(mine, chosen)


def _json_type(value) -> str:
    names = {dict: _("an object"), list: _("a list"), str: _("a string"), bool: "true/false", int: _("a number"),
             float: _("a number"), type(None): "null"}
    return names.get(type(value), type(value).__name__)


def config_lock_path() -> Path:
    """The lock every writer of hfenv's config (and of the user's startup files) takes."""
    return config_path().parent / "setup.lock"


def config_edit(path: Path, update: Callable[[dict], None], *,
                check: bool = False) -> Callable[[bytes | None], bytes | None]:
    """An edit of the config file for hfenv.writers: parse, update, dump; other keys kept.
    With `check`, the updated config must pass check_config (else ConfigError)."""

    def edit(old: bytes | None) -> bytes | None:
        import copy
        import json

        config = {} if old is None else parse_config(old, path)
        before = copy.deepcopy(config)
        update(config)
        if check:
            check_config(config, path)
        if config == before:
            return old
        return (json.dumps(config, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    return edit


def update_config(update: Callable[[dict], None]) -> None:
    """Read-modify-write the config under the lock setup takes, atomically."""
    from .writers import Target, apply, plan_edits

    path = config_path()
    changes = plan_edits([(Target("config", path), config_edit(path, update))])
    if any(change.changed for change in changes):
        apply(changes, config_lock_path())


def write_json_atomic(path: Path, data: dict) -> None:
    """A JSON file replaced atomically by hfenv's one file writer (the probe cache; the config
    goes through update_config). OSError when it cannot be written."""
    import json

    from .writers import WriteError, write_atomic  # only writers pay for it: `hfenv shell` starts fast

    try:
        write_atomic(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    except WriteError as exc:
        raise OSError(str(exc)) from None


def user_endpoints(config: UserConfig | None = None) -> dict[str, str]:
    return (read_config() if config is None else config).endpoints


def known_endpoints(config: UserConfig | None = None) -> dict[str, str]:
    """Catalog plus the user's own endpoints (built-in names cannot be redefined)."""
    return {**user_endpoints(config), **CATALOG}


def _endpoints_to_edit(config: dict, path: Path) -> dict:
    """The config's "endpoints" object for an edit (created when absent); any other type is damage."""
    endpoints = config.setdefault("endpoints", {})
    if not isinstance(endpoints, dict):
        raise ConfigError(_("{path}: key {key} {why}; {fix}").format(
            path=path, key=repr("endpoints"), fix=_("fix or remove it"),
            why=_("must be an object of NAME: URL, not {type}").format(type=_json_type(endpoints))))
    return endpoints


def add_endpoint(name: str, url_or_name: str) -> tuple[Endpoint, list[str]]:
    """Add or replace a user endpoint; a saved choice of that name follows it to the new URL.

    A URL is checked on its own, so `add` can repair a config whose other entries are damaged."""
    check_name(name)
    if name in CATALOG:
        raise EndpointError(_("{name} is a built-in endpoint and cannot be redefined").format(name=repr(name)))
    known = CATALOG if "://" in url_or_name or url_or_name in CATALOG else known_endpoints()
    endpoint, warnings = resolve(url_or_name, known)
    path = config_path()

    def add(config: dict) -> None:
        _endpoints_to_edit(config, path)[name] = endpoint.url
        chosen = config.get("chosen")
        if isinstance(chosen, dict) and chosen.get("name") == name and chosen.get("url") != endpoint.url:
            config["chosen"] = Endpoint(name, endpoint.url).as_dict()
            warnings.append(_("the saved choice {name} now points at {url} (`hfenv shell` uses it); "
                              "startup files that `hfenv setup --persist` wrote keep the old URL until you run "
                              "`hfenv setup --persist --endpoint {name}` again").format(name=name, url=endpoint.url))

    update_config(add)
    return Endpoint(name, endpoint.url), warnings


def remove_endpoint(name: str) -> str:
    """Remove a user endpoint; refused while it is the saved choice (hfenv shell would lose it)."""
    if name in CATALOG:
        raise EndpointError(_("{name} is a built-in endpoint and cannot be removed").format(name=repr(name)))
    path = config_path()
    removed = []

    def drop(config: dict) -> None:
        endpoints = _endpoints_to_edit(config, path)
        if name not in endpoints:
            raise EndpointError(_("no user endpoint named {name}").format(name=repr(name)))
        chosen = config.get("chosen")
        if isinstance(chosen, dict) and chosen.get("name") == name:
            raise ChoiceInUse(_(
                "{name} is the saved choice (`hfenv shell` uses it): choose another first with "
                "`hfenv setup --endpoint NAME` (add --persist to rewrite your startup files), then remove it"
            ).format(name=repr(name)))
        removed[:] = [endpoints.pop(name)]

    update_config(drop)
    value = removed[0]
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value)


def saved_choice(config: UserConfig | None = None) -> Endpoint | None:
    return (read_config() if config is None else config).chosen

