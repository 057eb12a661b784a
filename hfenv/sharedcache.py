"""A Hub cache several users write (a lab profile's `cache.shared = true`).

huggingface_hub creates files and lock files inside the cache; for a second user to do
the same, every directory must be group-writable and setgid (new files and directories
then belong to the directory's group, not to each user's own group). Gather the facts
(the file system, at the edge), judge them (pure), and create the directory when absent.
An existing directory is never changed: the message says what to chmod/chgrp.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .i18n import Msg, local

SHARED_MODE = 0o2775  # rwxrwsr-x: the group writes, new entries inherit the group


@dataclass(frozen=True)
class CacheFacts:
    path: str
    exists: bool
    is_dir: bool = False
    mode: int = 0
    gid: int | None = None
    group: str | None = None


def group_name(gid: int | None) -> str | None:
    if gid is None:
        return None
    try:
        import grp

        return grp.getgrgid(gid).gr_name
    except (ImportError, KeyError):
        return str(gid)


def gather(path: Path) -> CacheFacts:
    try:
        st = os.stat(path)
    except OSError:
        return CacheFacts(str(path), exists=False)
    return CacheFacts(str(path), True, stat.S_ISDIR(st.st_mode), stat.S_IMODE(st.st_mode), st.st_gid,
                      group_name(st.st_gid))


def judge(facts: CacheFacts) -> Msg | None:
    """What is wrong with a shared cache directory, and the command that fixes it; None when right.

    A Msg (data: setup's --json and doctor's facts keep the English text; shown with local()):
    "WHAT: FIX" when there is a fix to give (`split` takes it apart again)."""
    if not facts.exists:
        return Msg("{what}: {fix}", what=Msg("does not exist; create it"),
                   fix=f"mkdir -p {facts.path} && chmod 2775 {facts.path}")
    if not facts.is_dir:
        return Msg("is not a directory")
    writable = facts.mode & stat.S_IWGRP and facts.mode & stat.S_IXGRP
    setgid = facts.mode & stat.S_ISGID
    if writable and setgid:
        return None
    mode = f"{facts.mode:04o}"
    if not writable and not setgid:
        what = Msg("is not group-writable and setgid (mode {mode}, group {group})", mode=mode, group=facts.group)
    elif not writable:
        what = Msg("is not group-writable (mode {mode}, group {group})", mode=mode, group=facts.group)
    else:
        what = Msg("is not setgid (mode {mode}, group {group})", mode=mode, group=facts.group)
    return Msg("{what}: {fix}", what=what, fix=Msg("chmod 2775 {path} (and chgrp YOURGROUP {path} to share it "
                                                   "with another group than {group})", path=facts.path,
                                                   group=facts.group))


def split(problem: str) -> tuple[str, str | None]:
    """(what is wrong, the fix or None) of a judge() answer, in the user's language."""
    if isinstance(problem, Msg) and problem.template == "{what}: {fix}":
        return local(problem.kwargs["what"]), local(problem.kwargs["fix"])
    text = local(problem)
    what, sep, fix = text.partition(": ")
    return (what, fix) if sep else (text, None)


def ensure(path: Path) -> bool:
    """Create the directory (and its parents) group-writable and setgid; True when it was created."""
    if os.path.lexists(path):
        return False
    os.makedirs(path, exist_ok=True)
    os.chmod(path, SHARED_MODE)  # explicitly: the umask would take the group's write bit away
    return True


def report(path: Path, facts: CacheFacts, created: bool, problem: str | None) -> dict:
    return {"path": str(path), "created": created, "group": facts.group,
            "mode": f"{facts.mode:04o}" if facts.exists else None, "problem": problem}
