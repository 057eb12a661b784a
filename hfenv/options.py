"""The options of `hfenv shell` and `hfenv run`, declared once, without click.

hfenv/cli.py generates the click options of both commands from these tuples, and
hfenv/fast.py reads the same tuples to recognise the few command lines it may answer
before click is imported, so the two cannot disagree on a name or on which option is a flag.
The help texts are N_-marked here and translated where click shows them (cli.Option); the fast
path never shows help (it hands --help to click).
"""

from __future__ import annotations


def N_(message: str) -> str:
    """hfenv.i18n.N_'s twin: marks a help text for the catalog (cli.Option translates it where click shows
    it). Defined here so that the fast path, which reads this module, imports nothing more."""
    return message


class Option:
    """One `--name VALUE` option (or a `--name` flag when is_flag) and the parameter it fills."""

    __slots__ = ("flag", "dest", "metavar", "help", "is_flag", "click_only")

    def __init__(self, flag: str, dest: str, metavar: str | None, help: str, is_flag: bool = False,
                 click_only: bool = False):
        self.flag, self.dest, self.metavar, self.help, self.is_flag = flag, dest, metavar, help, is_flag
        # click_only: the fast path never answers a command line that uses it (a lab profile adds
        # variables only click's commands compute).
        self.click_only = click_only

    def __repr__(self) -> str:
        return f"Option({self.flag!r} -> {self.dest})"


SHELL = Option("--shell", "shell_name", "NAME", N_("Shell to emit code for (default: detected)."))
ENDPOINT = Option("--endpoint", "endpoint", "NAME|URL", N_("Endpoint to set (default: saved choice, else a probe)."))
CACHE_DIR = Option("--cache-dir", "cache_dir", "PATH", N_("Also set HF_HUB_CACHE to PATH."))
UNSET = Option("--unset", "unset", None, N_("Emit code that removes the variables instead."), is_flag=True)

PROFILE = Option("--profile", "profile_flag", "PATH|URL",
                 N_("Follow this lab profile (default: $HFENV_PROFILE, your config dir's, the machine's)."),
                 click_only=True)
NO_PROFILE = Option("--no-profile", "no_profile", None, N_("Ignore every lab profile."), is_flag=True, click_only=True)
PROFILE_OPTIONS = (PROFILE, NO_PROFILE)

# In the order `--help` lists them.
SHELL_OPTIONS = (SHELL, ENDPOINT, CACHE_DIR, UNSET, *PROFILE_OPTIONS)
RUN_OPTIONS = (ENDPOINT, CACHE_DIR, *PROFILE_OPTIONS)
