"""Loopback HTTP(S) servers for tests and benches: a fake Hub, the ways a mirror fails, a proxy.

Every server listens on 127.0.0.1 with an ephemeral port, records what reaches
it (`connections`, `requests`), and stops at `stop()`, at the end of a `with`
block, or at the end of the `serve` fixture. Every wait is bounded: handlers
that hold a connection give up at `stop()` or after MAX_HOLD seconds, and
`stop()` shuts every open connection down, so nothing outlives a test.

The fake Hub answers like huggingface.co does, closely enough for the real
huggingface_hub client with ``HF_ENDPOINT`` pointed at it:

- ``HEAD|GET /{repo}/resolve/{rev}/{file}``: a relative 307 to
  ``/api/resolve-cache/models/{repo}/{commit}/{file}`` carrying X-Repo-Commit;
- that path: 200 with X-Repo-Commit, ETag, Content-Length (and the bytes on GET);
- ``GET /api/models/{repo}[/revision/{rev}]``: JSON with ``sha`` and ``siblings``.

Opt-in, for `hfenv doctor`:

- ``large_files``: LFS/Xet-style files. Their resolve answers like the Hub does
  for large files: a 302 to ``lfs_redirect`` (another origin, a CDN) carrying
  X-Repo-Commit, X-Linked-Size and X-Linked-Etag, or, without ``lfs_redirect``,
  a 200 with those headers from this server itself (a mirror serving the bytes).
  With ``xet_cas`` the answer also carries X-Xet-Hash and a ``rel="xet-auth"``
  link to ``/api/models/{repo}/xet-read-token/{commit}``, whose answer names
  ``xet_cas`` in X-Xet-Cas-Url, as the Hub's does.
- ``GET /api/whoami-v2``: 200 with a user for ``Authorization: Bearer {token}``,
  else 401.
- mode "cdn": 200 with a few bytes (``cdn_data``) for any path (where large files are sent).

For SPEC 10 (the bytes' route), modelled as huggingface_hub 2.x parses it (``file_download``,
``utils/_xet.py``):

- ``large_files`` values may be the file's bytes instead of its size: then the LFS redirect's
  host (a "cdn" server with those ``cdn_data``) or this server (GET) hands them out for real.
- ``xet_cas``: the CAS host's URL, usually a second LoopbackServer (a "cdn" one that answers,
  a "swallow" one that never does, or ``dead_url()``: refused). The token route answers 200 with
  X-Xet-Cas-Url, X-Xet-Access-Token and X-Xet-Token-Expiration. ``xet_route_base``: the base of
  the Link's token route ("https://huggingface.co" to check the client's rewrite to HF_ENDPOINT).
- ``retry_after``: with mode "status" and ``status=429``, the Retry-After header sent.
- ``uncached_to``: a mirror that has not cached its large files: their resolve answers
  307 to ``uncached_to`` + the same path (what hf-mirror does, to huggingface.co).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import random
import re
import select
import socket
import socketserver
import ssl
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import trustme

HUB_COMMIT = "607a30d783dfa663caf39e06633721c8d4cfcd7e"
HUB_FILES = {
    "openai-community/gpt2": {
        "config.json": b'{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_layer": 12}\n',
    },
}
MODES = ("hub", "portal", "status", "redirect", "loop", "swallow", "reset", "garbage", "cdn")
LARGE_FILES = {"openai-community/gpt2": {"model.safetensors": 548105171}}
WHOAMI_NAME = "doctor-test-user"
MAX_HOLD = 60.0  # the longest any handler holds a connection, even if stop() never comes
IDLE_TIMEOUT = 5.0  # a keep-alive connection left idle this long is closed
PORTAL_PAGE = b"<!doctype html><html><head><title>Wi-Fi login</title></head><body>Please log in</body></html>\n"

_RESOLVE = re.compile(r"^/(?P<repo>.+?)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_CACHE = re.compile(r"^/api/resolve-cache/models/(?P<repo>.+?)/(?P<commit>[0-9a-f]{40})/(?P<file>.+)$")
_MODEL = re.compile(r"^/api/models/(?P<repo>.+?)(?:/revision/(?P<rev>[^/]+))?$")
_XET_TOKEN = re.compile(r"^/api/models/(?P<repo>.+?)/xet-read-token/(?P<commit>[0-9a-f]{40})$")


@dataclass(frozen=True)
class Seen:
    """One request as it reached a server."""

    method: str
    path: str
    headers: dict


def git_blob_sha(data: bytes) -> str:
    """The ETag the Hub gives a regular (non-LFS) file."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class _TCPServer(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() closes connections itself; never wait for a handler
    allow_reuse_address = True

    def __init__(self, owner: _Listener, handler):
        self.owner = owner
        super().__init__(("127.0.0.1", 0), handler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # skip HTTPServer's getfqdn(): no name lookups
        self.server_name, self.server_port = self.server_address[:2]

    def finish_request(self, request, client_address) -> None:
        owner = self.owner
        owner._opened(request)
        raw, wrapped = request, None
        try:
            if owner.tls is not None:
                request.settimeout(IDLE_TIMEOUT)
                try:
                    wrapped = request = owner.tls.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    return  # the client refused our certificate: that is the test
                owner._opened(wrapped)
            self.RequestHandlerClass(request, client_address, self)
        finally:
            owner._closed(raw)
            if wrapped is not None:
                owner._closed(wrapped)
                wrapped.close()

    def handle_error(self, request, client_address) -> None:
        pass  # clients hanging up mid-answer are normal here


class _Listener:
    """A threaded server on 127.0.0.1 that records connections and stops with everything it opened."""

    handler: type = BaseHTTPRequestHandler

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.tls = tls
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._open: set = set()
        self._seen: list[Seen] = []
        self._connections = 0
        self._server: _TCPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        with self._lock:
            return self._connections

    @property
    def requests(self) -> list[Seen]:
        with self._lock:
            return list(self._seen)

    def start(self):
        self._server = _TCPServer(self, self.handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name=f"{type(self).__name__}-{self.port}")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self.stopping.set()
        self._server.shutdown()
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def hold(self, seconds: float) -> bool:
        """Sleep up to `seconds`, or less if the server stops; True if it stopped."""
        return self.stopping.wait(min(seconds, MAX_HOLD))

    def _opened(self, sock) -> None:
        with self._lock:
            if sock not in self._open and not isinstance(sock, ssl.SSLSocket):
                self._connections += 1
            self._open.add(sock)

    def _closed(self, sock) -> None:
        with self._lock:
            self._open.discard(sock)

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self._seen.append(seen)


# ---- the fake Hub and its failures -------------------------------------------


class _HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    server_version = "fakehub/1"

    def log_message(self, *args) -> None:
        pass

    def handle(self) -> None:
        owner: LoopbackServer = self.server.owner
        if owner.mode == "swallow" or owner.connections > owner.swallow_after:
            owner.hold(MAX_HOLD)  # accept, never answer
        elif owner.mode == "reset":
            self._reset()
        elif owner.mode == "garbage":
            self.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n")  # some other service on that port
        else:
            super().handle()

    def _reset(self) -> None:
        """Read the request, then close with RST (SO_LINGER 0) instead of answering."""
        head = b""
        try:
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = self.connection.recv(4096)
                if not chunk:
                    break
                head += chunk
        except OSError:
            return
        line = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        if len(line) >= 2:
            self.server.owner._record(Seen(line[0], line[1], {}))
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.wfile.close()  # the makefile()s hold the socket open; release them first
        self.connection.close()

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        owner: LoopbackServer = self.server.owner
        owner._record(Seen(self.command, self.path, dict(self.headers.items())))
        path = urlsplit(self.path).path
        if owner.mode == "hub" and _CACHE.match(path):
            return self._cached_file(_CACHE.match(path), body)  # the follow-up hop: no extra delay
        if owner.hold(owner.next_delay()):
            return
        if owner.mode == "portal":
            return self._send(200, PORTAL_PAGE if body else b"", {"Content-Type": "text/html; charset=utf-8"},
                              length=len(PORTAL_PAGE))
        if owner.mode == "status":
            text = f"{owner.status} from the fake server\n".encode()
            extra = {"Retry-After": owner.retry_after} if owner.retry_after is not None else {}
            return self._send(owner.status, text if body else b"", {"Content-Type": "text/plain", **extra},
                              length=len(text))
        if owner.mode == "redirect":
            return self._send(308, b"", {"Location": owner.redirect_to + self.path})
        if owner.mode == "loop":
            hop = len(owner.requests)
            return self._send(307, b"", {"Location": f"{path}?hop={hop}"})
        if owner.mode == "cdn":
            data = owner.cdn_data
            return self._send(200, data if body else b"", {"Content-Type": "application/octet-stream"},
                              length=len(data))
        if path == "/api/whoami-v2":
            return self._whoami(body)
        match = _XET_TOKEN.match(path)
        if match and owner.xet_cas and match["repo"] in owner.large_files:
            return self._xet_token(body)
        match = _RESOLVE.match(path)
        if match:
            return self._resolve(match)
        match = _MODEL.match(path)
        if match and match["repo"] in owner.files:
            info = {"id": match["repo"], "modelId": match["repo"], "sha": owner.commit, "private": False,
                    "siblings": [{"rfilename": name} for name in sorted(owner.files[match["repo"]])]}
            data = json.dumps(info).encode()
            return self._send(200, data if body else b"", {"Content-Type": "application/json"}, length=len(data))
        self._not_found("RepoNotFound", body)

    def _resolve(self, match) -> None:
        owner: LoopbackServer = self.server.owner
        size = owner.large_files.get(match["repo"], {}).get(match["file"])
        if size is not None and match["rev"] in ("main", owner.commit):
            if owner.uncached_to:
                return self._send(307, b"", {"Location": owner.uncached_to + self.path})
            return self._large_file(match, size)
        files = owner.files.get(match["repo"])
        if files is None or match["file"] not in files:
            return self._not_found("RepoNotFound" if files is None else "EntryNotFound", False)
        if match["rev"] not in ("main", owner.commit):
            return self._not_found("RevisionNotFound", False)
        target = f"/api/resolve-cache/models/{match['repo']}/{owner.commit}/{match['file']}"
        self._send(307, b"", {"Location": target, "X-Repo-Commit": owner.commit})

    def _large_file(self, match, size: int) -> None:
        """What the Hub answers for an LFS/Xet file: a redirect to its storage, or (a mirror) 200 itself."""
        owner: LoopbackServer = self.server.owner
        data = size if isinstance(size, bytes) else None
        size = len(data) if data is not None else size
        sha256 = hashlib.sha256(data if data is not None else f"{match['repo']}/{match['file']}".encode()).hexdigest()
        headers = {"X-Repo-Commit": owner.commit, "X-Linked-Etag": f'"{sha256}"', "X-Linked-Size": str(size),
                   "ETag": f'"{sha256}"', "Accept-Ranges": "bytes"}
        if owner.xet_cas:
            headers["X-Xet-Hash"] = hashlib.sha256(sha256.encode()).hexdigest()
            token_url = f"{owner.xet_route_base or owner.url}/api/models/{match['repo']}/xet-read-token/{owner.commit}"
            headers["Link"] = f'<{token_url}>; rel="xet-auth"'
        if owner.lfs_redirect:
            location = (f"{owner.lfs_redirect}/repos/{sha256[:2]}/{sha256[2:4]}/{sha256}"
                        "?X-Amz-Expires=3600&X-Amz-Signature=fake")
            return self._send(302, b"", {**headers, "Location": location})
        if self.command == "GET":
            if data is not None:
                return self._send(200, data, {**headers, "Content-Type": "application/octet-stream"})
            return self._send(501, b"", {})  # a size without bytes: never downloaded
        self._send(200, b"", {**headers, "Content-Type": "application/octet-stream"}, length=size)

    def _xet_token(self, body: bool) -> None:
        owner: LoopbackServer = self.server.owner
        expires = str(int(time.time()) + 3600)
        info = {"casUrl": owner.xet_cas, "exp": int(expires), "accessToken": "xet-access-token-not-a-user-token"}
        data = json.dumps(info).encode()
        headers = {"Content-Type": "application/json", "X-Xet-Cas-Url": owner.xet_cas,
                   "X-Xet-Access-Token": info["accessToken"], "X-Xet-Token-Expiration": expires}
        self._send(200, data if body else b"", headers, length=len(data))

    def _whoami(self, body: bool) -> None:
        owner: LoopbackServer = self.server.owner
        given = self.headers.get("Authorization", "")
        if owner.token and given == f"Bearer {owner.token}":
            data = json.dumps({"type": "user", "name": WHOAMI_NAME, "auth": {"type": "access_token"}}).encode()
            return self._send(200, data if body else b"", {"Content-Type": "application/json"}, length=len(data))
        data = json.dumps({"error": "Invalid credentials in Authorization header"}).encode()
        self._send(401, data if body else b"", {"Content-Type": "application/json"}, length=len(data))

    def _cached_file(self, match, body: bool) -> None:
        owner: LoopbackServer = self.server.owner
        data = owner.files.get(match["repo"], {}).get(match["file"])
        if data is None or match["commit"] != owner.commit:
            return self._not_found("EntryNotFound", body)
        headers = {"X-Repo-Commit": owner.commit, "ETag": f'"{git_blob_sha(data)}"',
                   "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
        self._send(200, data if body else b"", headers, length=len(data))

    def _not_found(self, code: str, body: bool) -> None:
        data = json.dumps({"error": code}).encode()
        self._send(404, data if body else b"", {"Content-Type": "application/json", "X-Error-Code": code},
                   length=len(data))

    def _send(self, status: int, data: bytes, headers: dict, length: int | None = None) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)


class LoopbackServer(_Listener):
    """One server with one behaviour.

    mode: "hub" (a working Hub), "portal" (200 HTML for everything), "status"
    (`status` for everything), "redirect" (308 to `redirect_to` + path),
    "loop" (same-origin 307s forever), "swallow" (accept, never answer),
    "reset" (read the request, close with RST), "garbage" (not HTTP),
    "cdn" (200 with a few bytes for any path).
    large_files, lfs_redirect, xet_cas, token, retry_after, uncached_to, cdn_data, xet_route_base:
    see the module docstring.
    delay/jitter: seconds before the headers of each answer (uniform +/- jitter),
    except the Hub's same-origin follow-up, so one Hub check costs one delay.
    swallow_after: answer that many connections, then swallow the later ones.
    """

    handler = _HubHandler

    def __init__(self, mode: str = "hub", *, tls: ssl.SSLContext | None = None, delay: float = 0.0,
                 jitter: float = 0.0, status: int = 503, redirect_to: str = "https://huggingface.co",
                 files: dict | None = None, commit: str = HUB_COMMIT, seed: int = 0,
                 swallow_after: float = math.inf, large_files: dict | None = None,
                 lfs_redirect: str | None = None, xet_cas: str | None = None, token: str | None = None,
                 retry_after: str | None = None, uncached_to: str | None = None,
                 cdn_data: bytes = b"large file bytes\n", xet_route_base: str | None = None):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        super().__init__(tls)
        self.mode, self.delay, self.jitter = mode, delay, jitter
        self.status, self.redirect_to, self.commit = status, redirect_to.rstrip("/"), commit
        self.files = HUB_FILES if files is None else files
        self.swallow_after = swallow_after
        self.large_files = {} if large_files is None else large_files
        self.lfs_redirect = lfs_redirect.rstrip("/") if lfs_redirect else None
        self.xet_cas, self.token = xet_cas, token
        self.retry_after, self.cdn_data, self.xet_route_base = retry_after, cdn_data, xet_route_base
        self.uncached_to = uncached_to.rstrip("/") if uncached_to else None
        self._random = random.Random(seed)

    def next_delay(self) -> float:
        with self._lock:
            return max(self.delay + self._random.uniform(-self.jitter, self.jitter), 0.0)


# ---- a forwarding proxy ---------------------------------------------------------


def _is_loopback(host: str) -> bool:
    return host == "localhost" or host.startswith("127.") or host in ("::1", "[::1]")


class _ProxyHandler(socketserver.StreamRequestHandler):
    timeout = IDLE_TIMEOUT
    rbufsize = 0  # unbuffered: nothing past the request head may stay stuck in a buffer

    def handle(self) -> None:
        """Requests on one client connection, until it closes or turns into a CONNECT tunnel."""
        for _ in range(100):
            if not self._one_request():
                return

    def _one_request(self) -> bool:
        owner: ForwardProxy = self.server.owner
        head = b""
        try:
            while b"\r\n\r\n" not in head and len(head) < 65536:
                line = self.rfile.readline(8192)
                if not line:
                    return False
                head += line
        except OSError:
            return False
        request_line, _, rest = head.decode("latin-1").partition("\r\n")
        try:
            method, target, version = request_line.split(" ")
        except ValueError:
            return self._fail(400, "bad request line")
        owner._record(Seen(method, target, {}))
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            path = None
        else:
            parts = urlsplit(target)
            if parts.scheme != "http" or not parts.hostname:
                return self._fail(400, "absolute http:// URL expected")
            host, port = parts.hostname, parts.port or 80
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if not _is_loopback(host.strip("[]")):
            return self._fail(403, "this test proxy only forwards to loopback addresses")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=IDLE_TIMEOUT)
        except (OSError, ValueError):
            return self._fail(502, f"cannot reach {host}:{port}")
        owner._opened(upstream)
        try:
            if path is None:
                self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._pump([self.connection, upstream], owner)
                return False
            # One request per upstream connection ("Connection: close"), relayed until it closes;
            # the client may then send its next request on the same connection.
            kept = [h for h in rest.split("\r\n") if h and not h.lower().startswith(("connection:", "proxy-"))]
            upstream.sendall(f"{method} {path} {version}\r\n".encode("latin-1")
                             + "".join(f"{h}\r\n" for h in kept + ["Connection: close"]).encode("latin-1")
                             + b"\r\n")
            self._pump([upstream], owner)
            return True
        finally:
            owner._closed(upstream)
            upstream.close()

    def _pump(self, sources: list, owner) -> None:
        """Relay bytes (client<->upstream for a tunnel, upstream->client otherwise) until a side
        closes, the proxy stops, or nothing moved for IDLE_TIMEOUT."""
        client, last = self.connection, time.monotonic()
        while not owner.stopping.is_set() and time.monotonic() - last < IDLE_TIMEOUT:
            ready, _, _ = select.select(sources, [], [], 0.1)
            for sock in ready:
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                (client if sock is not client else sources[1]).sendall(data)
                last = time.monotonic()

    def _fail(self, status: int, reason: str) -> bool:
        body = f"test proxy: {reason}\n".encode()
        self.wfile.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        return False


class ForwardProxy(_Listener):
    """An HTTP proxy (CONNECT and absolute-form requests) that only forwards to 127.0.0.0/8."""

    handler = _ProxyHandler

    def __init__(self):
        super().__init__(tls=None)


# ---- helpers ----------------------------------------------------------------------


def dead_url(scheme: str = "http") -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"{scheme}://127.0.0.1:{port}"


def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    """A server context with a certificate for 127.0.0.1/localhost signed by `ca`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


def write_ca_bundle(ca: trustme.CA, path: Path) -> Path:
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def serve():
    """Factory: serve(mode, **options) starts a LoopbackServer that stops at teardown."""
    started: list[_Listener] = []

    def start(mode: str = "hub", **options) -> LoopbackServer:
        server = LoopbackServer(mode, **options).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def loopback_only(monkeypatch):
    """Proxies at a dead loopback port, NO_PROXY covering loopback: the catalog's endpoints fail
    through the dead proxy, and only the loopback servers are reached (directly)."""
    blackhole = dead_url()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, blackhole)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def forward_proxy():
    """A running ForwardProxy, stopped at teardown."""
    with ForwardProxy() as proxy:
        yield proxy


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_bundle(tls_ca, tmp_path) -> Path:
    """A PEM file holding the test CA, for SSL_CERT_FILE (or REQUESTS_CA_BUNDLE)."""
    return write_ca_bundle(tls_ca, tmp_path / "ca.pem")


# ---- raw bytes: servers that answer exactly what a test writes -------------------------


class RawServer:
    """A loopback TCP server whose `answer(conn, head)` writes whatever bytes a test needs.

    Records every request head it read (`heads`) and every byte it sent (`sent`);
    stop() ends every connection. Each wait is bounded by `stopping`.
    """

    def __init__(self, answer):
        self.answer = answer
        self.stopping = threading.Event()
        self.heads: list[bytes] = []
        self.sent = 0
        self.closed_by_client = threading.Event()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self._listener.settimeout(0.05)  # so that stop() is noticed at once
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        head = b""
        try:
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            with self._lock:
                self.heads.append(head)
            self.answer(self, conn, head)
        except OSError:
            self.closed_by_client.set()
        finally:
            conn.close()

    def send(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)
        with self._lock:
            self.sent += len(data)

    def trickle(self, conn: socket.socket, data: bytes, every: float = 0.25) -> None:
        for i in range(len(data)):
            if self.stopping.wait(every):
                return
            self.send(conn, data[i:i + 1])

    def stop(self) -> None:
        self.stopping.set()
        self._thread.join(5)
        self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def raw():
    started = []

    def start(answer) -> RawServer:
        server = RawServer(answer)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
