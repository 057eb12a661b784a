"""Targets, plans and their atomic application: the I/O edge of `setup --persist` and `reset`.

One plan, many uses: ``plan_edits`` reads every target and computes
its new content with the pure functions of :mod:`hfenv.blocks`; ``render_diff``
shows a plan, the CLI reports it as JSON, and ``apply`` writes it. ``apply``
takes a lock, then reads every target again and recomputes its change from the
fresh bytes (a plan is a description, not a patch), so concurrent runs converge
on one block instead of losing each other's work.

Decisions worth knowing:

- A file that setup creates holds exactly the block. Reset deletes a shared file
  when it holds nothing but the block, and otherwise removes the block. An
  existing empty file (or one holding only a UTF-8 BOM) gets one line ending
  before its block, so that reset gives it back byte for byte instead of
  deleting it. A file whose only content is a hand-written hfenv block is
  therefore deleted by reset as well.
- A file hfenv owns whole (``owned``: fish's conf.d file, profile.d) is replaced
  or deleted only while it holds hfenv's block and nothing else; a hand-written
  file of that name stops the run with a WriteError naming it, before anything
  is written.
- Symlinks are followed (``os.path.realpath``): the link stays, its final target
  is edited, and the temporary file is made in the target's directory. A
  dangling link gets its target created (as ``>>`` would) when the target's
  directory exists; reset after such a setup leaves the link dangling again.
- Only regular files are edited: a target that resolves to a directory, device
  or FIFO (``~/.bashrc -> /dev/null``) is refused with a WriteError.
- Each file is written to ``.NAME.hfenv-XXXXXXXX`` (8 hex digits; no second dot
  for a dotfile) in its own directory, fsynced, given the old file's mode and
  owner, renamed over the file, and the directory fsynced. A SIGKILL can leave such a temp file behind;
  the next apply removes the ones it recognises while holding the lock.
- Missing parent directories are created; a failed apply removes the ones it
  created. Reset never removes directories (it cannot know who made them).
- Targets that are not files (the Windows environment) plug in through
  :class:`Store`: a target's ``store`` reads its content as bytes and writes new
  content (None: absent), returning an undo. Files are :data:`FILES`.
- ``at_start`` puts a new block first in its file (bash's ~/.bashrc, whose
  interactive guard would hide a block at the end); ``bom`` starts a file that
  setup creates with a UTF-8 BOM (Windows PowerShell 5.1 reads BOM-less files in
  the ANSI code page), and reset still deletes such a file.
- ``apply`` takes one lock path or several (taken in the order given: the
  per-user lock, then the machine-wide one for ``--system``). A lock file is
  opened without following symlinks; the machine-wide one is a
  :class:`PrivateLock`, in a directory only root can write.
"""

from __future__ import annotations

import difflib
import errno
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .blocks import HASH_MARKERS, UTF8_BOM, Markers, find_block, is_bom_only, remove_block, set_block
from .files import SHARED_FILE_LIMIT, FileRefused, read_regular
from .i18n import _

Edit = Callable[[bytes | None], bytes | None]


class WriteError(Exception):
    """A target that cannot be read or written; nothing was left changed."""

    def __init__(self, path: Path | str, reason: str, unrestored: tuple[str, ...] = ()):
        self.path = Path(path)
        self.reason = reason
        self.unrestored = unrestored
        message = _("{path}: {reason}").format(path=path, reason=reason)
        if unrestored:
            message += _("; could not restore {what}").format(what="; ".join(unrestored))
        super().__init__(message)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


class Store(Protocol):
    """Where a target's content lives: files, or (on Windows) the user environment."""

    def key(self, target: Target) -> object:
        """Identity of the stored content: two targets with the same key are one thing."""

    def read(self, target: Target) -> bytes | None:
        """The current content, None when absent; WriteError when unreadable."""

    def write(self, target: Target, new: bytes | None) -> Callable[[], None]:
        """Make the content new (None: absent), atomically; return a function undoing it."""

    def prepare(self, target: Target) -> None:
        """Called under the lock before reading for apply (e.g. clean up after a crash)."""


@dataclass(frozen=True)
class Target:
    """One place hfenv writes to.

    ``owned``: a whole file hfenv owns (setup writes the body as the file, reset
    deletes it), rather than a block in a file shared with the user.
    ``newline``: line ending for a block in a file that has none yet.
    ``mode``: permission bits of a file hfenv creates (None: 0o666 minus umask).
    ``at_start``: a new block goes first in the file rather than last.
    ``bom``: a file hfenv creates starts with a UTF-8 byte order mark.
    ``match_newline``: the block follows the file's line endings (PowerShell reads
    CRLF and LF alike); when False it is always written with ``newline``.
    ``body``: what goes there for an endpoint, ``body(endpoint, pairs)`` (None:
    nothing; set by hfenv.persist, which decides what each place holds).
    """

    kind: str
    path: Path
    markers: Markers = HASH_MARKERS
    owned: bool = False
    newline: bytes = b"\n"
    mode: int | None = None
    at_start: bool = False
    bom: bool = False
    match_newline: bool = True
    store: Store = field(default=None, compare=False)  # type: ignore[assignment]
    body: Callable[..., bytes | None] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))
        if self.store is None:
            object.__setattr__(self, "store", FILES)


@dataclass
class Change:
    """One target's planned or applied change; ``edit`` recomputes new from any old."""

    target: Target
    old: bytes | None
    new: bytes | None
    action: str  # "created" | "updated" | "unchanged" | "removed"
    edit: Edit = field(repr=False, compare=False)

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"


def _action(old: bytes | None, new: bytes | None) -> str:
    if old == new:
        return "unchanged"
    if old is None:
        return "created"
    if new is None:
        return "removed"
    return "updated"


def setup_edit(target: Target, body: bytes) -> Edit:
    """The function from a target's current content to its content after setup."""
    label = str(target.path)

    def edit(old: bytes | None) -> bytes | None:
        if target.owned:
            _check_owned(target, old)
            return body
        if old is None:
            head = UTF8_BOM if target.bom else b""
            return head + set_block(b"", body, target.markers, label, newline=target.newline)
        if is_bom_only(old):
            # An empty file (or a BOM alone) that exists: a separator before the block
            # tells reset to give it back rather than delete it.
            return old + target.newline + set_block(b"", body, target.markers, label, newline=target.newline)
        return set_block(old, body, target.markers, label, newline=target.newline, at_start=target.at_start,
                         match_file=target.match_newline)

    return edit


def reset_edit(target: Target) -> Edit:
    """The function from a target's current content to its content after reset."""
    label = str(target.path)

    def edit(old: bytes | None) -> bytes | None:
        if old is None:
            return None
        if target.owned and not isinstance(target.store, FileStore):
            return None  # the Windows environment keeps its own record of what hfenv set
        span = find_block(old, target.markers, label)
        if target.owned and span is None:
            return old  # a hand-written file of that name, without hfenv's block: the user's, untouched
        # An owned file holding the block and more: reset removes what hfenv wrote and keeps the rest.
        if span is not None and span[1] == len(old) and is_bom_only(old[:span[0]]):
            return None  # nothing but the block (after a BOM): setup created this file
        return remove_block(old, target.markers, label)

    return edit


def _check_owned(target: Target, old: bytes | None) -> None:
    """A file hfenv owns whole is replaced or deleted only while it holds hfenv's block and
    nothing else: a hand-written file of the same name is the user's (or the site's)."""
    if old is None or not isinstance(target.store, FileStore):
        return  # nothing there, or not a file (the Windows environment keeps its own record)
    span = find_block(old, target.markers, str(target.path))
    if span is None or old[span[1]:] or not is_bom_only(old[:span[0]]):
        raise WriteError(target.path, _("exists and holds more than hfenv's marked block, so it is not "
                                        "hfenv's to replace or delete; move it aside (or merge its lines "
                                        "by hand) and run hfenv again"))


def plan_edits(edits: Iterable[tuple[Target, Edit]]) -> list[Change]:
    """What the edits would change, each target read once (targets sharing a store key chain); writes nothing."""
    current: dict[object, bytes | None] = {}
    changes = []
    for target, edit in edits:
        key = (type(target.store), target.store.key(target))
        old = current[key] if key in current else target.store.read(target)
        new = edit(old)
        current[key] = new
        changes.append(Change(target, old, new, _action(old, new), edit))
    return changes


@dataclass(frozen=True)
class PrivateLock:
    """A lock file whose directory only its owner may write (the machine-wide lock).

    The directory is made 0755 when missing and refused when it is a symlink, is
    owned by another user than root or us, or is writable by group or others: in
    a directory anyone can write (/run/lock, /tmp), any user could hold the lock
    and block root, or plant a symlink that makes root create a file elsewhere.
    """

    path: Path


LockPaths = Path | str | PrivateLock | Sequence[Path | str | PrivateLock]


def apply(changes: Iterable[Change], lock_path: LockPaths, *, timeout: float = 30.0) -> list[Change]:
    """Apply a plan to every target or none, under an exclusive lock; return what was done.

    Each change is recomputed from the content read under the lock. If a write
    fails, the targets already written are restored and WriteError is raised.
    """
    changes = list(changes)
    paths = [lock_path] if isinstance(lock_path, (str, os.PathLike, PrivateLock)) else list(lock_path)
    with ExitStack() as locks:
        for path in paths:
            if isinstance(path, PrivateLock):
                locks.enter_context(_Lock(Path(path.path), timeout, private=True))
            else:
                locks.enter_context(_Lock(Path(path), timeout))
        for change in changes:
            change.target.store.prepare(change.target)
        fresh = plan_edits((c.target, c.edit) for c in changes)
        undo: list[Callable[[], None]] = []
        for change in fresh:
            if not change.changed:
                continue
            try:
                undo.append(change.target.store.write(change.target, change.new))
            except WriteError as exc:
                raise WriteError(exc.path, exc.reason, _rollback(undo)) from exc
            except BaseException:
                _rollback(undo)  # Ctrl-C or a bug mid-apply: still all or nothing
                raise
        return fresh


def _rollback(undo: list[Callable[[], None]]) -> tuple[str, ...]:
    failures = []
    for step in reversed(undo):
        try:
            step()
        except WriteError as exc:
            failures.append(str(exc))
    return tuple(failures)


# --- diff -------------------------------------------------------------------


def _text_lines(data: bytes) -> list[str]:
    # Split on b"\n" only (str.splitlines would also split on \r, \x0c, \u2028...).
    text = data.decode("utf-8", "backslashreplace")
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def render_diff(changes: Iterable[Change]) -> str:
    """A unified diff of every changed target; bytes that are not UTF-8 are shown escaped."""
    out = []
    for change in changes:
        if not change.changed:
            continue
        path = str(change.target.path)
        diff = difflib.unified_diff(
            _text_lines(change.old or b""),
            _text_lines(change.new or b""),
            fromfile="/dev/null" if change.old is None else path,
            tofile="/dev/null" if change.new is None else path,
        )
        for line in diff:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# --- files ------------------------------------------------------------------


def _temp_prefix(name: str) -> str:
    """Temp files are hidden: .bashrc -> .bashrc.hfenv-XXXXXXXX, hfenv.fish -> .hfenv.fish.hfenv-XXXXXXXX."""
    return (name if name.startswith(".") else "." + name) + ".hfenv-"


def _temp_pattern(name: str) -> re.Pattern:
    return re.compile(re.escape(_temp_prefix(name)) + r"[0-9a-f]{8}")


def _fsync_dir(path: str) -> None:
    """Make a rename or unlink in path durable; best effort, as the change itself is done."""
    if os.name == "nt":
        return  # Windows cannot open a directory for fsync; NTFS journals the rename
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories
    finally:
        os.close(fd)


class FileStore:
    """Regular files, edited through symlinks, replaced atomically."""

    def key(self, target: Target) -> object:
        return os.path.realpath(target.path)

    def _stat(self, target: Target) -> tuple[str, os.stat_result | None]:
        real = os.path.realpath(target.path)
        try:
            st = os.stat(real)
        except (FileNotFoundError, NotADirectoryError):
            return real, None
        except OSError as exc:
            raise WriteError(target.path, _reason(exc)) from exc
        if not stat.S_ISREG(st.st_mode):
            what = _("is a directory") if stat.S_ISDIR(st.st_mode) else _("is not a regular file")
            shown = f" ({real})" if real != os.path.abspath(target.path) else ""
            raise WriteError(target.path, _("{what}{real}; hfenv edits regular files only").format(
                what=what, real=shown))
        return real, st

    def read(self, target: Target) -> bytes | None:
        real, st = self._stat(target)
        if st is None:
            return None
        return self._read(target, real)

    @staticmethod
    def _read(target: Target, real: str) -> bytes:
        # Checked again on the open file: a FIFO swapped in after _stat must not hang the read.
        try:
            return read_regular(real, SHARED_FILE_LIMIT)
        except FileRefused as exc:
            reason = exc.reason if exc.too_big else _("{reason}; hfenv edits regular files only").format(
                reason=exc.reason)
            raise WriteError(target.path, reason) from exc
        except OSError as exc:
            raise WriteError(target.path, _reason(exc)) from exc

    def prepare(self, target: Target) -> None:
        """Remove temp files that a killed hfenv left next to the target."""
        real = os.path.realpath(target.path)
        directory, name = os.path.split(real)
        pattern = _temp_pattern(name)
        try:
            entries = os.listdir(directory)
        except OSError:
            return
        for entry in entries:
            if pattern.fullmatch(entry):
                try:
                    os.unlink(os.path.join(directory, entry))
                except OSError:
                    pass

    def write(self, target: Target, new: bytes | None) -> Callable[[], None]:
        real, st = self._stat(target)
        old = None
        if st is not None:
            old = self._read(target, real)
        created_dirs: list[str] = []
        try:
            if new is None:
                if st is not None:
                    os.unlink(real)
                    _fsync_dir(os.path.dirname(real))
            else:
                if st is None:
                    created_dirs = self._make_parents(target, real)
                self._replace(real, new, st, target.mode)
        except OSError as exc:
            self._remove_dirs(created_dirs)
            raise WriteError(target.path, _reason(exc)) from exc

        def undo() -> None:
            try:
                if old is None:
                    if os.path.lexists(real):
                        os.unlink(real)
                        _fsync_dir(os.path.dirname(real))
                    self._remove_dirs(created_dirs)
                else:
                    self._replace(real, old, st, target.mode)
            except OSError as exc:
                raise WriteError(target.path, _reason(exc)) from exc

        return undo

    @staticmethod
    def _make_parents(target: Target, real: str) -> list[str]:
        """Create the missing directories above real (not through a dangling symlink)."""
        missing = []
        directory = os.path.dirname(real)
        while not os.path.isdir(directory):
            if os.path.lexists(directory):
                raise NotADirectoryError(errno.ENOTDIR, _("{path} is not a directory").format(path=directory))
            missing.append(directory)
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
        if missing and os.path.islink(target.path):
            raise FileNotFoundError(errno.ENOENT, _("symlink points into a missing directory {path}").format(
                path=missing[-1]))
        created = []
        try:
            for directory in reversed(missing):
                os.mkdir(directory)
                created.append(directory)
                _fsync_dir(os.path.dirname(directory))
        except OSError:
            FileStore._remove_dirs(created)
            raise
        return created

    @staticmethod
    def _remove_dirs(created: list[str]) -> None:
        for directory in reversed(created):
            try:
                os.rmdir(directory)
            except OSError:
                break

    @staticmethod
    def _replace(real: str, data: bytes, st: os.stat_result | None, mode: int | None) -> None:
        """Write data to a temp file beside real, fsync, copy mode and owner, rename over real."""
        directory, name = os.path.split(real)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        if st is not None:
            perms = stat.S_IMODE(st.st_mode)
        elif mode is not None:
            perms = mode
        else:
            perms = None  # let the umask decide, as for any new file
        while True:
            temp = os.path.join(directory, _temp_prefix(name) + secrets.token_hex(4))
            try:
                fd = os.open(temp, flags, 0o600 if perms is not None else 0o666)
                break
            except FileExistsError:
                continue
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                if st is not None and hasattr(os, "fchown"):
                    try:
                        os.fchown(fd, st.st_uid, st.st_gid)
                    except PermissionError:
                        pass  # not root: the file stays ours, as any editor would leave it
                # After chown, which clears set-user-ID and set-group-ID bits.
                if perms is not None and os.name == "nt":
                    os.chmod(temp, perms)
                elif perms is not None:
                    os.fchmod(fd, perms)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, real)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise
        _fsync_dir(directory)


FILES = FileStore()


def write_atomic(path: Path | str, data: bytes) -> None:
    """Replace a regular file's content atomically (temp file, fsync, rename), making its
    directory if needed: the one file writer, also for hfenv's probe cache. WriteError."""
    FILES.write(Target("file", Path(path)), data)


# --- lock -------------------------------------------------------------------


class _Lock:
    """An exclusive lock on lock_path across processes (flock; msvcrt on Windows).

    The lock file itself is opened without following a symlink and must be a
    regular file; ``private`` also checks its directory (see :class:`PrivateLock`).
    """

    def __init__(self, path: Path, timeout: float, private: bool = False):
        self.path = path
        self.timeout = timeout
        self.private = private
        self.fd: int | None = None

    def __enter__(self) -> _Lock:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            if self.private and os.name != "nt":
                _private_dir(self.path.parent)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, flags, 0o600)
            if not stat.S_ISREG(os.fstat(self.fd).st_mode):
                self._close()
                raise WriteError(self.path, _("the lock is not a regular file; remove it and run hfenv again"))
        except OSError as exc:
            if exc.errno == errno.ELOOP or os.path.islink(self.path):
                raise WriteError(self.path, _("the lock is a symbolic link, which hfenv does not follow; "
                                              "remove it and run hfenv again")) from exc
            raise WriteError(self.path, _reason(exc)) from exc
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                _try_lock(self.fd)
                return self
            except BlockingIOError:
                pass
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN, errno.EDEADLK):
                    self._close()
                    raise WriteError(self.path, _reason(exc)) from exc
            if time.monotonic() >= deadline:
                self._close()
                raise WriteError(self.path, _("another hfenv still holds this lock after {seconds} s").format(
                    seconds=f"{self.timeout:g}"))
            time.sleep(0.01)

    def __exit__(self, *exc_info) -> None:
        self._close()

    def _close(self) -> None:
        if self.fd is None:
            return
        if sys.platform == "win32":
            import msvcrt

            try:
                os.lseek(self.fd, 0, os.SEEK_SET)
                msvcrt.locking(self.fd, msvcrt.LK_UNLCK, 1)
            except OSError:
                pass  # not locked (we failed to get it)
        os.close(self.fd)  # on Unix, closing releases the flock
        self.fd = None


def _private_dir(directory: Path) -> None:
    """Make directory (0755) if missing; refuse it unless only root or we can write it."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(directory, 0o755)
    except FileExistsError:
        pass
    st = os.lstat(directory)
    if stat.S_ISLNK(st.st_mode):
        raise WriteError(directory, _("is a symbolic link; the machine-wide lock's directory must be a real "
                                      "directory that only root can write"))
    if not stat.S_ISDIR(st.st_mode):
        raise WriteError(directory, _("is not a directory; the machine-wide lock needs one here"))
    if st.st_uid not in (0, os.geteuid()):
        raise WriteError(directory, _("is owned by uid {uid}, not root; the machine-wide lock's "
                                      "directory must be writable by root only (chown root, chmod 755)").format(
                                          uid=st.st_uid))
    if st.st_mode & 0o022:
        raise WriteError(directory, _("is writable by group or others (mode {mode}); "
                                      "the machine-wide lock's directory must be writable by root only "
                                      "(chmod 755)").format(mode=f"{stat.S_IMODE(st.st_mode):o}"))


def _try_lock(fd: int) -> None:
    """Lock fd without waiting; BlockingIOError or EACCES/EAGAIN when someone else holds it."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
