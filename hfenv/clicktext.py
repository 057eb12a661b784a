"""click's own words ("Usage:", "Options", "Error: ...", "No such option ...") in hfenv's language.

click looks its messages up with the standard library's `gettext.gettext`/`ngettext` (domain
"messages", language from LANGUAGE/LC_ALL/LC_MESSAGES/LANG) at the moment it formats them.
hfenv cannot lean on that: its language may come from HFENV_LANG, it falls back to English on a
console that cannot show Chinese, and it must not set LANGUAGE or LANG (`hfenv run` hands its
environment to the command it starts). So:

- hfenv/locale/zh_CN/LC_MESSAGES/click.po holds click's msgids with their Chinese, compiled to
  click.mo in the wheel exactly like hfenv.po (setup.py's build_py hook compiles every .po there;
  a source tree compiles it in memory on first use, as hfenv.i18n does).
- `install()` (called by cli.Main.main when hfenv speaks Chinese) rebinds the names `_` and
  `ngettext` in click's own modules to `gettext`/`ngettext` below, which look in that catalog
  while hfenv speaks Chinese (hfenv.i18n.language(): `use_english()` for --json turns them back
  to English) and otherwise call the standard library's functions, as click would have. Only
  click's modules are touched, only names still bound to the standard library's functions, and
  nothing at all happens under English.

tests/test_i18n_cli.py checks that every msgid of click.po still exists in the installed click
(an upgrade that rewords one is noticed) and that every message click can show for hfenv's
commands has a translation.
"""

from __future__ import annotations

import os
import sys

from . import i18n

DOMAIN = "click"
# click's modules that word messages hfenv's commands can show (help, usage errors, bad values,
# completion scripts). Those not imported yet are left alone (importing them costs time in every
# `hfenv shell` that goes through click): a command that imports one later calls install() again.
MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui", "utils",
           "shell_completion")
_catalog_cache = None
_originals: dict = {}


def _load():
    import gettext
    import io

    folder = os.path.join(i18n.LOCALE_DIR, "zh_CN", "LC_MESSAGES")
    mo, po = os.path.join(folder, DOMAIN + ".mo"), os.path.join(folder, DOMAIN + ".po")
    try:
        if os.path.exists(mo) and (not os.path.exists(po) or os.path.getmtime(mo) >= os.path.getmtime(po)):
            with open(mo, "rb") as handle:
                return gettext.GNUTranslations(handle)
        with open(po, encoding="utf-8") as handle:
            return gettext.GNUTranslations(io.BytesIO(i18n.compile_po(handle.read())))
    except (OSError, ValueError, SyntaxError):
        return None  # a broken catalog must not break the tool: click's English


def _catalog():
    """The click catalog while hfenv speaks Chinese, else None."""
    global _catalog_cache
    if i18n.language() != "zh-CN":
        return None
    if _catalog_cache is None:
        _catalog_cache = _load() or False
    return _catalog_cache or None


def gettext(message: str) -> str:
    catalog = _catalog()
    if catalog is None:
        return _originals["gettext"](message)
    return catalog.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    catalog = _catalog()
    if catalog is None:
        return _originals["ngettext"](singular, plural, n)
    return catalog.ngettext(singular, plural, n)


def install() -> list[str]:
    """Make click's loaded modules look their messages up here; returns the modules changed (idempotent)."""
    import gettext as stdlib

    _originals.setdefault("gettext", stdlib.gettext)
    _originals.setdefault("ngettext", stdlib.ngettext)
    changed = []
    for name in MODULES:
        module = sys.modules.get(f"click.{name}")
        if module is None:
            continue
        names = vars(module)
        if names.get("_") is stdlib.gettext:
            module._ = gettext
            changed.append(name)
        if names.get("ngettext") is stdlib.ngettext:
            module.ngettext = ngettext
            changed.append(name)
    return sorted(set(changed))
