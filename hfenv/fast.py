"""The program's entry point, and a path to `hfenv shell`/`hfenv run` that runs before click loads.

`eval "$(hfenv shell)"` runs in every shell that starts; importing click alone costs about
four times `python -c pass`. This module answers a strict, listed subset of command lines
without click and hands every other one to click unchanged:

    shell  [--shell NAME] [--endpoint NAME|URL] [--cache-dir PATH] [--unset]
    run    [--endpoint NAME|URL] [--cache-dir PATH] -- CMD [ARG]...

each option at most once, as `--opt value` or `--opt=value`, with a value that does not
start with '-'. The option names and which one is a flag come from hfenv/options.py, the
same declaration the click commands are generated from. The answer is computed by the same
functions the click commands call (endpoints.resolve, render.*, runner.*); anything that
would print a warning or an error, and anything this path is unsure of, goes to click,
which then does the whole job itself (nothing has been printed or run yet):
help, unknown or repeated options, `--shell` missing (detection needs shellingham), no
--endpoint and no saved choice (a probe), a damaged config, shell completion, Windows, and
whenever a lab profile could apply (`$HFENV_PROFILE`, a profile.toml in hfenv's config
directory or in /etc/hfenv/).

HFENV_NO_FAST_PATH=1 turns this path off; it exists for the differential tests and the benchmark.
"""

from __future__ import annotations

import os
import sys

from .options import RUN_OPTIONS, SHELL_OPTIONS

APP_NAME = "hfenv"
SYSTEM_PROFILE = "/etc/hfenv/profile.toml"


def main(prog_name: str | None = None) -> None:
    """The console script and `python -m hfenv`: the fast path if it applies, else click."""
    if not os.environ.get("HFENV_NO_FAST_PATH"):
        answer(sys.argv[1:])
    from .cli import main as click_main

    click_main(prog_name=prog_name)


def app_dir(environ=None, platform: str = sys.platform, windows: bool = os.name == "nt") -> str:
    """click.get_app_dir("hfenv") without importing click (tests/test_fast.py checks they agree)."""
    environ = os.environ if environ is None else environ
    if windows:
        folder = environ.get("APPDATA")
        return os.path.join(os.path.expanduser("~") if folder is None else folder, APP_NAME)
    if platform == "darwin":
        return os.path.join(os.path.expanduser("~/Library/Application Support"), APP_NAME)
    return os.path.join(environ.get("XDG_CONFIG_HOME", os.path.expanduser("~/.config")), APP_NAME)


def parse(argv: list[str]) -> tuple[str, dict, list[str]] | None:
    """(command, option values by parameter name, CMD for run) for the listed subset, else None."""
    if not argv or argv[0] not in ("shell", "run"):
        return None
    command, rest = argv[0], argv[1:]
    options = {o.flag: o for o in (SHELL_OPTIONS if command == "shell" else RUN_OPTIONS) if not o.click_only}
    values: dict = {o.dest: (False if o.is_flag else None) for o in options.values()}
    seen: set[str] = set()
    i = 0
    while i < len(rest):
        token = rest[i]
        if token == "--" and command == "run":
            cmd = rest[i + 1:]
            return (command, values, cmd) if cmd else None
        flag, eq, value = token.partition("=")
        option = options.get(flag)
        if option is None or flag in seen:
            return None
        seen.add(flag)
        if option.is_flag:
            if eq:
                return None
            values[option.dest] = True
            i += 1
            continue
        if not eq:
            if i + 1 >= len(rest):
                return None
            value = rest[i + 1]
            i += 1
        if value.startswith("-"):
            return None
        values[option.dest] = value
        i += 1
    return (command, values, []) if command == "shell" else None


def profile_may_apply(environ=None) -> bool:
    """Whether a lab profile could add variables: then click's commands decide."""
    environ = os.environ if environ is None else environ
    if "HFENV_PROFILE" in environ:
        return True
    from .endpoints import config_path

    here = app_dir(environ)
    # click's directory as it is, and as hfenv's config file uses it (a relative XDG_CONFIG_HOME ignored).
    places = (os.path.join(here, "profile.toml"), str(config_path(here).parent / "profile.toml"), SYSTEM_PROFILE)
    return any(os.path.lexists(p) for p in places)


def click_needed(environ=None) -> bool:
    """Conditions outside argv under which only click answers correctly."""
    environ = os.environ if environ is None else environ
    if os.name == "nt" or sys.stdout is None:
        return True
    # Shell completion: click answers when _HFENV_COMPLETE (named after the program) is set.
    if any(k.startswith("_") and k.endswith("_COMPLETE") for k in environ):
        return True
    return profile_may_apply(environ)


def answer(argv: list[str]) -> None:
    """Answer argv and end the process, or return (having printed nothing) for click to answer it."""
    try:
        parsed = parse(argv)
        if parsed is None or click_needed():
            return
        command, values, cmd = parsed
        if command == "shell":
            code = shell_code(**values)
            if code is None:
                return
        else:
            pairs = environment_pairs(values["endpoint"], values["cache_dir"])
            if pairs is None:
                return
    except Exception:  # anything unexpected: click's path gives the message and the status
        return
    if command == "shell":
        write_and_exit(code)
    run(cmd, pairs)


def environment_pairs(endpoint: str | None, cache_dir: str | None):
    """cli.environment_pairs() for the case without a profile, or None when it would print anything."""
    from . import render
    from .endpoints import CATALOG, config_path, known_endpoints, read_config, resolve

    disable_xet = False
    if endpoint is None:
        config = read_config(config_path(app_dir()))
        if config.chosen is None:
            return None  # a probe: click's path
        # With no profile, setup --xet's saved decision stands (cli.environment_pairs, mode auto).
        chosen, disable_xet = config.chosen, config.disable_xet
    else:
        known = CATALOG if endpoint in CATALOG else known_endpoints(read_config(config_path(app_dir())))
        chosen, warnings = resolve(endpoint, known)
        if warnings:
            return None
    return render.assignments(chosen.url, cache_dir, disable_xet=disable_xet)


def shell_code(shell_name: str | None, endpoint: str | None, cache_dir: str | None, unset: bool) -> str | None:
    """What `hfenv shell` prints, or None when click's path must answer."""
    from . import render, shells

    if shell_name is None:
        return None  # detection needs shellingham
    entry = shells.get(shell_name)
    if unset:
        if endpoint is not None or cache_dir is not None:
            return None
        pairs = render.unset_assignments()
    else:
        pairs = environment_pairs(endpoint, cache_dir)
        if pairs is None:
            return None
    code = render.render_shell_code(entry, pairs)
    code.encode(getattr(sys.stdout, "encoding", None) or "utf-8")  # else click's path explains
    return code


def write_and_exit(code: str) -> None:
    """Print the code and end at once (no interpreter teardown, as cli.QUICK_EXIT does)."""
    try:
        sys.stdout.write(code)
        sys.stdout.flush()
    except OSError as exc:
        silence_stdout()
        sys.stderr.write(cannot_write_message(exc) + "\n")
        sys.stderr.flush()
        sys.exit(1)
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(0)
    os._exit(0)


def run(cmd: list[str], pairs) -> None:
    """Exec CMD (POSIX) with the variables; a command that cannot start goes to click's path."""
    from . import runner

    env = runner.command_environment(os.environ, pairs)
    try:
        runner.run_command(cmd, env)
    except runner.CannotStart:
        return  # click's path tries again and reports it


def cannot_write_message(exc: OSError) -> str:
    """The one line for output that cannot be written (a full disk, a closed pipe); both paths use it."""
    from .i18n import _

    return "hfenv: " + _("cannot write the output: {reason}").format(reason=exc.strerror or exc)


def silence_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's last flush at exit is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
