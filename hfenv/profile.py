"""The lab profile (SPEC 8): one TOML file an admin writes, that every member's setup follows.

Three parts, kept apart:

- **parse and check** (pure): :func:`parse_profile` turns the file's text into a
  :class:`Profile` or raises :class:`ProfileError` naming ``file:line: key``.
  tomllib reports no line numbers for keys, so :func:`key_line` finds them by
  scanning the text for the table header and the key.
- **discovery**: :func:`locate` says which profile is in effect and why
  (``--profile``, ``$HFENV_PROFILE``, the user's config dir, the machine's file),
  the way ``pip config debug`` does.
- **reading**: a local file through files.read_regular (64 KiB cap); a URL over
  https through hubcheck (wall-clock deadline, capped body, same origin only),
  with a local copy so that setup still works when the URL is unreachable later.

What the profile implies for the environment is :func:`profile_variables` (pure).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .endpoints import CATALOG, EndpointError, check_name, check_url, is_official_url
from .i18n import N_, _, local

PROFILE_LIMIT = 64 * 1024
FETCH_TIMEOUT = 10.0
PROFILE_FILENAME = "profile.toml"

CHOOSE_RULES = ("fastest", "first")
XET_MODES = ("auto", "on", "off")
TOKEN_POLICIES = ("never", "allow")

# Every table and key of the format (SPEC 8, contract): key -> expected type.
SCHEMA: dict[str | None, dict[str, type | tuple]] = {
    None: {"name": str, "contact": str},
    "endpoints": {"order": list, "choose": str},  # plus NAME = "URL" entries
    "cache": {"hub": str, "shared": bool},
    "network": {"ca_bundle": str, "xet": str, "offline": bool},
    "token": {"third_party": str},
    "git": {"route": bool},
    "fallback": {"modelscope": bool},
}
_TYPE_NAMES = {str: N_("a string"), bool: N_("true or false"), list: N_("a list of strings"), dict: N_("a table")}


class ProfileError(ValueError):
    """A profile that cannot be used: where (file, line, key) and why, on one line."""

    def __init__(self, source: str, line: int | None, key: str | None, why: str):
        self.source, self.line, self.key, self.why = source, line, key, why
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {key}: {why}" if key else f"{where}: {why}")


@dataclass(frozen=True)
class Profile:
    """The checked settings; None where the profile says nothing (every key is optional)."""

    source: str = ""
    name: str | None = None
    contact: str | None = None
    order: tuple[str, ...] = ()
    urls: Mapping[str, str] = field(default_factory=dict)  # names the profile defines
    choose: str = "fastest"
    cache_hub: str | None = None
    cache_shared: bool = False
    ca_bundle: str | None = None
    xet: str | None = None
    offline: bool = False
    third_party: str = "allow"
    git_route: bool = False
    modelscope: bool = False

    def candidates(self, known: Mapping[str, str]) -> list[tuple[str, str]]:
        """(name, URL) of each endpoint in `order` (the profile's URLs first, then `known`)."""
        return [(name, self.urls.get(name) or known[name]) for name in self.order]

    def effective(self) -> dict:
        """The settings as JSON (what `profile check` and `show --json` print)."""
        return {
            "name": self.name, "contact": self.contact,
            "endpoints": {"order": list(self.order), "urls": dict(self.urls), "choose": self.choose},
            "cache": {"hub": self.cache_hub, "shared": self.cache_shared},
            "network": {"ca_bundle": self.ca_bundle, "xet": self.xet or "auto", "offline": self.offline},
            "token": {"third_party": self.third_party},
            "git": {"route": self.git_route},
            "fallback": {"modelscope": self.modelscope},
        }


# ---- parse and check (pure) ------------------------------------------------------------


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib


_HEADER_RE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\"' -]+?)\s*\]\s*(?:#.*)?$")


def key_line(text: str, table: str | None, key: str | None = None) -> int | None:
    """The 1-based line of `key` in `table` (None: the top level), or of the table's header
    when key is None; also finds `table.key = ...` at the top level. None when not found."""
    current: str | None = None
    header_line = None
    key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=") if key else None
    dotted_re = re.compile(rf"^\s*{re.escape(table)}\s*\.\s*{re.escape(key)}\s*=") if key and table else None
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER_RE.match(line)
        if header and not line.lstrip().startswith("[["):
            current = header.group(1).replace('"', "").replace("'", "").strip()
            if current == table and header_line is None:
                header_line = number
                if key is None:
                    return number
            continue
        if key_re is None:
            continue
        if current == table and key_re.match(line):
            return number
        if current is None and dotted_re is not None and dotted_re.match(line):
            return number
    return header_line


def parse_profile(text: str, source: str) -> Profile:
    """The checked profile, or ProfileError naming file, line and key."""
    tomllib = _toml()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(match.group(1)) if match else None
        if line is None and message.endswith("(at end of document)"):  # the file:line is its last line
            line = max(1, len(text.splitlines()))
        raise ProfileError(source, line, None, _("not valid TOML: {reason}").format(
            reason=_toml_reason(re.sub(r" ?[(]at (?:line .*|end of document)[)]$", "", message)))) from None

    def bad(table: str | None, key: str | None, why: str) -> ProfileError:
        shown = key if table is None else (table if key is None else f"{table}.{key}")
        line = key_line(text, table, key)
        if line is None and table is None:  # a table of that name: [key] or [key.sub]
            header = re.compile(rf"^\s*\[+\s*{re.escape(key)}\s*[.\]]")
            line = key_line(text, key) or next((number for number, row in enumerate(text.splitlines(), 1)
                                                if header.match(row)), None)
        return ProfileError(source, line, shown, why)

    values: dict[str, object] = {}
    for name, value in data.items():
        if name in SCHEMA[None]:
            _check_type(value, SCHEMA[None][name], lambda why, name=name: bad(None, name, why))
            values[name] = value
        elif name in SCHEMA:
            if not isinstance(value, dict):
                raise bad(None, name, _("must be a table ([{name}])").format(name=name))
        else:
            known = ", ".join([*SCHEMA[None], *(f"[{t}]" for t in SCHEMA if t)])
            raise bad(None, name, _("unknown key (known: {known})").format(known=known))

    urls: dict[str, str] = {}
    for table in (t for t in SCHEMA if t):
        for key, value in data.get(table, {}).items():
            def fail(why: str, k: str = key, t: str = table) -> ProfileError:
                return bad(t, k, why)

            if key in SCHEMA[table]:
                _check_type(value, SCHEMA[table][key], fail)
                values[f"{table}.{key}"] = value
            elif table == "endpoints":
                if not isinstance(value, str):
                    raise fail(_("must be a URL string (an endpoint's name = its URL)"))
                try:
                    check_name(key)
                    url, _warnings = check_url(value)
                except EndpointError as exc:
                    raise fail(str(exc)) from None
                urls[key] = url
            else:
                raise fail(_("unknown key in [{table}] (known: {known})").format(
                    table=table, known=", ".join(SCHEMA[table])))

    order = values.get("endpoints.order", [])
    for item in order:
        if not isinstance(item, str):
            raise bad("endpoints", "order", _("must be a list of endpoint names (strings)"))
        if item not in urls and item not in CATALOG:
            raise bad("endpoints", "order", _("names {name}, which is neither in the catalog "
                                              "({catalog}) nor defined in [endpoints]").format(
                                                  name=repr(item), catalog=", ".join(CATALOG)))
    if len(set(order)) != len(order):
        raise bad("endpoints", "order", _("names an endpoint twice"))
    if order == [] and "endpoints.order" in values:
        raise bad("endpoints", "order", _("is empty; leave it out to use hfenv's usual candidates"))
    _one_of(values, "endpoints.choose", CHOOSE_RULES, bad)
    _one_of(values, "network.xet", XET_MODES, bad)
    _one_of(values, "token.third_party", TOKEN_POLICIES, bad)
    for key in ("cache.hub", "network.ca_bundle"):
        path = values.get(key)
        if path is None:
            continue
        table, name = key.split(".")
        if not path or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
            raise bad(table, name, _("must be a non-empty path without control characters"))
        if not (path.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", path) or path.startswith("\\\\")):
            raise bad(table, name, _("{path} is relative: give an absolute path (every member's "
                                     "shell starts in another directory)").format(path=repr(path)))
    for key in ("name", "contact"):
        value = values.get(key)
        if value is not None and any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            raise bad(None, key, _("must be one line without control characters"))
    if values.get("cache.shared") and values.get("cache.hub") is None:
        raise bad("cache", "shared", _("needs [cache] hub = \"/absolute/path\" (which directory is shared?)"))

    return Profile(
        source=source, name=values.get("name"), contact=values.get("contact"), order=tuple(order), urls=urls,
        choose=values.get("endpoints.choose", "fastest"), cache_hub=values.get("cache.hub"),
        cache_shared=values.get("cache.shared", False), ca_bundle=values.get("network.ca_bundle"),
        xet=values.get("network.xet"), offline=values.get("network.offline", False),
        third_party=values.get("token.third_party", "allow"), git_route=values.get("git.route", False),
        modelscope=values.get("fallback.modelscope", False),
    )


# tomllib's (and tomli's) messages, so that the parser's reason is translated with ours; others stay as written.
_TOML_MESSAGES = (
    N_("Cannot overwrite a value"), N_("Escaped character is not a Unicode scalar value"),
    N_("Expected '=' after a key in a key/value pair"), N_("Expected ']' at the end of a table declaration"),
    N_("Expected ']]' at the end of an array declaration"),
    N_("Expected newline or end of document after a statement"), N_("Invalid date or datetime"),
    N_("Invalid hex value"), N_("Invalid initial character for a key part"), N_("Invalid statement"),
    N_("Invalid value"), N_("Unclosed array"), N_("Unclosed inline table"), N_("Unescaped '\\' in a string"),
    N_("Unterminated string"),
)
_TOML_PATTERNS = (
    (re.compile(r"^Cannot declare (?P<key>.+) twice$"), N_("Cannot declare {key} twice")),
    (re.compile(r"^Duplicate inline table key (?P<key>.+)$"), N_("Duplicate inline table key {key}")),
    (re.compile(r"^Found invalid character (?P<char>.+)$"), N_("Found invalid character {char}")),
    (re.compile(r"^Illegal character (?P<char>.+)$"), N_("Illegal character {char}")),
    (re.compile(r"^Cannot (?:mutate immutable|redefine) namespace (?P<key>.+)$"),
     N_("Cannot change the table {key} again here")),
    (re.compile(r"^Expected (?P<what>'.*')$"), N_("Expected {what}")),
)


def _toml_reason(message: str) -> str:
    """The TOML parser's message in the user's language (as it is when hfenv does not know it)."""
    if message in _TOML_MESSAGES:
        return _(message)
    for pattern, template in _TOML_PATTERNS:
        match = pattern.match(message)
        if match:
            return _(template).format(**match.groupdict()) if _(template) != template else message
    return message


def _check_type(value, expected, fail) -> None:
    # bool is an int in Python, and TOML's integers are not strings: compare exactly.
    if type(value) is not expected and not (expected is list and isinstance(value, list)):
        raise fail(_("must be {expected}, not {actual}").format(expected=_(_TYPE_NAMES[expected]),
                                                                 actual=_toml_type(value)))


def _toml_type(value) -> str:
    return _({bool: N_("a boolean"), int: N_("an integer"), float: N_("a float"), str: N_("a string"),
              list: N_("an array"), dict: N_("a table")}.get(type(value), N_("a date or time")))


def _one_of(values: dict, key: str, allowed: tuple[str, ...], bad) -> None:
    value = values.get(key)
    if value is not None and value not in allowed:
        table, name = key.split(".")
        raise bad(table, name, _("{value} is not one of {allowed}").format(value=repr(value),
                                                                            allowed=", ".join(allowed)))


# ---- what the profile implies (pure) -------------------------------------------------


def xet_default(profile: Profile | None) -> str:
    """The default of setup's --xet (auto | on | off): the one hook for issue 12's option."""
    return (profile.xet if profile is not None and profile.xet else "auto")


def profile_variables(profile: Profile | None, endpoint_url: str | None, *,
                      fallback: bool = False, official_url: str | None = None) -> list[tuple[str, str]]:
    """The variables besides HF_ENDPOINT, HF_HUB_CACHE and HF_HUB_DISABLE_XET that the profile
    implies for `endpoint_url`, in a fixed order (network.xet is the default of setup's --xet,
    decided by hfenv.xetpolicy); `fallback`: nothing was usable and the profile allows ModelScope."""
    pairs: list[tuple[str, str]] = []
    if profile is None:
        return pairs
    if profile.offline:
        pairs.append(("HF_HUB_OFFLINE", "1"))
    if profile.third_party == "never" and endpoint_url is not None and not is_official_url(endpoint_url, official_url):
        pairs.append(("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1"))
    if profile.ca_bundle:
        pairs += [("SSL_CERT_FILE", profile.ca_bundle), ("REQUESTS_CA_BUNDLE", profile.ca_bundle)]
    if fallback and profile.modelscope:
        pairs += [("USE_MODELSCOPE_HUB", "1"), ("VLLM_USE_MODELSCOPE", "true")]
    return pairs


# ---- discovery -----------------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    """Where the profile in effect comes from, and why that one (pip config debug's idea)."""

    source: str | None  # a path or an https URL; None: no profile
    why: str
    looked: tuple[tuple[str, bool], ...] = ()  # every place looked at, and whether it exists

    @property
    def is_url(self) -> bool:
        return self.source is not None and "://" in self.source


def user_profile_path() -> Path:
    from .endpoints import config_path

    return config_path().parent / PROFILE_FILENAME


def machine_profile_path(root: Path | None = None, windows: bool | None = None,
                         env: Mapping[str, str] | None = None) -> Path:
    """/etc/hfenv/profile.toml under root (persist.SYSTEM_ROOT), or %ProgramData%\\hfenv\\profile.toml."""
    env = os.environ if env is None else env
    if windows is None:
        windows = sys.platform == "win32"
    if windows:
        data = env.get("ProgramData") or env.get("PROGRAMDATA") or r"C:\ProgramData"
        return Path(data) / "hfenv" / PROFILE_FILENAME
    if root is None:
        # persist.SYSTEM_ROOT is the seam tests move; importing persist costs `hfenv shell` ~45 ms,
        # so it is read only when something has loaded it already (root is "/" otherwise).
        persist = sys.modules.get(f"{__package__}.persist")
        root = persist.SYSTEM_ROOT if persist is not None else Path("/")
    return Path(root) / "etc" / "hfenv" / PROFILE_FILENAME


def locate(flag: str | None = None, no_profile: bool = False, *, env: Mapping[str, str] | None = None,
           root: Path | None = None) -> Located:
    """Which profile is in effect: --profile, $HFENV_PROFILE, the user's file, the machine's; first wins."""
    env = os.environ if env is None else env
    user, machine = user_profile_path(), machine_profile_path(root, env=env)
    looked = ((str(user), user.is_file()), (str(machine), machine.is_file()))
    if no_profile:
        return Located(None, _("--no-profile: every profile ignored"), looked)
    if flag:
        return Located(flag, _("given with --profile"), looked)
    if env.get("HFENV_PROFILE"):
        return Located(env["HFENV_PROFILE"], _("named by $HFENV_PROFILE"), looked)
    if os.path.lexists(user):
        return Located(str(user), _("the user's profile (config directory)"), looked)
    if os.path.lexists(machine):
        return Located(str(machine), _("the machine's profile"), looked)
    return Located(None, _("no profile: none given, $HFENV_PROFILE unset, and neither "
                           "{user} nor {machine} exists").format(user=user, machine=machine), looked)


# ---- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    profile: Profile | None
    located: Located
    note: str | None = None  # e.g. "the URL was unreachable: used the copy from ..."


def read_local(path: str) -> str:
    """The text of a local profile (a regular file, at most 64 KiB); ProfileError otherwise."""
    from .files import read_regular

    try:
        data = read_regular(path, PROFILE_LIMIT)
    except FileNotFoundError:
        raise ProfileError(path, None, None, _("no such file")) from None
    except OSError as exc:
        raise ProfileError(path, None, None, _("cannot read it: {reason}").format(
            reason=getattr(exc, 'reason', None) or exc.strerror or exc)) from None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ProfileError(path, data[:exc.start].count(b"\n") + 1, None, _("is not UTF-8 text")) from None


def copy_path(url: str) -> Path:
    """Where the last good copy of a URL profile is kept (hfenv's cache directory)."""
    from .endpoints import cache_dir  # not probe's: `hfenv shell` reads copies without the network libraries

    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return cache_dir() / "profiles" / f"{digest}.toml"


def check_profile_url(url: str) -> str:
    try:
        checked, _warnings = check_url(url)
    except EndpointError as exc:
        raise ProfileError(url, None, None, _("not a usable profile URL: {reason}").format(reason=exc)) from None
    if not checked.startswith("https://"):
        raise ProfileError(url, None, None, _("a profile URL must use https:// (it decides where every "
                                              "member's downloads and tokens go)"))
    return checked


def fetch(url: str, timeout: float = FETCH_TIMEOUT) -> str:
    """The text of a URL profile: https only, same-origin redirects only, at most 64 KiB, one deadline."""
    import time

    from . import hubcheck

    check_profile_url(url)
    with hubcheck.Watch(time.monotonic() + timeout) as watch:
        try:
            answer, hop = hubcheck.follow(hubcheck.session("profile"), "GET", url, watch,
                                          body_cap=PROFILE_LIMIT + 1)
        except hubcheck.Failure as exc:
            raise ProfileError(url, None, None, _("cannot fetch it ({status}): {detail}").format(
                status=exc.status, detail=local(exc.detail))) from None
    if hop is not None:
        raise ProfileError(url, None, None, _("redirected to another origin ({origin}); "
                                              "hfenv reads a profile only from the origin named").format(
                                                  origin=hubcheck.short_url(hop.url)))
    if answer.code != 200:
        raise ProfileError(url, None, None, _("the server answered {code} {reason}").format(
            code=answer.code, reason=answer.reason).rstrip())
    if len(answer.body) > PROFILE_LIMIT:
        raise ProfileError(url, None, None, _("is larger than 64 KiB; hfenv does not read profiles that big"))
    length = answer.header("content-length")
    if length.isdigit() and int(length) != len(answer.body):
        raise ProfileError(url, None, None, _("the answer was cut short"))
    try:
        return answer.body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ProfileError(url, None, None, _("is not UTF-8 text")) from None


def save_copy(url: str, text: str) -> None:
    """Keep the last good copy of a URL profile (atomically; a copy that cannot be written only
    costs the fallback when the URL is unreachable later)."""
    from .writers import WriteError, write_atomic

    try:
        write_atomic(copy_path(url), text.encode("utf-8"))
    except (OSError, WriteError):
        pass


def load(located: Located, *, use_copy_first: bool = False, allow_copy: bool = True, fetcher=fetch) -> Loaded:
    """Read and check the located profile. A URL is fetched (its copy refreshed); when it cannot
    be fetched, the last good copy is used and the note says so. `use_copy_first`: the fast
    paths (`shell`, `run`) read a copy when there is one, without the network; `allow_copy=False`
    (`profile check URL`) judges the URL itself."""
    if located.source is None:
        return Loaded(None, located)
    if not located.is_url:
        return Loaded(parse_profile(read_local(located.source), located.source), located)
    url = check_profile_url(located.source)
    copy = copy_path(url)
    if use_copy_first and copy.is_file():
        return Loaded(parse_profile(read_local(str(copy)), url), located,
                      _("the local copy {copy} of {url}").format(copy=copy, url=url))
    try:
        text = fetcher(url)
    except ProfileError as exc:
        if not allow_copy or not copy.is_file():
            raise
        note = _("{url} could not be fetched ({why}); used the local copy {copy}").format(
            url=url, why=exc.why, copy=copy)
        return Loaded(parse_profile(read_local(str(copy)), url), located, note)
    profile = parse_profile(text, url)
    save_copy(url, text)
    return Loaded(profile, located, _("fetched from {url} (origin {origin})").format(
        url=url, origin=url.split("/")[2]))


# ---- init -----------------------------------------------------------------------------


TEMPLATE = """\
# hfenv lab profile (SPEC 8). Every key is optional; command-line flags override it.
# Check it with `hfenv profile check PATH`; members' `hfenv setup` follows it.

# name = "Vision Lab"                       # shown in messages
# contact = "hf-admin@lab.example.edu"      # who members ask

[endpoints]
# order = ["lab", "hf-mirror", "hf"]        # the candidates, in order of preference
# lab = "https://hf.lab.example.edu"        # a URL for each name not in hfenv's catalog
# choose = "fastest"                        # "fastest" (the probe's rule) | "first" (first usable in order)

[cache]
# hub = "/data/hf-cache"                    # HF_HUB_CACHE (never HF_HOME: the token stays per user)
# shared = true                             # several users write it: group-writable + setgid

[network]
# ca_bundle = "/etc/ssl/certs/lab-ca.pem"   # SSL_CERT_FILE and REQUESTS_CA_BUNDLE
# xet = "auto"                              # auto | on | off (off writes HF_HUB_DISABLE_XET=1)
# offline = false                           # true on nodes without network: HF_HUB_OFFLINE=1

[token]
# third_party = "never"                     # never: HF_HUB_DISABLE_IMPLICIT_TOKEN=1 whenever the
                                            # chosen endpoint is not the official Hub | allow
[git]
# route = true                              # git clone https://huggingface.co/... via the endpoint

[fallback]
# modelscope = true                         # nothing usable: USE_MODELSCOPE_HUB=1 and VLLM_USE_MODELSCOPE=true
"""
