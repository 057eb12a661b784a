"""hfenv's own messages in the user's language: `_()` and `ngettext()` over Python's gettext.

The language (`language()`): HFENV_LANG=en|zh-CN wins; else the first non-empty of LC_ALL,
LC_MESSAGES, LANG (POSIX precedence) starting with `zh` means zh-CN; else English. Chinese is
used only when stdout and stderr can encode it (a cp1252 Windows console gets English, not
mojibake). JSON output stays English: commands that print JSON call `use_english()` first.

Catalogs: hfenv/locale/zh_CN/LC_MESSAGES/hfenv.po is the source (the sdist ships it). The wheel
build compiles it to hfenv.mo (setup.py's build_py hook, `compile_po`); a source checkout or an
editable install has no .mo (nothing binary is committed) and compiles the .po in memory on the
first lookup. Nothing here is loaded (gettext included) before the first message is looked up,
and English never loads gettext or a catalog at all.
"""

from __future__ import annotations

import os
import sys

DOMAIN = "hfenv"
LOCALE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")
_SAMPLE = "镜像端点"  # what a stream must be able to encode for Chinese to be shown
_translations = None  # the loaded catalog, once a message has been looked up
_forced: str | None = None  # use_english()


def _normalise(value: str) -> str:
    return "zh-CN" if value.strip().lower().startswith("zh") else "en"


def requested(environ=None) -> str:
    """The language the environment asks for: "en" or "zh-CN" (streams not considered)."""
    environ = os.environ if environ is None else environ
    chosen = environ.get("HFENV_LANG", "").strip()
    if chosen:
        return _normalise(chosen)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "")
        if value:
            return _normalise(value)
    return "en"


def can_show_chinese(streams=None) -> bool:
    """Whether every output stream can encode Chinese (a cp1252/latin-1 console cannot)."""
    for stream in (sys.stdout, sys.stderr) if streams is None else streams:
        encoding = getattr(stream, "encoding", None) if stream is not None else None
        if not encoding:
            continue
        try:
            _SAMPLE.encode(encoding)
        except (UnicodeError, LookupError):
            return False
    return True


def language(environ=None, streams=None) -> str:
    """The language hfenv speaks now: "en" or "zh-CN"."""
    if _forced:
        return _forced
    lang = requested(environ)
    if lang == "zh-CN" and not can_show_chinese(streams):
        return "en"
    return lang


def use_english() -> None:
    """From now on, English (JSON output, whose messages are for scripts)."""
    global _forced, _translations
    _forced, _translations = "en", None


def reset() -> None:
    """Forget the chosen language and catalog (tests, and after use_english)."""
    global _forced, _translations
    _forced, _translations = None, None


# ---- .po -> .mo ----

def parse_po(text: str) -> dict:
    """A .po file's entries: {msgid: msgstr} and {(msgid, msgid_plural): [msgstr...]}; fuzzy ones left out."""
    import ast

    entries: dict = {}
    entry: dict = {}
    field = None
    fuzzy = False

    def flush():
        nonlocal entry, fuzzy
        if "msgid" in entry and not fuzzy:
            if "msgid_plural" in entry:
                forms = [entry[k] for k in sorted((k for k in entry if k.startswith("msgstr[")),
                                                  key=lambda k: int(k[7:-1]))]
                entries[(entry["msgid"], entry["msgid_plural"])] = forms
            else:
                entries[entry["msgid"]] = entry.get("msgstr", "")
        entry, fuzzy = {}, False

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            flush()
            field = None
            continue
        if line.startswith("#"):
            if line.startswith("#,") and "fuzzy" in line:
                if "msgid" in entry:
                    flush()
                fuzzy = True
            continue
        if line.startswith('"'):
            if field is None:
                raise ValueError(f"line {number}: a string outside an entry")
            entry[field] += ast.literal_eval(line)
            continue
        keyword, _sep, rest = line.partition(" ")
        if keyword == "msgid" and "msgid" in entry:
            flush()
        if keyword not in ("msgid", "msgid_plural", "msgstr") and not keyword.startswith("msgstr["):
            raise ValueError(f"line {number}: unknown keyword {keyword!r}")
        field = keyword
        entry[field] = ast.literal_eval(rest.strip())
    flush()
    return entries


def compile_po(text: str) -> bytes:
    """The GNU .mo bytes for a .po file's text (what msgfmt writes, without hash table)."""
    import struct

    pairs = []
    for key, value in parse_po(text).items():
        if isinstance(key, tuple):
            if not any(value):
                continue
            pairs.append(((key[0] + "\0" + key[1]).encode(), "\0".join(value).encode()))
        elif value or key == "":
            pairs.append((key.encode(), value.encode()))
    pairs.sort()
    count = len(pairs)
    originals_at = 7 * 4
    translations_at = originals_at + count * 8
    data_at = translations_at + count * 8
    originals, translations, blob = [], [], b""
    for msgid, _msgstr in pairs:
        originals.append((len(msgid), data_at + len(blob)))
        blob += msgid + b"\0"
    for _msgid, msgstr in pairs:
        translations.append((len(msgstr), data_at + len(blob)))
        blob += msgstr + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, count, originals_at, translations_at, 0, data_at)
    table = b"".join(struct.pack("<2I", *p) for p in originals + translations)
    return header + table + blob


def _load():
    """The zh_CN catalog (only ever loaded for Chinese: English needs neither gettext nor a file)."""
    import gettext
    import io

    folder = os.path.join(LOCALE_DIR, "zh_CN", "LC_MESSAGES")
    mo = os.path.join(folder, DOMAIN + ".mo")
    po = os.path.join(folder, DOMAIN + ".po")
    try:
        if os.path.exists(mo) and (not os.path.exists(po) or os.path.getmtime(mo) >= os.path.getmtime(po)):
            with open(mo, "rb") as handle:
                return gettext.GNUTranslations(handle)
        with open(po, encoding="utf-8") as handle:
            return gettext.GNUTranslations(io.BytesIO(compile_po(handle.read())))
    except (OSError, ValueError, SyntaxError):
        return gettext.NullTranslations()  # a broken catalog must not break the tool: English


def _catalog():
    """The catalog in effect, or False for English (the messages as written)."""
    global _translations
    if _translations is None:
        _translations = _load() if language() == "zh-CN" else False
    return _translations


def _(message: str) -> str:
    """`message` in the user's language (English when there is no translation)."""
    catalog = _catalog()
    return catalog.gettext(message) if catalog else message


def N_(message: str) -> str:
    """Marks a message for the catalog where it is defined; `_()` translates it where it is shown."""
    return message


def ngettext(singular: str, plural: str, count: int) -> str:
    catalog = _catalog()
    if catalog:
        return catalog.ngettext(singular, plural, count)
    return singular if count == 1 else plural


class Msg(str):
    """A message that is also data: its value is the English text (JSON, caches, comparisons,
    logs see English, whatever the locale), and `local()` renders it in the user's language.

    For text that is stored, compared or passed between layers before it is shown (a check's
    detail, a probe result): `Msg("HTTP {code} from {host}", code=503, host=h)`. Arguments that
    are Msgs themselves are localised with it; other arguments are inserted as they are.
    Concatenation with `+` keeps both sides (`detail += Msg("; ...")`); an f-string or
    `.format()` over a Msg gives plain English text, so compose with Msg templates instead.
    """

    __slots__ = ("template", "args", "kwargs")

    def __new__(cls, template: str, *args, **kwargs):
        self = super().__new__(cls, template.format(*args, **kwargs) if args or kwargs else template)
        self.template, self.args, self.kwargs = template, args, kwargs
        return self

    def local(self) -> str:
        """The message in the user's language (English text when that is English)."""
        args = [local(a) for a in self.args]
        kwargs = {k: local(v) for k, v in self.kwargs.items()}
        text = _(self.template) if any(c.isalpha() for c in self.template) else self.template
        try:
            return text.format(*args, **kwargs) if args or kwargs else text
        except (IndexError, KeyError, ValueError):  # a translation that lost a placeholder: English
            return self.template.format(*args, **kwargs) if args or kwargs else self.template

    def __add__(self, other):
        return Msg("{}{}", self, other) if isinstance(other, str) else NotImplemented

    def __radd__(self, other):
        return Msg("{}{}", other, self) if isinstance(other, str) else NotImplemented

    def __reduce__(self):
        return (_rebuild, (self.template, self.args, self.kwargs))


def _rebuild(template, args, kwargs):
    return Msg(template, *args, **kwargs)


def local(value):
    """What to show for `value`: a Msg in the user's language; anything else as it is."""
    return value.local() if isinstance(value, Msg) else value
