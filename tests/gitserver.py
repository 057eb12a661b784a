"""Loopback git servers: bare repositories over git's dumb HTTP (the --git tests), and a lab's
endpoint that is a fake Hub, a git server and a git-lfs server at once (the onboarding page's
`git clone` block).

`git update-server-info` writes info/refs and objects/info/packs, after which a
plain static file server is enough for `git ls-remote` and `git clone`. The
server listens on 127.0.0.1 with an ephemeral port, records every path asked
for, and stops at the end of the `with` block.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from hubserver import LoopbackServer, Seen, _HubHandler

GIT_TIMEOUT = 30


def git(*args: str, cwd: Path | None = None, env: dict | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=GIT_TIMEOUT)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def clean_git_env(home: Path, **extra: str) -> dict:
    """An environment in which git sees only home's config (and no proxy, no prompt)."""
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
    }
    env.update(extra)
    return env


def make_bare_repo(root: Path, name: str) -> str:
    """A bare repository root/name with one commit on main; returns the commit id."""
    work = root / f".{name}-work"
    env = clean_git_env(root, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
                        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid")
    git("init", "-q", "-b", "main", str(work), env=env)
    (work / "config.json").write_text('{"model_type": "tiny"}\n')
    git("add", "config.json", cwd=work, env=env)
    git("commit", "-q", "-m", "tiny model", cwd=work, env=env)
    commit = git("rev-parse", "HEAD", cwd=work, env=env).strip()
    git("clone", "-q", "--bare", str(work), str(root / name), env=env)
    git("update-server-info", cwd=root / name, env=env)
    return commit


class _Handler(SimpleHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.server.paths.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


class DumbGitServer:
    """Serves the directory root over HTTP on 127.0.0.1; `url` is its base URL."""

    def __init__(self, root: Path):
        handler = functools.partial(_Handler, directory=str(root))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.paths = []
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def paths(self) -> list[str]:
        return self.httpd.paths

    def __enter__(self) -> DumbGitServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


# ---- a lab endpoint: a Hub that git clones through, git-lfs included ---------------------------

LFS_MEDIA = "application/vnd.git-lfs+json"
LFS_ATTRIBUTES = "*.safetensors filter=lfs diff=lfs merge=lfs -text\n"


def lfs_pointer(data: bytes) -> str:
    """The pointer file git-lfs commits in place of `data` (git-lfs spec v1)."""
    oid = hashlib.sha256(data).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(data)}\n"


def make_model_repo(root: Path, repo: str, files: dict[str, bytes], lfs_files: dict[str, bytes]) -> str:
    """A bare repository root/repo (repo may hold a slash, "org/name") with `files` as plain blobs and
    `lfs_files` as git-lfs pointers, ready for dumb HTTP; returns the commit id. The pointers are
    written by hand, so making the repository needs no git-lfs."""
    work = root / f".{repo.replace('/', '--')}-work"
    env = clean_git_env(root, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
                        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid")
    git("init", "-q", "-b", "main", str(work), env=env)
    (work / ".gitattributes").write_text(LFS_ATTRIBUTES)
    for name, data in files.items():
        (work / name).write_bytes(data)
    for name, data in lfs_files.items():
        (work / name).write_text(lfs_pointer(data))
    git("add", "-A", cwd=work, env=env)
    git("commit", "-q", "-m", "a model", cwd=work, env=env)
    commit = git("rev-parse", "HEAD", cwd=work, env=env).strip()
    bare = root / repo
    bare.parent.mkdir(parents=True, exist_ok=True)
    git("clone", "-q", "--bare", str(work), str(bare), env=env)
    git("update-server-info", cwd=bare, env=env)
    return commit


_LFS_BATCH = re.compile(r"^/(?P<repo>.+?)(?:\.git)?/info/lfs/objects/batch$")
_LFS_OBJECT = re.compile(r"^/lfs-objects/(?P<oid>[0-9a-f]{64})$")


class _HubGitHandler(_HubHandler):
    """The fake Hub's answers, plus: files of the bare repositories under `git_root` (git's dumb
    HTTP: info/refs, HEAD, objects/...), git-lfs's batch API at `/{repo}.git/info/lfs/objects/batch`
    and the objects it names at `/lfs-objects/{oid}`."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        owner: HubGitServer = self.server.owner
        path = urlsplit(self.path).path
        match = _LFS_OBJECT.match(path)
        if match:
            owner._record(Seen(self.command, self.path, dict(self.headers.items())))
            data = owner.lfs_objects.get(match["oid"])
            if data is None:
                return self._send(404, b"no such object\n", {"Content-Type": "text/plain"})
            return self._send(200, data, {"Content-Type": "application/octet-stream"})
        target = (owner.git_root / path.lstrip("/")).resolve()
        if owner.git_root in target.parents and target.is_file() and "/resolve/" not in path:
            owner._record(Seen(self.command, self.path, dict(self.headers.items())))
            return self._send(200, target.read_bytes(), {"Content-Type": "application/octet-stream"})
        super().do_GET()

    def do_POST(self) -> None:  # noqa: N802
        owner: HubGitServer = self.server.owner
        owner._record(Seen(self.command, self.path, dict(self.headers.items())))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20))
        if not _LFS_BATCH.match(urlsplit(self.path).path):
            return self._send(404, b"", {})
        request = json.loads(body or b"{}")
        objects = []
        for wanted in request.get("objects", []):
            oid, size = wanted.get("oid"), wanted.get("size")
            if oid in owner.lfs_objects:
                objects.append({"oid": oid, "size": size, "authenticated": True, "actions": {
                    "download": {"href": f"{owner.url}/lfs-objects/{oid}", "expires_in": 3600}}})
            else:
                objects.append({"oid": oid, "size": size, "error": {"code": 404, "message": "not found"}})
        data = json.dumps({"transfer": "basic", "objects": objects}).encode()
        self._send(200, data, {"Content-Type": LFS_MEDIA})


class HubGitServer(LoopbackServer):
    """A lab's endpoint on 127.0.0.1: the fake Hub (hubserver, mode "hub", its HUB_FILES) that also
    serves `repo` for `git clone` over dumb HTTP, with `lfs_files` through git-lfs's batch API.
    `requests` records every request (Hub, git and git-lfs alike)."""

    handler = _HubGitHandler

    def __init__(self, root: Path, repo: str, files: dict[str, bytes], lfs_files: dict[str, bytes]):
        super().__init__("hub")
        root.mkdir(parents=True, exist_ok=True)
        self.git_root = root.resolve()
        self.commit_id = make_model_repo(self.git_root, repo, files, lfs_files)
        self.lfs_objects = {hashlib.sha256(data).hexdigest(): data for data in lfs_files.values()}
