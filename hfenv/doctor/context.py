"""What every section shares: the options, the context the pipeline passes along, a Section's shape.

A section is a gather step (I/O: files, subprocesses, the network through
hfenv.hubcheck) and a pure judge step (facts -> Findings). The context carries
what the whole run knows (platform, home, the shell, the secrets to redact)
and the facts each section gathered (by section id; typed ones are found by their type with ``ctx.of``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..endpoints import PUBLIC_FILE, PUBLIC_REPO, Endpoint
from .report import Finding, redact
from .values import DEFAULT_ENDPOINT

DEFAULT_TIMEOUT = 5.0
CLIENT_TIMEOUT = 30.0
# A public repo every Hub and mirror has: a tiny file for --download, a large (LFS/Xet) one to follow.
TEST_REPO, SMALL_FILE = PUBLIC_REPO, PUBLIC_FILE  # the file the probe checks
LARGE_FILE = "model.safetensors"


@dataclass
class Options:
    offline: bool = False
    download: bool = False
    check_token: bool = False
    timeout: float = DEFAULT_TIMEOUT
    python: str = sys.executable
    shell: str | None = None  # the shell whose startup files count as this shell's (None: detected)
    candidates: list[Endpoint] | None = None  # for the fallback probe (None: catalog and user endpoints)
    official_url: str = DEFAULT_ENDPOINT
    root: Path | None = None  # prefix for machine-wide files (tests)
    platform: object | None = None
    host: object | None = None
    progress: Callable[[str], None] | None = None


F = TypeVar("F")


@dataclass
class Context:
    """One run of doctor: its options, the machine, and the facts gathered so far."""

    options: Options
    platform: object
    host: object
    shell: str | None
    secrets: tuple[str, ...] = ()
    gathered: dict[str, object] = field(default_factory=dict)

    @property
    def env(self) -> Mapping[str, str]:
        return self.platform.env

    @property
    def home(self):
        return self.platform.home

    def say(self, line: str) -> None:
        """A progress line (stderr on a terminal), redacted like the report."""
        if self.options.progress is not None:
            self.options.progress(redact(line, self.secrets))

    def of(self, kind: type[F]) -> F:
        """The facts of type `kind` an earlier section gathered."""
        return next(f for f in self.gathered.values() if isinstance(f, kind))


@dataclass(frozen=True)
class Section:
    """One area of the report: gather (I/O) facts, judge them (pure), show them in --json."""

    id: str
    title: str
    gather: Callable[[Context], object]
    judge: Callable[[Context, object], list[Finding]]
    record: Callable[[object], dict]  # {facts key: JSON value}, merged into the report's facts


def run_together(jobs: dict[str, Callable[[], F]]) -> dict[str, F]:
    """Run independent, each bounded, jobs at once."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="hfenv-doctor") as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def flat(pipeline: Iterable) -> list[Section]:
    """The sections of a pipeline, in order (a tuple in it is a stage whose sections gather together)."""
    return [s for stage in pipeline for s in (stage if isinstance(stage, tuple) else (stage,))]
