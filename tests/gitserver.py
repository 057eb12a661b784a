"""A loopback git server for the --git tests: bare repositories over git's dumb HTTP.

`git update-server-info` writes info/refs and objects/info/packs, after which a
plain static file server is enough for `git ls-remote` and `git clone`. The
server listens on 127.0.0.1 with an ephemeral port, records every path asked
for, and stops at the end of the `with` block.
"""

from __future__ import annotations

import functools
import os
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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
