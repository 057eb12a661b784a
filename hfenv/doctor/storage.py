"""Section "storage": the cache directories huggingface_hub uses, writable or not, and their free space."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePath

from ..i18n import N_, _
from .client import ClientFacts
from .context import Context, Section
from .report import Finding, Findings
from .values import human_size, pretty_path

LOW_DISK = 10 * 1024**3  # a 7B model in 16 bits is about 15 GB


@dataclass(frozen=True)
class CacheDir:
    """One directory huggingface_hub writes to, and the nearest existing folder that decides for it."""

    name: str  # HF_HOME, HF_HUB_CACHE or HF_XET_CACHE
    path: str
    exists: bool
    checked: str  # the path, or its nearest existing parent
    free_bytes: int | None  # None: unknown
    writable: bool
    device: int | None = None  # to warn once per disk; not in --json

    def to_json(self) -> dict:
        return {"name": self.name, "path": self.path, "exists": self.exists, "checked": self.checked,
                "free_bytes": self.free_bytes, "writable": self.writable}


def storage_facts(client: dict) -> list[CacheDir]:
    out, seen = [], set()
    for name, key in (("HF_HOME", "hf_home"), ("HF_HUB_CACHE", "hub_cache"), ("HF_XET_CACHE", "xet_cache")):
        path = client.get(key)
        if not path or path in seen:
            continue
        seen.add(path)
        existing = Path(path)
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        try:
            free, device = shutil.disk_usage(existing).free, os.stat(existing).st_dev
        except OSError:
            free, device = None, None
        out.append(CacheDir(name, path, Path(path).exists(), str(existing), free,
                            os.access(existing, os.W_OK | os.X_OK), device))
    return out


def judge_storage(entries: list[CacheDir], home: PurePath) -> list[Finding]:
    out = Findings("storage")
    told_devices = set()
    for entry in entries:
        shown = pretty_path(entry.path, home)
        free = entry.free_bytes
        state = "" if entry.exists else _("not created yet; ")
        if not entry.writable:
            message = _("{name} {path} cannot be written: downloads fail") if entry.exists else \
                _("{name} {path} cannot be written (nor created: {parent} is read-only): downloads fail")
            out.error("not-writable", message.format(name=entry.name, path=shown,
                                                     parent=pretty_path(entry.checked, home)),
                      _("fix its permissions, or point {name} at a writable directory").format(name=entry.name))
            continue
        if free is None:
            free_text = _("free space unknown")
        elif entry.exists:
            free_text = _("{size} free").format(size=human_size(free))
        else:
            free_text = _("{size} free in {path}").format(size=human_size(free), path=pretty_path(entry.checked, home))
        if free is not None and free < LOW_DISK and entry.device not in told_devices:
            told_devices.add(entry.device)
            out.warn("low-disk", _("{name} {path}: only {free}; a 7B model needs about 15 GB").format(
                name=entry.name, path=shown, free=free_text),
                     _("free space, or point {name} at a larger disk (`hfenv setup --cache-dir PATH`)").format(
                         name=entry.name))
        else:
            out.ok("path", _("{name} {path} ({state}{free})").format(name=entry.name, path=shown, state=state,
                                                                     free=free_text))
    return out.items


def gather(ctx: Context) -> list[CacheDir]:
    return storage_facts(ctx.of(ClientFacts).answer)


def judge(ctx: Context, facts: list[CacheDir]) -> list[Finding]:
    return judge_storage(facts, ctx.home)


def record(facts: list[CacheDir]) -> dict:
    return {"storage": [entry.to_json() for entry in facts]}


SECTION = Section("storage", N_("Cache and disk"), gather, judge, record)
