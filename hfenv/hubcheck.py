"""hfenv's one HTTP layer: every request the probe and doctor make goes through here.

**One deadline per request, as wall time.** requests' ``timeout`` bounds each
socket operation, so a server that trickles its status line, headers or body
one byte a second is never "late". Here every request (with its redirects)
has one deadline: a watchdog shuts the request's sockets down when it passes,
and whoever runs the request (the probe's coordinator, when the choice is
made) can shut them down earlier with :meth:`Watch.abort`. A thread blocked
in a read, in the TLS handshake or in a tunnel returns at once; only a name
lookup (``getaddrinfo``) cannot be interrupted.

**Capped bodies.** A body is read only where hfenv needs it (whoami's account
name) and never more than ``BODY_CAP`` bytes; every connection is closed after
its request, so nothing else is read.

**Same origin, decided by the parser that connects.** A redirect is followed
only when urllib3's ``parse_url`` (which requests uses to connect) and
``urlsplit`` agree on its scheme, host and port and they equal the start's.
A ``Location`` with whitespace, control characters, backslashes, userinfo, a
percent-encoded or empty host, an odd port or a scheme without ``//`` is
refused as ambiguous. Nothing is ever sent to another origin: an off-origin
hop is returned as the answer (doctor names its host).

**Proxies.** Every ``*_proxy`` variable (any case) is parsed strictly; one
that cannot be parsed (an unencoded ``/``, ``#`` or ``?`` in the password, a
bad port) is a :class:`ProxyError` that names the variable, never its value.
Proxies are shown as ``scheme://host:port``, without credentials.

**Trust.** Certificates are verified as the huggingface_hub in use verifies
them (:func:`client_trust`): 0.x (requests) reads ``REQUESTS_CA_BUNDLE`` then
``CURL_CA_BUNDLE``; 1.x and later (httpx) read ``SSL_CERT_FILE`` then
``SSL_CERT_DIR`` and ignore requests' variables.

**Text from outside** (reason phrases, header values, exception messages) is
stripped of control characters here, before anyone prints it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import socket
import ssl
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.client import HTTPException, RemoteDisconnected
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import parse_url

from .endpoints import PUBLIC_FILE, PUBLIC_REPO
from .i18n import N_, Msg

BODY_CAP = 4096  # whoami's JSON is a few hundred bytes; nothing hfenv reads is larger
MAX_REDIRECTS = 5
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# Through a plain-http proxy these usually mean the proxy could not reach the host.
PROXY_GATEWAY_CODES = frozenset({502, 503, 504})
JOIN_GRACE = 1.0  # after an abort, how long to wait for a worker that had a connection open
LOOKUP_GRACE = 0.05  # ... and for one still looking a name up or connecting (never inside TLS)


# ---- text from outside ----------------------------------------------------------


def clean(text: object, limit: int = 300) -> str:
    """`text` without control or format characters (escape sequences, BEL, CR, bidi marks), shortened."""
    value = str(text)
    out = "".join("?" if unicodedata.category(ch)[0] == "C" else ch for ch in value[:limit])
    return out + ("..." if len(value) > limit else "")


_NUMBER = re.compile(r"[0-9]{1,20}")  # ASCII digits only: str.isdigit() also accepts '²', which int() refuses


def header_number(value: object) -> int | None:
    """A numeric header value (X-Linked-Size, Content-Length) as an int; None unless 1-20 ASCII digits."""
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if _NUMBER.fullmatch(text) else None


def short_url(url: str) -> str:
    """scheme://host/path, with any query shown as '?...' (signed URLs carry secrets there)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return clean(f"{parts.scheme}://{netloc}{parts.path}" + ("?..." if parts.query else ""))


# ---- messages kept as data (the probe cache) ---------------------------------------------
#
# A verdict's detail is a Msg: English text whose template and arguments let `local()` show it
# in the user's language. The probe cache stores the text (the JSON contract) and, beside it,
# this structure, so that a cached result is shown in Chinese too. The cache is hostile input:
# the structure is read back only when it is small, shallow, made of plain fields and text
# without control characters, and renders to exactly the text stored beside it.

MESSAGE_DEPTH, MESSAGE_NODES, MESSAGE_TEMPLATE = 24, 256, 1000


def joined(first, then) -> Msg:
    """"first; then": two parts of one detail (a Chinese one joins them with its own semicolon)."""
    return Msg("{first}; {then}", first=first, then=then)


def message_data(value) -> object:
    """A detail (Msg or text) as JSON data: a Msg as {"template", "args", "kwargs"}, text as itself."""
    if isinstance(value, Msg):
        return {"template": value.template, "args": [message_data(a) for a in value.args],
                "kwargs": {k: message_data(v) for k, v in value.kwargs.items()}}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return str(value)


def message_from_data(data, text: str) -> str:
    """The Msg that `data` (message_data's) describes, which must render to exactly `text`;
    ValueError when anything is odd (a damaged or forged cache)."""
    import math
    import string

    nodes = 0

    def build(value, depth: int):
        nonlocal nodes
        nodes += 1
        if nodes > MESSAGE_NODES or depth > MESSAGE_DEPTH:
            raise ValueError("message structure too large")
        if isinstance(value, str):
            if len(value) > len(text) or any(unicodedata.category(ch)[0] == "C" for ch in value):
                raise ValueError("bad message text")
            return value
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10 ** 18:
            return value
        if isinstance(value, float) and math.isfinite(value):
            return value
        if not isinstance(value, dict) or set(value) != {"template", "args", "kwargs"}:
            raise ValueError("bad message")
        template, args, kwargs = value["template"], value["args"], value["kwargs"]
        if (not isinstance(template, str) or len(template) > MESSAGE_TEMPLATE or not isinstance(args, list)
                or not isinstance(kwargs, dict)
                or any(unicodedata.category(ch)[0] == "C" for ch in template)):
            raise ValueError("bad message")
        built_args = [build(a, depth + 1) for a in args]
        built_kwargs = {k: build(v, depth + 1) for k, v in kwargs.items()}
        if not all(isinstance(k, str) and k.isidentifier() for k in built_kwargs):
            raise ValueError("bad message field")
        size = 0
        auto = iter(range(len(built_args) + 1))
        for literal, name, spec, conversion in string.Formatter().parse(template):
            size += len(literal)
            if name is None:
                continue
            if spec or conversion:  # "{x:>99999}" or "{x!r}": never in hfenv's messages
                raise ValueError("bad message field")
            if name == "":
                index = next(auto)
                if index >= len(built_args):
                    raise ValueError("bad message field")
                arg = built_args[index]
            elif name.isdigit() and int(name) < len(built_args):
                arg = built_args[int(name)]
            elif name.isidentifier() and name in built_kwargs:  # no "{x.attr}", no "{x[key]}"
                arg = built_kwargs[name]
            else:
                raise ValueError("bad message field")
            size += len(str(arg))
            if size > len(text):  # every part of the message is part of the text: no blow-up
                raise ValueError("message larger than its text")
        message = Msg(template, *built_args, **built_kwargs)
        if len(message) > len(text):
            raise ValueError("message larger than its text")
        return message

    try:
        message = build(data, 0)
    except (IndexError, KeyError, TypeError, AttributeError) as exc:  # format() refused the template
        raise ValueError(f"bad message: {type(exc).__name__}") from None
    if not isinstance(message, str) or message != text:
        raise ValueError("message does not render to its text")
    return message


# ---- origins --------------------------------------------------------------------------

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_AUTHORITY = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(?P<port>[1-9][0-9]{0,4}))?$")


class _Said(ValueError):
    """An error whose message is a Msg: str() keeps it (English text, `local()` translates it)."""

    def __str__(self) -> str:
        return self.args[0] if self.args and isinstance(self.args[0], str) else super().__str__()


class Ambiguous(_Said):
    """A URL whose origin two parsers could read differently."""


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) as urllib3 will connect to it; Ambiguous if anything is odd."""
    if not re.fullmatch(r"[\x21-\x7e]+", url) or "\\" in url:
        raise Ambiguous(Msg("whitespace, control characters, backslashes or non-ASCII in the URL"))
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)", url)
    if not match:
        raise Ambiguous(Msg("not an absolute scheme://host URL"))
    authority = match.group(2)
    scheme = match.group(1).lower()
    found = _AUTHORITY.match(authority)
    if not found or "@" in authority or scheme not in _DEFAULT_PORTS:
        raise Ambiguous(Msg("userinfo, a percent-encoded or empty host, or an odd port"))
    try:
        parsed = parse_url(url)
        split = urlsplit(url)
        split_port = split.port
    except (ValueError, urllib3.exceptions.LocationParseError):
        raise Ambiguous(Msg("the URL cannot be parsed")) from None
    host = found["host"].lower()
    port = int(found["port"]) if found["port"] else _DEFAULT_PORTS[scheme]
    if (parsed.scheme != scheme or parsed.auth or (parsed.host or "").lower() != host
            or (parsed.port or _DEFAULT_PORTS[scheme]) != port
            or (split.hostname or "").lower() != host.strip("[]") or (split_port or _DEFAULT_PORTS[scheme]) != port):
        raise Ambiguous(Msg("the parsers disagree about its host"))
    return scheme, host, port


@dataclass(frozen=True)
class Hop:
    """Where a redirect's Location leads: `same` (follow it), `offsite` (never follow), `ambiguous`."""

    kind: str
    url: str = ""
    reason: str = ""


def next_hop(start_url: str, current: str, location: str) -> Hop:
    """Judge one Location against the start's origin; never contacts anything."""
    location = location.strip(" ")
    if not re.fullmatch(r"[\x21-\x7e]+", location) or "\\" in location:
        return Hop("ambiguous", reason=Msg("its Location holds whitespace, control characters, a backslash or "
                                           "non-ASCII"))
    if location.startswith("//"):
        target = f"{urlsplit(current).scheme}:{location}"
    elif _SCHEME.match(location):
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", location):
            return Hop("ambiguous", reason=Msg("its Location {location} has a scheme but no '//'",
                                               location=repr(clean(location[:60]))))
        target = location
    else:
        # A relative reference cannot leave the current origin; requests joins it the same way.
        return Hop("same", urljoin(current, location))
    try:
        there, home = origin(target), origin(start_url)
    except Ambiguous as exc:
        return Hop("ambiguous", reason=Msg("its Location is ambiguous ({why})", why=exc.args[0]))
    if there != home:
        return Hop("offsite", target)
    return Hop("same", target)


# ---- proxies ---------------------------------------------------------------------------


class ProxyError(_Said):
    """A proxy variable that cannot be parsed; the message names the variable, never its value.
    str() of it is its Msg (English text; `local(str(exc))` shows it in the user's language)."""


def proxy_variables(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every *_proxy variable that is set (any case), by name."""
    environ = os.environ if environ is None else environ
    return {name: value for name, value in sorted(environ.items()) if name.lower().endswith("_proxy") and value}


def parse_proxy(value: str) -> str:
    """`value` shown as scheme://host[:port] without credentials; ValueError (saying why, not what) if odd."""
    text = value.strip()
    if not re.fullmatch(r"[\x21-\x7e]+", text) or "\\" in text:
        raise ValueError(Msg("it holds whitespace, control characters, a backslash or non-ASCII"))
    if "://" not in text:
        text = f"http://{text}"  # what requests does
    scheme, _, rest = text.partition("://")
    authority, sep, tail = _split_authority(rest)
    if tail.strip("/") or "?" in sep or "#" in sep:
        raise ValueError(Msg("something follows host:port (a '/', '#' or '?' in the password must be "
                             "percent-encoded: %2F, %23, %3F)"))
    hostport = authority.rsplit("@", 1)[-1]
    found = _AUTHORITY.match(hostport)
    if not found or scheme.lower() not in ("http", "https", "socks4", "socks4a", "socks5", "socks5h"):
        raise ValueError(Msg("expected scheme://[user:password@]host:port with a port from 1 to 65535"))
    if found["port"] and int(found["port"]) > 65535:
        raise ValueError(Msg("its port is out of range"))
    try:
        parsed = parse_url(text)
    except (ValueError, urllib3.exceptions.LocationParseError):
        raise ValueError(Msg("urllib3 cannot parse it")) from None
    if (parsed.host or "").lower() != found["host"].lower():
        raise ValueError(Msg("its host is ambiguous ('@' in the password must be percent-encoded: %40)"))
    return f"{scheme.lower()}://{found['host']}" + (f":{found['port']}" if found["port"] else "")


def _split_authority(rest: str) -> tuple[str, str, str]:
    match = re.search(r"[/?#]", rest)
    if not match:
        return rest, "", ""
    return rest[:match.start()], rest[match.start()], rest[match.start():]


def proxy_problems(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """{variable: why it cannot be parsed} for every unparsable proxy variable (no_proxy is a list)."""
    problems = {}
    for name, value in proxy_variables(environ).items():
        if name.lower() == "no_proxy":
            continue
        try:
            parse_proxy(value)
        except ValueError as exc:
            problems[name] = exc.args[0]  # a Msg: shown with local()
    return problems


def shown_proxies(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every proxy variable as it may be printed: credentials removed, unparsable ones not shown."""
    out = {}
    for name, value in proxy_variables(environ).items():
        if name.lower() == "no_proxy":
            out[name] = clean(value)
            continue
        try:
            out[name] = parse_proxy(value)
        except ValueError:
            out[name] = Msg("(cannot be parsed; value not shown)")
    return out


def proxy_for(url: str) -> str | None:
    """The proxy requests will use for `url` (NO_PROXY honoured, from this process's environment, as
    requests reads it), shown without credentials. ProxyError when its variable cannot be parsed."""
    try:
        proxies = requests.utils.get_environ_proxies(url, no_proxy=None)
        chosen = requests.utils.select_proxy(url, proxies)
    except ValueError:
        chosen = None
    if not chosen:
        return None
    try:
        return parse_proxy(chosen)
    except ValueError as exc:
        names = " / ".join(n for n, v in proxy_variables().items() if v == chosen) or Msg("a proxy variable")
        raise ProxyError(Msg("{names} cannot be parsed: {why}; its value is not shown", names=names,
                             why=exc.args[0])) from None


# ---- trust -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Trust:
    """How the huggingface_hub in use verifies certificates, and what hfenv verifies with to match."""

    client: str  # "requests" (huggingface_hub 0.x) or "httpx" (1.x and later)
    variables: tuple[str, ...]  # the variables that client reads, in order
    source: str | None  # the variable in effect, None for the default store
    verify: str | bool  # for requests: a file or a directory

    @property
    def advice(self) -> str:
        return self.variables[0]


@functools.lru_cache(maxsize=1)
def hub_version() -> str | None:
    """The installed huggingface_hub's version, without importing it (asked once per process)."""
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return None
    try:
        return version("huggingface_hub")
    except PackageNotFoundError:
        return None
    except Exception:  # a damaged installation: model the current client
        return None


# Where each client reads its certificates from, in the order it looks.
HTTPX_CA = ("SSL_CERT_FILE", "SSL_CERT_DIR")
REQUESTS_CA = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
CA_VARIABLES = HTTPX_CA + REQUESTS_CA  # every variable a Hugging Face client here may trust


def client_trust(version: str | None = None, environ: Mapping[str, str] | None = None) -> Trust:
    """The trust of huggingface_hub `version` (None: not installed; the current one is modelled)."""
    environ = os.environ if environ is None else environ
    major = version.split(".")[0] if version else ""
    if major == "0":
        variables: tuple[str, ...] = REQUESTS_CA
        client = "requests"
    else:
        variables = HTTPX_CA
        client = "httpx"
    for name in variables:
        if environ.get(name):
            return Trust(client, variables, name, environ[name])
    default: str | bool = requests.certs.where()
    if client == "httpx" and major not in ("", "1") and sys.platform.startswith("linux"):
        # httpx2 (huggingface_hub 2.x) trusts the system's store on Linux, not certifi's.
        paths = ssl.get_default_verify_paths()
        if paths.openssl_cafile and os.path.isfile(paths.openssl_cafile):
            default = paths.openssl_cafile
        elif paths.openssl_capath and os.path.isdir(paths.openssl_capath):
            default = paths.openssl_capath
    return Trust(client, variables, None, default)


# ---- one request, bounded -------------------------------------------------------------

_local = threading.local()


class Watch:
    """The sockets of one request (with its redirects), shut down at `deadline`, on abort() and at the end.

    Use it as a context manager in the thread that makes the requests: the
    connections opened inside register their sockets with it.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self.expired = False
        self.aborted = False
        self.connected = False  # a socket was opened: its thread may be inside the TLS library
        self._done = False
        self._timer: threading.Timer | None = None

    def __enter__(self) -> Watch:
        self._timer = threading.Timer(max(self.deadline - time.monotonic(), 0.0), self.expire)
        self._timer.name = "hfenv-deadline"
        self._timer.daemon = True
        self._timer.start()
        _local.watch = self
        return self

    def __exit__(self, *exc) -> None:
        _local.watch = None
        self._timer.cancel()
        self.close()
        self._timer.join()

    def track(self, sock: socket.socket) -> None:
        try:
            dup = sock.dup()  # our own descriptor: shutting it down is safe whoever closes theirs
        except OSError:
            return
        with self._lock:
            self._socks.append(dup)
            self.connected = True
            stop = self.expired or self.aborted or self._done
        if stop:
            self._shutdown()

    def expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
        self._shutdown()

    def abort(self) -> None:
        with self._lock:
            self.aborted = True
        self._shutdown()

    def close(self) -> None:
        with self._lock:
            self._done = True
        self._shutdown()
        with self._lock:
            socks, self._socks = self._socks, []
        for sock in socks:
            sock.close()

    def _shutdown(self) -> None:
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Tracked:
    def _new_conn(self):
        sock = super()._new_conn()
        watch = getattr(_local, "watch", None)
        if watch is not None:
            watch.track(sock)
        return sock


class _HTTPConnection(_Tracked, HTTPConnection):
    pass


class _HTTPSConnection(_Tracked, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _Adapter(requests.adapters.HTTPAdapter):
    """requests' adapter whose connections register their sockets with the request's Watch."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy, **kwargs):
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS pools keep their own classes
            manager.pool_classes_by_scheme = _POOLS
        return manager


def session(purpose: str) -> requests.Session:
    """A session for hfenv's checks: identity encoding, hfenv's User-Agent, watched connections."""
    version = getattr(sys.modules[__package__], "__version__", "dev")
    s = requests.Session()
    s.headers.update({"User-Agent": f"hfenv/{version} ({purpose})", "Accept-Encoding": "identity"})
    adapter = _Adapter(max_retries=0)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s


@dataclass
class Answer:
    """One HTTP answer, every text in it cleaned."""

    url: str
    code: int
    reason: str
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    links: dict = field(default_factory=dict)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def _via(proxy: str | None):
    """" (via proxy P)" after a failure's words when a proxy was used, else ""."""
    return Msg(" (via proxy {proxy})", proxy=proxy) if proxy else ""


class Failure(Exception):
    """A request that got no answer: a SPEC 3 status and a detail (a Msg) a user can act on."""

    def __init__(self, status: str, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def request(s: requests.Session, method: str, url: str, watch: Watch, *, headers: Mapping[str, str] | None = None,
            body_cap: int = 0, trust: Trust | None = None, proxy: str | None = None) -> Answer:
    """One request inside `watch` (entered), no redirect followed; over by the watch's deadline
    whatever the server does. Reads at most `body_cap` bytes of the body (GET)."""
    remaining = watch.deadline - time.monotonic()
    if remaining <= 0 or watch.aborted or watch.expired:
        raise Failure("timeout", Msg("no answer before the deadline{via}", via=_via(proxy)))
    trust = trust or client_trust(hub_version())
    head = method.upper() == "HEAD"
    try:
        # HEAD: no body, and the connection goes back to the pool (the next hop reuses it, as
        # huggingface_hub's does); otherwise stream, read the capped part, and drop the connection.
        response = s.request(method, url, headers=dict(headers or {}), allow_redirects=False, stream=not head,
                             timeout=(remaining, remaining), verify=trust.verify)
        try:
            body = b"" if head or body_cap <= 0 else response.raw.read(body_cap, decode_content=False)
            if watch.expired or watch.aborted:  # the shutdown may have cut the headers or body short
                raise Failure("timeout", "")
            return Answer(
                url=url, code=response.status_code, reason=clean(response.reason or ""),
                headers={k.lower(): clean(v, 2000) for k, v in response.headers.items()},
                body=body[:body_cap], links={k: {kk: clean(vv, 2000) for kk, vv in v.items()}
                                             for k, v in _links(response).items()},
            )
        finally:
            response.close()
    except Exception as exc:  # requests, urllib3, ssl and socket errors all end here (and the Failure above)
        if watch.expired:
            raise Failure("timeout", Msg("no complete answer within {seconds} s{via}",
                                         seconds=f"{max(remaining, 0.001):.3g}", via=_via(proxy))) from None
        if watch.aborted:
            raise Failure("timeout", Msg("stopped: no longer needed")) from None
        status, detail = classify_error(exc, url, proxy, trust)
        raise Failure(status, detail) from None


def _links(response) -> dict:
    try:
        return response.links
    except Exception:
        return {}


def follow(s: requests.Session, method: str, url: str, watch: Watch, **kwargs) -> tuple[Answer, Hop | None]:
    """`request`, following same-origin redirects inside the same watch (one deadline for all hops).

    Returns the last answer and, when it is a redirect that was not followed,
    the Hop saying why (offsite or ambiguous). Failure when a hop fails.
    """
    start = current = url
    for _ in range(MAX_REDIRECTS + 1):
        answer = request(s, method, current, watch, **kwargs)
        location = answer.header("location")
        if answer.code not in REDIRECT_CODES or not location:
            return answer, None
        hop = next_hop(start, current, location)
        if hop.kind != "same":
            return answer, hop
        current = hop.url
    raise Failure("error", Msg("more than {count} redirects", count=MAX_REDIRECTS))


# ---- the Hub check -------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What one HTTP answer means: follow `follow`, or a final status."""

    status: str
    detail: str = ""
    follow: str | None = None
    commit: str | None = None


@dataclass
class Sample:
    """One measurement: a final Verdict and how long it took."""

    verdict: Verdict
    ms: float


def hub_check_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/{PUBLIC_REPO}/resolve/main/{PUBLIC_FILE}"


def phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


OFFICIAL_HUB = "https://huggingface.co"


def sends_to_official(target: str, official_url: str = OFFICIAL_HUB) -> bool:
    """Whether an off-origin redirect goes to the official Hub (a mirror forwarding what it lacks)."""
    try:
        return origin(target)[1:] == origin(official_url)[1:]
    except Ambiguous:
        return False


NOT_CACHED = N_("not cached: sends you to {host} ({code} to {url}); the download then goes to the official "
                "Hub itself (with your token, if one is set), so it works only where {host} is reachable")


def retry_after(headers: Mapping[str, str]) -> str:
    """A 429's Retry-After, as words ("retry after 30 s"), or a note that it gave none."""
    lower = {k.lower(): v for k, v in headers.items()}
    value = clean(lower.get("retry-after", ""), 60).strip()
    if not value:
        return Msg("no Retry-After given")
    return Msg("Retry-After: {value} s", value=value) if value.isdigit() else f"Retry-After: {value}"


def _asked_file(start_url: str) -> str:
    """The repo/file a resolve URL asks for (the Hub check's config.json, or the large file)."""
    found = re.search(r"/([^/]+/[^/]+)/resolve/[^/]+/([^?#]+)$", urlsplit(start_url).path)
    return clean(f"{found[1]}/{found[2]}", 200) if found else f"{PUBLIC_REPO}/{PUBLIC_FILE}"


def classify_answer(start_url: str, url: str, code: int, headers: Mapping[str, str],
                    proxy: str | None = None, official_url: str = OFFICIAL_HUB) -> Verdict:
    """Judge one answer to the Hub check: follow a same-origin redirect, or a final status."""
    lower = {k.lower(): clean(v, 2000) for k, v in headers.items()}
    said = phrase(code)
    if code == 429:
        return Verdict("rate_limited", Msg("answered 429 Too Many Requests ({retry}): it limits how often you may "
                                           "ask; wait, or use another endpoint", retry=retry_after(headers)))
    if code in REDIRECT_CODES:
        location = headers.get("location") or headers.get("Location") or lower.get("location")
        if not location:
            return Verdict("http_error", Msg("answered {code} {phrase} without a Location", code=code, phrase=said))
        hop = next_hop(start_url, url, location)
        if hop.kind == "ambiguous":
            return Verdict("redirect_offsite", Msg("redirects ({code}), but {why}: not followed", code=code,
                                                   why=hop.reason))
        if hop.kind == "offsite":
            if code in (307, 308) and sends_to_official(hop.url, official_url) \
                    and not sends_to_official(start_url, official_url):
                return Verdict("redirect_offsite",
                               Msg(NOT_CACHED, host=host_of(hop.url), code=code, url=short_url(hop.url)))
            return Verdict("redirect_offsite", Msg("redirects ({code}) to {url}: it forwards elsewhere instead of "
                                                   "serving files itself", code=code, url=short_url(hop.url)))
        return Verdict("follow", follow=hop.url)
    commit = (lower.get("x-repo-commit") or "").strip()
    if 200 <= code < 300:
        if commit:
            return Verdict("ok", Msg("commit {commit}", commit=commit[:12]), commit=commit)
        kind = lower.get("content-type", "").split(";")[0].strip() or Msg("no content type")
        return Verdict("not_a_hub", Msg("answered {code} ({kind}) without X-Repo-Commit: a captive portal, login "
                                        "page or plain web server, not a Hub", code=code, kind=kind))
    if code == 407:
        return Verdict("proxy", Msg("the proxy {proxy} wants authentication (407): put user:password in the proxy "
                                    "URL", proxy=proxy) if proxy else
                       Msg("the proxy wants authentication (407): put user:password in the proxy URL"))
    if proxy and code in PROXY_GATEWAY_CODES:
        return Verdict("proxy", Msg("proxy {proxy} answered {code} {phrase}: it could not reach the host",
                                    proxy=proxy, code=code, phrase=said))
    if code >= 400:
        hint = {
            404: Msg(" (no {file} here: not a Hub, or a wrong path prefix)", file=_asked_file(start_url)),
            401: Msg(" (it wants a login: a private mirror?)"),
            403: Msg(" (forbidden: blocked, or a private mirror)"),
        }.get(code, "")
        return Verdict("http_error", Msg("answered {code} {phrase}{hint}", code=code, phrase=said, hint=hint))
    return Verdict("not_a_hub", Msg("answered {code} {phrase}, not a Hub file", code=code, phrase=said))


def hub_check(base_url: str, deadline: float, proxy: str | None = None, *, watch_for=None,
              purpose: str = "probe", trust: Trust | None = None) -> Sample:
    """One Hub check on a fresh connection, following same-origin redirects, stopping at headers.

    `watch_for` (optional) is called with the check's Watch before anything
    is sent, so that a coordinator can abort it.
    """
    start_url = url = hub_check_url(base_url)
    s = session(purpose)  # a fresh pool: every sample pays lookup, connect and TLS
    trust = trust or client_trust(hub_version())
    began = time.perf_counter()
    try:
        with Watch(deadline) as watch:
            if watch_for is not None:
                watch_for(watch)
            for _ in range(MAX_REDIRECTS + 1):
                try:
                    answer = request(s, "HEAD", url, watch, trust=trust, proxy=proxy)
                except Failure as failure:
                    return Sample(Verdict(failure.status, failure.detail), _since(began))
                verdict = classify_answer(start_url, url, answer.code, answer.headers, proxy)
                if verdict.follow is None:
                    if proxy and verdict.status == "ok":
                        verdict = Verdict("ok", Msg("{detail}; via proxy {proxy}", detail=verdict.detail, proxy=proxy),
                                          commit=verdict.commit)
                    return Sample(verdict, _since(began))
                url = verdict.follow
            return Sample(Verdict("error", Msg("more than {count} redirects", count=MAX_REDIRECTS)), _since(began))
    finally:
        s.close()


def _since(began: float) -> float:
    return (time.perf_counter() - began) * 1000.0


# ---- errors ----------------------------------------------------------------------------------


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (requests -> urllib3 -> socket/ssl)."""
    todo, seen = [exc], set()
    while todo and len(seen) < 64:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = [getattr(current, "reason", None), current.__cause__, current.__context__, *current.args]
        todo.extend(e for e in inner if isinstance(e, BaseException))


_OBJECT_REPR = re.compile(r"<[^<>]* object at 0x[0-9a-fA-F]+>:?\s*|\(Caused by [^)]*\)")


def _reason(exc: BaseException) -> str:
    """The innermost readable message of an exception chain, cleaned."""
    text = ""
    for cause in _causes(exc):
        message = _OBJECT_REPR.sub("", str(cause)).strip()
        if message:
            text = message
    return clean(text or type(exc).__name__)


def _name_errors() -> tuple[type, ...]:
    kind = getattr(urllib3.exceptions, "NameResolutionError", None)  # urllib3 >= 2
    return (kind,) if kind else ()


def classify_error(exc: BaseException, url: str, proxy: str | None = None,
                   trust: Trust | None = None) -> tuple[str, str]:
    """Map a failed request to a SPEC 3 status and a detail a user can act on."""
    chain = list(_causes(exc))
    parts = urlsplit(url)
    try:
        where = f"{parts.hostname}:{parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), '')}"
    except ValueError:
        where = clean(parts.hostname or "?")

    def has(*kinds) -> BaseException | None:
        return next((e for e in chain if isinstance(e, kinds)), None)

    if has(requests.exceptions.ProxyError, urllib3.exceptions.ProxyError, requests.exceptions.InvalidProxyURL) \
            or (proxy and has(requests.exceptions.InvalidSchema)):
        if has(ConnectionRefusedError):
            return "proxy", Msg("proxy {proxy} refused the connection", proxy=proxy)
        if has(socket.gaierror, *_name_errors()):
            return "proxy", Msg("proxy {proxy}: its name does not resolve", proxy=proxy)
        return "proxy", Msg("proxy {proxy} failed: {error}", proxy=proxy, error=_reason(exc))
    via = _via(proxy)
    tls = has(ssl.SSLError, requests.exceptions.SSLError, urllib3.exceptions.SSLError)
    if tls:
        verify = has(ssl.SSLCertVerificationError)
        if verify is not None:
            trust = trust or client_trust(hub_version())
            why = clean(getattr(verify, "verify_message", "") or _reason(verify))
            return "tls", Msg("certificate not trusted: {why}{via}; if a proxy or your network re-signs TLS, point "
                              "{variable} at its CA bundle (huggingface_hub ({client}) reads {variables})", why=why,
                              via=via, variable=trust.advice, client=trust.client,
                              variables=Msg("{first} or {second}", first=trust.variables[0],
                                            second=trust.variables[1]) if len(trust.variables) == 2
                              else " / ".join(trust.variables))
        return "tls", Msg("TLS handshake failed: {error}{via}", error=_reason(tls), via=via)
    if has(socket.gaierror, *_name_errors()):
        return "dns", Msg("name lookup failed for {host}{via}", host=clean(parts.hostname or "?"), via=via)
    if has(ConnectionRefusedError):
        return "refused", Msg("connection refused by {where}{via}: nothing listens there", where=where, via=via)
    if has(RemoteDisconnected):  # a ConnectionResetError too, but a clean close
        return "reset", Msg("{where} closed the connection without an answer{via}", where=where, via=via)
    if has(ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
        return "reset", Msg("connection reset by {where} before an answer{via}", where=where, via=via)
    # Only now: urllib3 2 files a refused or unresolvable connection under ConnectTimeoutError too.
    if has(requests.exceptions.Timeout, urllib3.exceptions.TimeoutError, TimeoutError):
        return "timeout", Msg("no answer before the budget ran out{via}", via=via)
    if has(OSError) and "CA certificate bundle" in str(has(OSError)):
        return "tls", Msg("the CA bundle cannot be read: {error}", error=_reason(exc))
    if has(HTTPException, urllib3.exceptions.ProtocolError):
        return "error", Msg("not an HTTP answer from {where}: {error}{via}", where=where, error=_reason(exc), via=via)
    return "error", Msg("{error}{via}", error=_reason(exc), via=via)


# ---- the large-file route (SPEC 10) ----------------------------------------------------------
#
# How huggingface_hub 2.x finds a large file's bytes (file_download.get_hf_file_metadata,
# utils/_xet.py), which is what this section follows:
#
# 1. HEAD {endpoint}/{repo}/resolve/{rev}/{file}, following relative (same-host) redirects only.
#    For an LFS/Xet file the Hub answers 302 to a storage host (a signed URL) with X-Repo-Commit,
#    X-Linked-Size and X-Linked-Etag; a mirror that has the bytes answers 200 itself.
# 2. The answer names a Xet-backed file by X-Xet-Hash plus a token route: the Link header's
#    rel="xet-auth" URL, else X-Xet-Refresh-Route. A route starting with https://huggingface.co is
#    rewritten to the configured endpoint (HF_ENDPOINT).
# 3. With hf_xet installed and HF_HUB_DISABLE_XET unset, the client GETs the token route (with the
#    user's token) and needs X-Xet-Cas-Url, X-Xet-Access-Token and X-Xet-Token-Expiration: hf_xet
#    then fetches the bytes from the CAS host named there. The LFS redirect is not used.
# 4. Otherwise (no hf_xet, or HF_HUB_DISABLE_XET=1), or for a file without Xet headers, the client
#    GETs the redirect's Location (dropping the Authorization header unless it is a Hub host).
#
# hfenv does steps 1-2 on the endpoint, step 3's GET without any token (public repos need none),
# and judges every other host (the redirect's, the CAS) by reaching it: one HEAD, no credentials.

LARGE_FILE = "model.safetensors"  # in PUBLIC_REPO: LFS on the Hub, Xet-backed today
XET_HEADERS = ("x-xet-cas-url", "x-xet-access-token", "x-xet-token-expiration")


@dataclass(frozen=True)
class Leg:
    """One way the bytes can come: `route` lfs|served|xet|none, the host that serves them, a status.

    `status` is "ok" when the bytes' host answers (any HTTP answer to a HEAD), else a SPEC 3
    status (timeout, dns, refused, reset, tls, proxy, http_error, rate_limited, error)."""

    route: str
    host: str | None
    status: str
    detail: str
    url: str | None = None  # the storage host's URL (a signed URL: never shown whole); None before it is known
    code: int | None = None  # the storage host's HTTP answer to the HEAD
    why: str = ""  # the reach's own words ("connection refused by ..."), without the route around them

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict:
        return {"route": self.route, "host": self.host, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class LargeFiles:
    """Where a large file's bytes come from through one endpoint, both ways the client may go.

    `http`: the plain HTTP route (no hf_xet, or HF_HUB_DISABLE_XET=1). `xet`: the Xet route when
    the file is Xet-backed (None when it is not). `commit`/`size`: what the resolve HEAD said."""

    file: str
    http: Leg
    xet: Leg | None = None
    commit: bool = False
    size: int | None = None
    not_cached: bool = False  # the endpoint sent the file to the official Hub
    code: int | None = None  # the endpoint's HTTP answer to the file's HEAD (None: no answer)
    xet_backed: bool = False  # X-Xet-Hash and a token route (followed or not)

    def leg(self, use_xet: bool) -> Leg:
        """The leg huggingface_hub takes: Xet when the file is Xet-backed and hf_xet is in use."""
        return self.xet if use_xet and self.xet is not None else self.http

    @property
    def bytes_ok(self) -> bool:
        """Some route brings the bytes (the plain one always can, with HF_HUB_DISABLE_XET=1)."""
        return self.http.ok or (self.xet is not None and self.xet.ok)

    @property
    def unknown(self) -> bool:
        """The endpoint answered the file's HEAD with an HTTP error (a 404: it lacks the test file):
        nothing is known about the bytes' route, which is not proof that they cannot come through."""
        return self.http.route == "none" and self.http.status == "http_error"

    @property
    def bytes_fail(self) -> bool:
        return not self.bytes_ok and not self.unknown

    @property
    def xet_needs_disabling(self) -> bool:
        """The Xet route fails but the plain HTTP route works: HF_HUB_DISABLE_XET=1 is the fix."""
        return self.xet is not None and not self.xet.ok and self.http.ok

    def summary(self, use_xet: bool = True) -> str:
        """One line on the route (a Msg): shown after a probe result, stored with it."""
        leg = self.leg(use_xet)
        route = Msg("{route} via {host}", route=leg.route, host=leg.host) if leg.host else leg.route
        text = (Msg("large files ({route}): the bytes come through", route=route) if leg.ok else
                Msg("large files ({route}): {status}: {detail}", route=route, status=leg.status, detail=leg.detail))
        if leg.ok and self.not_cached:
            text = joined(text, self.http.detail)
        if self.xet_needs_disabling and use_xet:
            text += Msg("; the plain HTTP route works: HF_HUB_DISABLE_XET=1 (hfenv setup --xet auto) uses it")
        return text

    def to_json(self, use_xet: bool = True) -> dict:
        leg = self.leg(use_xet)
        out = {**leg.to_json(), "file": self.file, "http": self.http.to_json(),
               "xet": None if self.xet is None else self.xet.to_json()}
        if self.not_cached:
            out["not_cached"] = True
        return out

    @classmethod
    def from_json(cls, data) -> LargeFiles:
        """Inverse of to_json; ValueError on anything malformed (a damaged cache)."""
        def leg(raw) -> Leg:
            if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) for k in ("route", "status", "detail")):
                raise ValueError("bad large_files leg")
            host = raw.get("host")
            if host is not None and not isinstance(host, str):
                raise ValueError("bad large_files host")
            detail = raw["detail"]
            if raw.get("detail_msg") is not None:
                detail = message_from_data(raw["detail_msg"], detail)
            return Leg(raw["route"], host, raw["status"], detail)

        if not isinstance(data, dict) or not isinstance(data.get("file"), str):
            raise ValueError("bad large_files")
        return cls(file=data["file"], http=leg(data.get("http")),
                   xet=None if data.get("xet") is None else leg(data["xet"]),
                   not_cached=bool(data.get("not_cached", False)))


def host_of(url: str) -> str:
    """host[:port] of a URL for people to read (the port only when it is not the scheme's)."""
    try:
        scheme, host, port = origin(url)
    except Ambiguous:
        return clean(urlsplit(url).netloc.rsplit("@", 1)[-1] or "?")
    return host if _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"


def bounded(method: str, url: str, deadline: float, *, trust: Trust | None, purpose: str, watch_for=None,
            body_cap: int = 0, redirects: bool = False) -> tuple[Answer, Hop | None, str | None]:
    """One request (and, with `redirects`, its same-origin redirects) on a fresh session, over by
    `deadline`: (answer, the hop not followed, the proxy used). Raises Failure or ProxyError."""
    s = session(purpose)
    try:
        proxy = proxy_for(url)
        with Watch(deadline) as watch:
            if watch_for is not None:
                watch_for(watch)
            if redirects:
                answer, hop = follow(s, method, url, watch, trust=trust, proxy=proxy, body_cap=body_cap)
            else:
                answer, hop = request(s, method, url, watch, trust=trust, proxy=proxy, body_cap=body_cap), None
        return answer, hop, proxy
    finally:
        s.close()


def reach(url: str, deadline: float, *, trust: Trust | None = None, purpose: str = "probe",
          watch_for=None) -> tuple[str, str, int | None]:
    """Whether the host of `url` answers at all: one HEAD, no redirect followed, no credentials.

    Returns (status, detail, HTTP code): "ok" for any HTTP answer (a signed URL may well answer
    403 to a HEAD; the host is reachable), else the failure's SPEC 3 status."""
    try:
        origin(url)
    except Ambiguous as exc:
        return "error", Msg("its URL is ambiguous ({why}): not contacted", why=exc.args[0]), None
    try:
        answer, _, _ = bounded("HEAD", url, deadline, trust=trust, purpose=purpose, watch_for=watch_for)
    except ProxyError as exc:
        return "proxy", str(exc), None
    except Failure as failure:
        return failure.status, failure.detail, None
    if answer.code == 429:
        return "rate_limited", Msg("{host} answered 429 ({retry})", host=host_of(url),
                                   retry=retry_after(answer.headers)), 429
    return "ok", Msg("{host} answers ({code})", host=host_of(url), code=answer.code), answer.code


def xet_route(answer: Answer, endpoint: str) -> str | None:
    """The Xet token route an answer names, as huggingface_hub reads it (None: not Xet-backed)."""
    if not answer.header("X-Xet-Hash"):
        return None
    route = (answer.links.get("xet-auth") or {}).get("url") or answer.header("X-Xet-Refresh-Route")
    if not route:
        return None
    if route.startswith(OFFICIAL_HUB + "/"):  # huggingface_hub (HUGGINGFACE_CO_URL_HOME) sends it to HF_ENDPOINT
        route = endpoint.rstrip("/") + route[len(OFFICIAL_HUB):]
    return route


def _xet_leg(route: str, deadline: float, trust: Trust | None, purpose: str, watch_for,
             reach_hosts: bool = True) -> Leg:
    """GET the token route (no token sent), then reach the CAS host it names."""
    try:
        origin(route)
    except Ambiguous as exc:
        return Leg("xet", None, "error", Msg("the Xet token route is ambiguous ({why}): not contacted",
                                             why=exc.args[0]))
    try:
        answer, _, _ = bounded("GET", route, deadline, trust=trust, purpose=purpose, watch_for=watch_for,
                               body_cap=BODY_CAP)
    except ProxyError as exc:
        return Leg("xet", None, "proxy", str(exc))
    except Failure as failure:
        return Leg("xet", host_of(route), failure.status,
                   Msg("the Xet token route failed: {detail}", detail=failure.detail))
    if answer.code == 429:
        return Leg("xet", host_of(route), "rate_limited",
                   Msg("the Xet token route answered 429 ({retry})", retry=retry_after(answer.headers)))
    missing = [name for name in XET_HEADERS if not answer.header(name)]
    if answer.code != 200 or missing:
        said = f"{answer.code} {phrase(answer.code)}".rstrip()
        return Leg("xet", host_of(route), "http_error",
                   Msg("the Xet token route answered {code} without {headers}: hf_xet downloads fail", code=said,
                       headers=", ".join(h.title() for h in missing)) if missing else
                   Msg("the Xet token route answered {code}: hf_xet downloads fail", code=said))
    cas = answer.header("X-Xet-Cas-Url").rstrip("/")
    if not reach_hosts:
        return Leg("xet", host_of(cas), NOT_REACHED, Msg("the Xet token route names {host}", host=host_of(cas)),
                   url=cas)
    status, detail, code = reach(cas, deadline, trust=trust, purpose=purpose, watch_for=watch_for)
    if status == "ok":
        return Leg("xet", host_of(cas), "ok", Msg("Xet storage {detail}", detail=detail), url=cas, code=code,
                   why=detail)
    return Leg("xet", host_of(cas), status, Msg("Xet storage {host} cannot be reached: {detail}", host=host_of(cas),
                                                detail=detail), url=cas, code=code, why=detail)


NOT_REACHED = "not_reached"  # follow_large_file(reach_hosts=False): the storage host was named, not contacted


def follow_large_file(base_url: str, deadline: float, *, xet: bool = True, trust: Trust | None = None,
                      purpose: str = "probe", official_url: str = OFFICIAL_HUB, watch_for=None,
                      reach_hosts: bool = True) -> LargeFiles:
    """Follow a large file's route through `base_url` as huggingface_hub 2.x does, by `deadline`.

    The resolve HEAD follows same-origin redirects; an off-origin answer names the host the
    bytes come from, which is then only reached (a HEAD, no token). For a Xet-backed file (and
    `xet`), the token route and the CAS host it names are followed too, at the same time as the
    redirect's host is reached: one round trip per host beyond the endpoint's two.
    `reach_hosts=False`: name the storage hosts only (status NOT_REACHED), never contact them."""
    trust = trust or client_trust(hub_version())
    base = base_url.rstrip("/")
    start = f"{base}/{PUBLIC_REPO}/resolve/main/{LARGE_FILE}"
    name = f"{PUBLIC_REPO}/{LARGE_FILE}"
    try:
        answer, hop, proxy = bounded("HEAD", start, deadline, trust=trust, purpose=purpose, watch_for=watch_for,
                                     redirects=True)
    except ProxyError as exc:
        return LargeFiles(name, Leg("none", None, "proxy", str(exc)))
    except Failure as failure:
        return LargeFiles(name, Leg("none", host_of(start), failure.status,
                                    Msg("the HEAD of {file} failed: {detail}", file=name,
                                        detail=failure.detail)))
    here = host_of(start)
    commit = bool(answer.header("X-Repo-Commit").strip())
    size = header_number(answer.header("X-Linked-Size")
                         or (answer.header("Content-Length") if answer.code < 300 else None))
    common = {"file": name, "commit": commit, "size": size, "code": answer.code,
              "xet_backed": xet_route(answer, base) is not None}
    if hop is not None and hop.kind != "offsite":
        return LargeFiles(http=Leg("none", here, "error", Msg("answered {code}, but {why}", code=answer.code,
                                                              why=hop.reason)), **common)
    if hop is None and not 200 <= answer.code < 300:
        verdict = classify_answer(start, answer.url, answer.code, answer.headers, proxy, official_url)
        return LargeFiles(http=Leg("none", here, verdict.status if verdict.status == "rate_limited" else "http_error",
                                   Msg("{file}: {detail}", file=name, detail=verdict.detail)), **common)
    route = xet_route(answer, base) if xet else None
    jobs: dict[str, Callable[[], Leg]] = {}
    not_cached = False
    if hop is None:
        http = Leg("served", here, "ok", Msg("{host} serves {file} itself ({code})", host=here, file=name,
                                             code=answer.code))
    else:
        target = hop.url
        not_cached = (answer.code in (307, 308) and sends_to_official(target, official_url)
                      and not sends_to_official(base, official_url))
        how = (Msg(NOT_CACHED, host=host_of(target), code=answer.code, url=short_url(target)) if not_cached
               else Msg("{host} redirects {file} ({code}) to {target}", host=here, file=name, code=answer.code,
                        target=host_of(target)))

        def lfs() -> Leg:
            if not reach_hosts:
                return Leg("lfs", host_of(target), NOT_REACHED, how, url=target)
            status, detail, code = reach(target, deadline, trust=trust, purpose=purpose, watch_for=watch_for)
            if status == "ok":
                return Leg("lfs", host_of(target), "ok", joined(how, detail), url=target, code=code, why=detail)
            return Leg("lfs", host_of(target), status, Msg("{how}, which cannot be reached: {detail}", how=how,
                                                           detail=detail), url=target, code=code, why=detail)
        jobs["http"] = lfs
        http = None
    if route is not None:
        jobs["xet"] = lambda: _xet_leg(route, deadline, trust, purpose, watch_for, reach_hosts)
    done = _together(jobs)
    return LargeFiles(http=http or done["http"], xet=done.get("xet"), not_cached=not_cached, **common)


def _together(jobs: Mapping[str, Callable[[], Leg]]) -> dict:
    """Run the jobs at once (each bounded by its own deadline); one job runs in this thread."""
    if len(jobs) <= 1:
        return {name: job() for name, job in jobs.items()}
    results: dict = {}
    names = list(jobs)

    def run(name: str) -> None:
        try:
            results[name] = jobs[name]()
        except Exception as exc:  # a thread must report, or its leg would be missing
            results[name] = Leg("none", None, "error", f"{type(exc).__name__}: {clean(exc)}")  # a bug's words

    threads = [threading.Thread(target=run, args=(n,), daemon=True, name=f"hfenv-route-{n}") for n in names[1:]]
    for thread in threads:
        thread.start()
    run(names[0])
    for thread in threads:
        thread.join()
    return results
