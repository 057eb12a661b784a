"""`hfenv run`: start one command with the variables `hfenv shell` would set.

POSIX replaces hfenv with the command (same PID, so signals and job control reach it
directly). Windows has no exec that keeps the PID, so hfenv starts the command, waits,
and passes its exit code on; Ctrl-C reaches every process of the console, so hfenv only
has to survive it and keep waiting. The statuses for a command that cannot start are the
shells': 127 not found, 126 found but not runnable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence

NOT_FOUND, NOT_EXECUTABLE = 127, 126


class CannotStart(Exception):
    """The command could not be started; `status` is what a shell would return."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def command_environment(base: Mapping[str, str], pairs: Sequence[tuple[str, str | None]]) -> dict[str, str]:
    """`base` with each (variable, value) set, or removed where the value is None."""
    env = dict(base)
    for name, value in pairs:
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def cannot_start(command: str, exc: OSError) -> CannotStart:
    """The shell's answer to a failed exec: 127 for a missing command, 126 otherwise (its message a
    Msg: English as data, the user's language where cli shows it)."""
    from .i18n import Msg  # only here: `hfenv run`'s fast path imports nothing it does not use

    if isinstance(exc, FileNotFoundError) and os.sep not in command and (os.altsep or os.sep) not in command:
        return CannotStart(NOT_FOUND, Msg("{command}: command not found", command=command))
    if isinstance(exc, FileNotFoundError):
        return CannotStart(NOT_FOUND, Msg("{command}: No such file or directory", command=command))
    return CannotStart(NOT_EXECUTABLE, Msg("{command}: {reason}", command=command, reason=exc.strerror or str(exc)))


def exec_posix(argv: Sequence[str], env: Mapping[str, str]) -> None:
    """Replace this process with argv[0], looked up in env's PATH. Returns only by raising."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(argv[0], list(argv), dict(env))
    except OSError as exc:
        raise cannot_start(argv[0], exc) from None


def run_and_wait(argv: Sequence[str], env: Mapping[str, str], popen: Callable | None = None) -> int:
    """Start argv, wait for it through any Ctrl-C, and return its exit code (Windows' way)."""
    if popen is None:
        import subprocess

        popen = subprocess.Popen
    try:
        process = popen(list(argv), env=dict(env))
    except OSError as exc:
        raise cannot_start(argv[0], exc) from None
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            # The console sent Ctrl-C to the command too: it decides whether to end.
            continue


def run_command(argv: Sequence[str], env: Mapping[str, str], windows: bool | None = None,
                execute: Callable = exec_posix, wait: Callable = run_and_wait) -> int:
    """Run argv with env the platform's way; returns the exit status where hfenv lives on."""
    if windows is None:
        windows = os.name == "nt"
    if windows:
        return wait(argv, env)
    execute(argv, env)
    raise AssertionError("exec returned")  # pragma: no cover - execvpe returns only by raising
