"""elvish: single quotes with one escape, `set-env` lines, rc.elv."""

from __future__ import annotations

import re
from pathlib import Path

from .base import Msg, Platform, ProgramHost, Shell, StartupFile, check_value, config_of, home_of


class Elvish(Shell):
    name = "elvish"
    template = "elvish.elv"
    evaluates = "eval ({} | slurp)"
    syntax = "elvish"
    indent_nests = True

    def quote(self, value: str) -> str:
        # Elvish single quotes have one escape only: '' for a quote.
        check_value(value)
        return "'" + value.replace("'", "''") + "'"

    def line_patterns(self, name: str) -> tuple[re.Pattern, re.Pattern]:
        n = re.escape(name)
        return (re.compile(rf"^(?:unset-env\s+{n}|del\s+E:{n})\b"),
                re.compile(rf"^(?:set-env\s+{n}\s+|set\s+E:{n}\s*=\s*)(?P<value>.*)$"))

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        path = platform.config_home() / "elvish" / "rc.elv"
        return [StartupFile(path, Msg("read by interactive elvish"))]

    def read_order(self, platform: Platform, root: Path) -> list[Path]:
        return [config_of(platform) / "elvish" / "rc.elv", home_of(platform) / ".elvish" / "rc.elv"]
