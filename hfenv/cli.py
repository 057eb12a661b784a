"""Click commands only: parse, call the plain functions, print.

This module holds the group and the commands that run in shell startup files and cron
lines (`shell`, `run`, `completion`); the others live in hfenv/commands.py and load only
when invoked, so that the fast paths pay for click and the rendering code alone.
"""

from __future__ import annotations

import sys

import click

from . import __version__, options
from .endpoints import Endpoint, EndpointError
from .fast import cannot_write_message, silence_stdout

# Exit statuses (SPEC 7, contract).
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_NO_ENDPOINT = 0, 1, 2, 3


def fail(message: str, status: int = EXIT_USAGE) -> "click.exceptions.Exit":
    """Print a one-line reason to stderr and leave with `status`."""
    click.echo(f"hfenv: {message}", err=True)
    raise click.exceptions.Exit(status)


def warn(message: str) -> None:
    click.echo(f"hfenv: warning: {message}", err=True)


def pick_shell(value: str | None):
    from . import detect, shells

    try:
        if value is not None:
            return shells.get(value)
        return detect.current_shell_entry()
    except shells.UnknownShell as exc:
        fail(str(exc))


def resolve_endpoint(text: str) -> Endpoint:
    from .endpoints import CATALOG, resolve

    # A catalog name needs no config file: the fast path of `hfenv shell`.
    known = CATALOG if text in CATALOG else config_endpoints()
    try:
        endpoint, warnings = resolve(text, known)
    except EndpointError as exc:
        fail(f"--endpoint: {exc}")
    for message in warnings:
        warn(message)
    return endpoint


def config_endpoints() -> dict[str, str]:
    """Catalog plus the user's endpoints; a damaged config file is a run-time failure."""
    from .endpoints import ConfigError, known_endpoints

    try:
        return known_endpoints()
    except ConfigError as exc:
        fail(str(exc), EXIT_FAILURE)


# Commands that load only when invoked: name -> attribute of hfenv.commands.
LAZY_COMMANDS = {name: name for name in ("completion", "detect", "doctor", "endpoints", "probe", "reset", "setup")}


class Main(click.Group):
    """The command group, plus one rule for every command: output that cannot be written
    (a full disk, a closed pipe) is one line on stderr and exit 1, not a traceback.

    Commands in LAZY_COMMANDS are imported the first time click asks for them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str):
        if name in LAZY_COMMANDS and name not in self.commands:
            from . import commands

            self.add_command(getattr(commands, LAZY_COMMANDS[name]), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        result = super().invoke(ctx)
        self.finished = ctx.invoked_subcommand  # reached only when the command returned normally
        return result

    def main(self, *args, **kwargs):
        self.finished = None
        try:
            return super().main(*args, **kwargs)
        except SystemExit as exc:
            # The program itself (arguments from sys.argv, not a test's CliRunner), after a command
            # that holds nothing to clean up: skip the interpreter's teardown.
            if exc.code in (0, None) and self.finished in QUICK_EXIT and not args and "args" not in kwargs:
                _exit_now()
            raise
        except OSError as exc:
            if not _raised_writing_stdout(exc):
                raise
            silence_stdout()
            click.echo(cannot_write_message(exc), err=True)
            sys.exit(EXIT_FAILURE)


# Commands after which the process may end without tearing the interpreter down: with click
# loaded that teardown is 6-8 ms, a seventh of `hfenv shell`'s time, paid in every shell that starts.
QUICK_EXIT = frozenset({"shell"})


def _exit_now() -> None:
    """End the process at once, output flushed; on a flush error, fall back to the normal exit."""
    import os

    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(EXIT_OK)


def _raised_writing_stdout(exc: BaseException) -> bool:
    """Whether the error came from writing or flushing stdout (click.echo's `file`)."""
    streams = {id(s) for s in (sys.stdout, sys.__stdout__) if s is not None}
    streams |= {id(getattr(s, "buffer", None)) for s in (sys.stdout, sys.__stdout__) if s is not None}
    out = _fileno(sys.__stdout__)
    tb = exc.__traceback__
    while tb is not None:
        file = tb.tb_frame.f_locals.get("file")
        if file is not None and (id(file) in streams or (out is not None and _fileno(file) == out)):
            return True
        tb = tb.tb_next
    return False


def _fileno(stream) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="hfenv")
def main() -> None:
    """Point Hugging Face clients at the fastest Hub endpoint that works."""


# ---- shell ---------------------------------------------------------------


class _ShellCommand(click.Command):
    """`hfenv shell`, whose help lists every shell's eval line from hfenv.shells (imported only for --help)."""

    def format_help_text(self, ctx, formatter):
        from .shells import eval_table

        short, self.help = self.help, f"{self.help}\n\n\b\n{eval_table()}"
        try:
            super().format_help_text(ctx, formatter)
        finally:
            self.help = short


def click_options(declared: tuple[options.Option, ...]):
    """The click options of a command, from hfenv/options.py (which hfenv/fast.py reads too)."""

    def decorate(function):
        for o in reversed(declared):
            function = click.option(o.flag, o.dest, metavar=o.metavar, help=o.help, is_flag=o.is_flag)(function)
        return function

    return decorate


@main.command(cls=_ShellCommand)
@click_options(options.SHELL_OPTIONS)
def shell(shell_name: str | None, endpoint: str | None, cache_dir: str | None, unset: bool) -> None:
    """Print code that sets HF_ENDPOINT in the current shell."""
    from . import render

    entry = pick_shell(shell_name)
    if unset and (endpoint is not None or cache_dir is not None):
        fail("--unset takes neither --endpoint nor --cache-dir")
    pairs = render.unset_assignments() if unset else environment_pairs(endpoint, cache_dir)
    try:
        code = render.render_shell_code(entry, pairs)
    except render.UnsafeValue as exc:
        fail(f"cannot write this for {entry.name}: {exc}")
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        code.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = code[exc.start:exc.end]
        fail(f"{bad!r} cannot be written in this output's encoding ({encoding}); "
             "set PYTHONIOENCODING=utf-8 (and, in PowerShell, [Console]::OutputEncoding to UTF-8)")
    click.echo(code, nl=False)


def environment_pairs(endpoint: str | None, cache_dir: str | None) -> list[tuple[str, str | None]]:
    """The (variable, value) pairs `hfenv shell` sets and `hfenv run` passes on.

    One place for both commands; the lab profile's variables join the list here. hfenv/fast.py
    computes the same list without click for the case it answers (no profile, nothing to warn
    about); tests/test_fast.py compares the two."""
    from . import render

    chosen = default_endpoint() if endpoint is None else resolve_endpoint(endpoint)
    try:
        return render.assignments(chosen.url, cache_dir)
    except render.UnsafeValue as exc:
        fail(f"--cache-dir: {exc}")


# ---- run -------------------------------------------------------------------


@main.command(context_settings={"allow_interspersed_args": False})
@click_options(options.RUN_OPTIONS)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED, metavar="-- CMD [ARG]...")
def run(endpoint: str | None, cache_dir: str | None, command: tuple[str, ...]) -> None:
    """Run CMD with the variables `hfenv shell` would set.

    \b
    hfenv run -- jupyter lab
    hfenv run --endpoint hf-mirror -- python train.py --epochs 3

    CMD replaces hfenv (same PID) on Linux and macOS; on Windows hfenv waits and
    passes its exit code on. Exit status: CMD's; 127 when CMD is not found, 126
    when it cannot be run.
    """
    import os

    from . import runner

    env = runner.command_environment(os.environ, environment_pairs(endpoint, cache_dir))
    try:
        status = runner.run_command(command, env)
    except runner.CannotStart as exc:
        fail(str(exc), exc.status)
    raise click.exceptions.Exit(status)


def default_endpoint() -> Endpoint:
    """Saved choice, else a fresh cached probe, else a probe now."""
    from .endpoints import saved_choice

    from .endpoints import ConfigError

    try:
        saved = saved_choice()
    except ConfigError as exc:
        fail(str(exc), EXIT_FAILURE)
    if saved is not None:
        return saved
    report = cached_or_new_probe()
    if report.chosen is None:
        fail("no usable Hugging Face endpoint found; run `hfenv probe` for details", EXIT_NO_ENDPOINT)
    return report.chosen


def cached_or_new_probe():
    from . import probe as probe_mod

    # Only a probe of the usual candidates stands in for one: not a `probe --only` experiment.
    candidates = all_candidates()
    report = probe_mod.load_cache(candidates=candidates)
    if report is not None:
        return report
    click.echo("hfenv: probing endpoints (no fresh saved result)...", err=True)
    report = run_probe(candidates)
    probe_mod.save_cache(report)
    return report


def run_probe(candidates: list[Endpoint], **kwargs):
    """The probe, or a one-line message (exit 2) when a proxy variable it needs cannot be parsed."""
    from . import probe as probe_mod
    from .hubcheck import ProxyError

    try:
        return probe_mod.run_probe(candidates, **kwargs)
    except ProxyError as exc:
        fail(str(exc))


def all_candidates(extra: tuple[str, ...] = (), only: bool = False) -> list[Endpoint]:
    from .endpoints import parse_candidate

    known = config_endpoints()
    candidates = [] if only else [Endpoint(n, u) for n, u in known.items()]
    for text in extra:
        try:
            endpoint, warnings = parse_candidate(text, known)
        except EndpointError as exc:
            fail(f"--candidate {text!r}: {exc}")
        for message in warnings:
            warn(message)
        # A later --candidate replaces an earlier one of the same name or URL.
        candidates = [c for c in candidates if endpoint.name != c.name and endpoint.url != c.url] + [endpoint]
    return candidates
