"""Reading files hfenv did not write for itself: regular files only, and never more than a cap.

A startup file, a token file or /etc/os-release can be anything a user (or an
attacker) put there: a FIFO that never delivers a byte, /dev/zero that never
ends, a symlink to either, a 50 MB log pasted by mistake. ``read_regular`` opens
without blocking (a FIFO opens at once with O_NONBLOCK), asks the open file
what it is (fstat: no window between checking and reading), and reads at most
``limit + 1`` bytes, so a file that grows meanwhile is still caught.
"""

from __future__ import annotations

import os
import stat

# Startup files, git config: a real one is a few KiB; a few MiB is already odd.
SHARED_FILE_LIMIT = 4 * 1024 * 1024
# Token files, /etc/os-release, /proc files: a few hundred bytes in practice.
SMALL_FILE_LIMIT = 64 * 1024


def _(message: str) -> str:
    """hfenv.i18n's `_`, imported only when a message is worded (`hfenv shell` reads its config through here)."""
    from .i18n import _ as translate

    return translate(message)


class FileRefused(OSError):
    """A file hfenv will not read: not a regular file, or larger than the cap.

    An OSError, so that code which already skips unreadable files skips these too;
    code that reports problems catches it to say why.
    """

    def __init__(self, path, reason: str, too_big: bool = False):
        super().__init__(reason)
        self.path = str(path)
        self.reason = reason
        self.strerror = reason
        self.too_big = too_big  # a regular file over the cap (else: not a regular file)

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return _("is a directory")
    if stat.S_ISFIFO(mode):
        return _("is a FIFO (named pipe)")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("is a device")
    if stat.S_ISSOCK(mode):
        return _("is a socket")
    return _("is not a regular file")


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n // 1024} KiB"


def _too_big(limit: int) -> str:
    return _("is larger than {size}; hfenv does not read files that big here").format(size=_size(limit))


def read_regular(path, limit: int = SHARED_FILE_LIMIT) -> bytes:
    """The bytes of a regular file (symlinks followed); FileRefused for anything else or anything bigger."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(path, _("{what}; hfenv reads regular files only").format(what=_kind(st.st_mode)))
        if st.st_size > limit:
            raise FileRefused(path, _too_big(limit), too_big=True)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, limit + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise FileRefused(path, _too_big(limit), too_big=True)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_start(path, size: int) -> bytes:
    """The first `size` bytes of a regular file (a script's #! line); FileRefused for anything else."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(path, _("{what}; hfenv reads regular files only").format(what=_kind(st.st_mode)))
        return os.read(fd, size)
    finally:
        os.close(fd)


def read_text(path, limit: int = SMALL_FILE_LIMIT) -> str:
    """read_regular, decoded as UTF-8 (bad bytes replaced, a BOM dropped)."""
    return read_regular(path, limit).decode("utf-8", "replace").removeprefix("\ufeff")
