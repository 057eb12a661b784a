"""xonsh: values as Python string literals, `$NAME = value` lines."""

from __future__ import annotations

import re
from pathlib import Path

from .base import Msg, Platform, ProgramHost, Shell, StartupFile, check_value, config_of, home_of


class Xonsh(Shell):
    name = "xonsh"
    template = "xonsh.xsh"
    evaluates = "execx($({}))"
    syntax = "xonsh"
    indent_nests = True

    def quote(self, value: str) -> str:
        # A Python string literal; xonsh reads source as UTF-8, so only \ and ' need escapes.
        check_value(value)
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def line_patterns(self, name: str) -> tuple[re.Pattern, re.Pattern]:
        n = re.escape(name)
        return (re.compile(rf"^del\s+\${n}\b|\.pop\(\s*['\"]{n}['\"]"),
                re.compile(rf"^\${n}\s*=\s*(?P<value>.*)$"))

    def startup_files(self, platform: Platform, host: ProgramHost | None = None) -> list[StartupFile]:
        return [StartupFile(platform.home / ".xonshrc", Msg("read by interactive xonsh"))]

    def read_order(self, platform: Platform, root: Path) -> list[Path]:
        return [config_of(platform) / "xonsh" / "rc.xsh", home_of(platform) / ".xonshrc"]
