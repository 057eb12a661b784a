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
from .i18n import N_, Msg, _, local

# Exit statuses (SPEC 7, contract).
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_NO_ENDPOINT = 0, 1, 2, 3


def fail(message: str, status: int = EXIT_USAGE) -> click.exceptions.Exit:
    """Print a one-line reason to stderr and leave with `status` (a Msg is shown in the user's language)."""
    click.echo(f"hfenv: {local(message)}", err=True)
    raise click.exceptions.Exit(status)


def warn(message: str) -> None:
    click.echo("hfenv: " + _("warning: {message}").format(message=local(message)), err=True)


def reason(exc: BaseException) -> str:
    """An exception's message for the user: a Msg it carries in the user's language, else str(exc)."""
    args = getattr(exc, "args", ())
    if len(args) == 1 and isinstance(args[0], Msg):
        return args[0].local()
    return local(str(exc))  # an exception whose __str__ gives a Msg (hubcheck's ProxyError, Ambiguous)


# ---- help in the user's language ----------------------------------------


_WIDE = "\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
_NO_LINE_START = "，。、；：？！）」』》〉】”’"
_NO_LINE_END = "（「『《〈【“‘"


def _has_wide(text: str) -> bool:
    import re

    return re.search(f"[{_WIDE}]", text) is not None


def _cells(text: str) -> int:
    import re

    return len(text) + len(re.findall(f"[{_WIDE}]", text))


def wrap_cells(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> str:
    """click.formatting.wrap_text for text holding Chinese: lines filled up to `width` terminal cells
    (a Chinese character takes two, and a line may break between any two of them, not before
    closing punctuation, which may hang past the width, nor after opening punctuation); paragraphs
    are kept, and a paragraph starting with \\b keeps its lines."""
    import re

    # An opening bracket or quote travels with what follows it (a line does not end with one).
    token = re.compile(f"[{_NO_LINE_END}]*(?:[{_WIDE}]|[^\\s{_WIDE}]+)|\\s+")
    out = []
    for paragraph in re.split(r"\n\s*\n", text.strip("\n")):
        lines = paragraph.splitlines()
        if lines and lines[0].strip() == "\b":
            out.append("\n".join((initial_indent if i == 0 else subsequent_indent) + line.rstrip()
                                  for i, line in enumerate(lines[1:])))
            continue
        words = " ".join(line.strip() for line in lines)
        wrapped, line, spaced = [], initial_indent, False
        for piece in token.findall(words):
            if piece.isspace():
                spaced = True
                continue
            gap = " " if spaced and line.strip() else ""
            indent = initial_indent if not wrapped else subsequent_indent
            fits = _cells(line) + len(gap) + _cells(piece) <= width or piece in _NO_LINE_START
            if fits or line == indent:
                line += gap + piece
            else:
                wrapped.append(line)
                line = subsequent_indent + piece
            spaced = False
        wrapped.append(line)
        out.append("\n".join(wrapped))
    return "\n\n".join(out)


class Formatter(click.HelpFormatter):
    """click's help formatter; text holding Chinese is wrapped by terminal cells (wrap_cells)."""

    def write_text(self, text: str) -> None:
        if not _has_wide(text):
            return super().write_text(text)
        indent = " " * self.current_indent
        self.write(wrap_cells(text, self.width, indent, indent))
        self.write("\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        if not any(_has_wide(second) for _first, second in rows):
            return super().write_dl(rows, col_max, col_spacing)
        first_col = min(max(len(first) for first, _second in rows), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if len(first) <= first_col - col_spacing:
                self.write(" " * (first_col - len(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_cells(second, max(self.width - first_col - 2, 10)).splitlines() or [""]
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


class Context(click.Context):
    formatter_class = Formatter


class _TranslatedHelp:
    """A command's help, marked with N_() where it is declared, shown through _() when formatted."""

    context_class = Context

    def help_text(self) -> str | None:
        return _(self.help) if self.help else self.help

    def format_help_text(self, ctx, formatter):
        original, self.help = self.help, self.help_text()
        try:
            super().format_help_text(ctx, formatter)
        finally:
            self.help = original

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.short_help or not self.help:
            return super().get_short_help_str(limit)
        text = _(self.help)
        if text == self.help:
            return super().get_short_help_str(limit)
        # A translation: its first sentence, whole (click's shortening splits on spaces).
        first = text.partition("\n\n")[0].replace("\b\n", "").strip()
        return first.partition("。")[0].replace("\n", "")


class Command(_TranslatedHelp, click.Command):
    pass


class Group(_TranslatedHelp, click.Group):
    command_class = Command


class Option(click.Option):
    """An option whose help (N_-marked where declared) is shown through _()."""

    def get_help_record(self, ctx):
        original = self.help
        if original:
            self.help = _(original)
        try:
            return super().get_help_record(ctx)
        finally:
            self.help = original


def option(*decls, **attrs):
    """click.option with help in the user's language."""
    return click.option(*decls, cls=Option, **attrs)


def pick_shell(value: str | None):
    from . import detect, shells

    try:
        if value is not None:
            return shells.get(value)
        return detect.current_shell_entry()
    except shells.UnknownShell as exc:
        fail(reason(exc))


def resolve_endpoint(text: str, prof=None) -> Endpoint:
    """--endpoint's value: a name (the catalog's, the lab profile's, yours) or a URL."""
    from .endpoints import CATALOG, resolve

    if prof is not None and text in prof.urls:  # a name the lab profile defines (it wins, as in its order)
        known = {text: prof.urls[text]}
    else:  # a catalog name needs no config file: the fast path of `hfenv shell`
        known = CATALOG if text in CATALOG else config_endpoints()
    try:
        endpoint, warnings = resolve(text, known)
    except EndpointError as exc:
        fail(f"--endpoint: {reason(exc)}")
    for message in warnings:
        warn(message)
    return endpoint


def config_endpoints() -> dict[str, str]:
    """Catalog plus the user's endpoints; a damaged config file is a run-time failure."""
    from .endpoints import ConfigError, known_endpoints

    try:
        return known_endpoints()
    except ConfigError as exc:
        fail(reason(exc), EXIT_FAILURE)


def load_profile(flag: str | None, no_profile: bool, *, root=None, fast: bool = False):
    """The lab profile in effect (hfenv.profile.Loaded); a bad one is bad input (exit 2, file:line: key).

    `fast` (shell, run): a URL profile's local copy is read when there is one, without the network."""
    from . import profile as profile_mod

    located = profile_mod.locate(flag, no_profile, root=root)
    try:
        loaded = profile_mod.load(located, use_copy_first=fast)
    except profile_mod.ProfileError as exc:
        fail(_("profile: {reason}").format(reason=exc))
    if loaded.note and not fast:
        warn(_("profile: {reason}").format(reason=loaded.note))
    return loaded


def click_options(declared: tuple[options.Option, ...]):
    """The click options of a command, from hfenv/options.py (which hfenv/fast.py reads too)."""

    def decorate(function):
        for o in reversed(declared):
            # is_flag only when true: click 8.2+ reads an explicit is_flag=False as "the value may be
            # left out", so `hfenv shell --shell bash --endpoint` would quietly take the default.
            flag = {"is_flag": True} if o.is_flag else {}
            function = option(o.flag, o.dest, metavar=o.metavar, help=o.help, **flag)(function)
        return function

    return decorate


def profile_options(command):
    """--profile / --no-profile, shared by every command that follows the lab profile."""
    return click_options(options.PROFILE_OPTIONS)(command)


# Commands that load only when invoked: name -> attribute of hfenv.commands.
LAZY_COMMANDS = {name: name for name in ("completion", "detect", "doctor", "endpoints", "onboard", "probe", "reset",
                                         "setup")}
LAZY_COMMANDS["profile"] = "profile_group"


class Main(Group):
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
        if sys.stdout is None:  # started with stdout closed (`>&-`): what hfenv prints would vanish
            if sys.stderr is not None:
                sys.stderr.write("hfenv: " + _("standard output is closed, so nothing hfenv prints can be read; "
                                               "run it with stdout open") + "\n")
            sys.exit(EXIT_FAILURE)
        from . import i18n

        if i18n.language() == "zh-CN":  # click's own words (Usage:, Error: ...) too: hfenv/clicktext.py
            from . import clicktext

            clicktext.install()
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


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]},
             help=N_("Point Hugging Face clients at the fastest Hub endpoint that works."))
@click.version_option(__version__, "--version", prog_name="hfenv", cls=Option, help=N_("Show the version and exit."))
def main() -> None:
    pass


# ---- shell ---------------------------------------------------------------


class _ShellCommand(Command):
    """`hfenv shell`, whose help lists every shell's eval line from hfenv.shells (imported only for --help)."""

    def help_text(self) -> str | None:
        from .shells import eval_table

        return f"{super().help_text()}\n\n\b\n{eval_table()}"


@main.command(cls=_ShellCommand, help=N_("Print code that sets HF_ENDPOINT in the current shell."))
@click_options(options.SHELL_OPTIONS)
def shell(shell_name: str | None, endpoint: str | None, cache_dir: str | None, unset: bool,
          profile_flag: str | None, no_profile: bool) -> None:
    from . import render

    entry = pick_shell(shell_name)
    if unset and (endpoint is not None or cache_dir is not None):
        fail(_("--unset takes neither --endpoint nor --cache-dir"))
    if unset:
        pairs = render.unset_assignments()
    else:
        pairs = environment_pairs(endpoint, cache_dir, load_profile(profile_flag, no_profile, fast=True))
    try:
        code = render.render_shell_code(entry, pairs)
    except render.UnsafeValue as exc:
        fail(_("cannot write this for {shell}: {reason}").format(shell=entry.name, reason=reason(exc)))
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        code.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = code[exc.start:exc.end]
        fail(_("{text} cannot be written in this output's encoding ({encoding}); "
               "set PYTHONIOENCODING=utf-8 (and, in PowerShell, [Console]::OutputEncoding to UTF-8)")
             .format(text=repr(bad), encoding=encoding))
    click.echo(code, nl=False)


def environment_pairs(endpoint: str | None, cache_dir: str | None, loaded=None) -> list[tuple[str, str | None]]:
    """The (variable, value) pairs `hfenv shell` sets and `hfenv run` passes on.

    One place for both commands (and, through profile_pairs, for setup); `loaded` is the
    lab profile in effect (load_profile), whose variables join the list here. hfenv/fast.py
    computes the same list without click for the case it answers (no profile, nothing to warn
    about); tests/test_fast.py compares the two."""
    from . import xetpolicy

    prof = loaded.profile if loaded is not None else None
    if endpoint is not None:
        chosen, fallback, saved_xet = resolve_endpoint(endpoint, prof), False, False
    else:
        chosen, fallback, saved_xet = default_endpoint(prof)
    mode = "auto"
    if prof is not None:
        from .profile import xet_default

        mode = xet_default(prof)
    # No route is followed here: off/on decide alone, auto keeps what setup decided.
    disable_xet = xetpolicy.decide(mode, None, saved_xet).disable
    return profile_pairs(chosen, cache_dir, prof, fallback=fallback, disable_xet=disable_xet)


def profile_pairs(chosen: Endpoint, cache_dir: str | None, prof, *, fallback: bool = False,
                  disable_xet: bool = False) -> list[tuple[str, str | None]]:
    """HF_ENDPOINT, HF_HUB_CACHE (--cache-dir, else the profile's cache.hub), HF_HUB_DISABLE_XET
    when `disable_xet` (setup --xet's decision), then the profile's other variables for this
    endpoint (hfenv.profile.profile_variables). Flags override the profile."""
    from . import render

    if cache_dir is None and prof is not None and prof.cache_hub:
        cache_dir = prof.cache_hub
    extra = []
    if prof is not None:
        from .profile import profile_variables

        extra = profile_variables(prof, chosen.url, fallback=fallback)
    try:
        return render.assignments(chosen.url, cache_dir, extra, disable_xet=disable_xet)
    except render.UnsafeValue as exc:
        fail(_("--cache-dir: {reason}").format(reason=reason(exc)))


# ---- run -------------------------------------------------------------------


@main.command(context_settings={"allow_interspersed_args": False}, help=N_(
    "Run CMD with the variables `hfenv shell` would set.\n\n"
    "\b\nhfenv run -- jupyter lab\nhfenv run --endpoint hf-mirror -- python train.py --epochs 3\n\n"
    "CMD replaces hfenv (same PID) on Linux and macOS; on Windows hfenv waits and passes its exit code on. "
    "Exit status: CMD's; 127 when CMD is not found, 126 when it cannot be run."))
@click_options(options.RUN_OPTIONS)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED, metavar="-- CMD [ARG]...")
def run(endpoint: str | None, cache_dir: str | None, profile_flag: str | None, no_profile: bool,
        command: tuple[str, ...]) -> None:
    import os

    from . import runner

    loaded = load_profile(profile_flag, no_profile, fast=True)
    env = runner.command_environment(os.environ, environment_pairs(endpoint, cache_dir, loaded))
    try:
        status = runner.run_command(command, env)
    except runner.CannotStart as exc:
        fail(reason(exc), exc.status)
    raise click.exceptions.Exit(status)


def default_endpoint(prof=None) -> tuple[Endpoint, bool, bool]:
    """Saved choice, else a fresh cached probe, else a probe now (of the profile's candidates, by
    its rule). Returns (endpoint, fallback, disable_xet): fallback when nothing is usable and the
    profile allows ModelScope (the official Hub's URL stays in HF_ENDPOINT); disable_xet is the
    decision setup --xet saved with the choice (a probe's result carries none)."""
    from .endpoints import ConfigError, read_config

    try:
        config = read_config()
    except ConfigError as exc:
        fail(reason(exc), EXIT_FAILURE)
    if config.chosen is not None:
        return config.chosen, False, config.disable_xet
    report = cached_or_new_probe(prof)
    if report.chosen is None:
        return (*nothing_usable(prof, _("run `hfenv probe` for details")), False)
    return report.chosen, False, False


def nothing_usable(prof, advice: str) -> tuple[Endpoint, bool]:
    """No endpoint answered: exit 3, or, when the profile says so, the ModelScope fallback (said aloud)."""
    from .endpoints import CATALOG, OFFICIAL

    if prof is None or not prof.modelscope:
        fail(_("no usable Hugging Face endpoint found; {advice}").format(advice=advice), EXIT_NO_ENDPOINT)
    warn(_("no usable Hugging Face endpoint found; the lab profile's [fallback] modelscope = true: "
           "setting USE_MODELSCOPE_HUB=1 and VLLM_USE_MODELSCOPE=true (ModelScope instead of the Hub)"))
    return Endpoint(OFFICIAL, CATALOG[OFFICIAL]), True


def cached_or_new_probe(prof=None):
    """A fresh cached probe of the candidates (the profile's, else the usual ones), else a probe now;
    its choice made by the profile's rule."""
    from . import probe as probe_mod

    # Only a probe of the same candidates stands in for one: not a `probe --only` experiment.
    candidates = profile_candidates(prof) or all_candidates()
    first = prof is not None and prof.choose == "first"
    trust_profile_ca(prof)  # before the cache: its fingerprint covers the CA variables
    report = probe_mod.load_cache(candidates=candidates)
    if report is None:
        click.echo("hfenv: " + _("probing endpoints (no fresh saved result)..."), err=True)
        report = run_probe(candidates, wait_all=first)
        probe_mod.save_cache(report)
    return by_profile_rule(report, prof)


def by_profile_rule(report, prof):
    """The report with its choice made by the profile's rule (`first`: first usable in order)."""
    if prof is None or prof.choose != "first":
        return report
    from dataclasses import replace

    from .probe import choose_first

    best = choose_first(report.results, [c.name for c in report.candidates] or prof.order)
    return replace(report, chosen=Endpoint(best.name, best.url) if best else None)


def profile_candidates(prof) -> list[Endpoint]:
    """The profile's candidates in its order (names it defines, else the catalog and yours); [] when it names none."""
    if prof is None or not prof.order:
        return []
    known = config_endpoints() if any(name not in prof.urls for name in prof.order) else {}
    return [Endpoint(name, url) for name, url in prof.candidates(known)]


def trust_profile_ca(prof) -> None:
    """hfenv's own checks trust the profile's CA bundle, as the clients it sets up will."""
    import os

    if prof is not None and prof.ca_bundle:
        os.environ["SSL_CERT_FILE"] = os.environ["REQUESTS_CA_BUNDLE"] = prof.ca_bundle


def run_probe(candidates: list[Endpoint], **kwargs):
    """The probe, or a one-line message (exit 2) when a proxy variable it needs cannot be parsed."""
    from . import probe as probe_mod
    from .hubcheck import ProxyError

    try:
        return probe_mod.run_probe(candidates, **kwargs)
    except ProxyError as exc:
        fail(reason(exc))


def all_candidates(extra: tuple[str, ...] = (), only: bool = False,
                   base: list[Endpoint] | None = None, prof=None) -> list[Endpoint]:
    """The known endpoints (or `base`, a profile's candidates), plus each --candidate; only those with `only`.
    A --candidate may name an endpoint the lab profile `prof` defines."""
    from .endpoints import parse_candidate

    known = config_endpoints()
    candidates = [] if only else list(base) if base else [Endpoint(n, u) for n, u in known.items()]
    known = {**known, **(prof.urls if prof is not None else {})}
    for text in extra:
        try:
            endpoint, warnings = parse_candidate(text, known)
        except EndpointError as exc:
            fail(f"--candidate {text!r}: {reason(exc)}")
        for message in warnings:
            warn(message)
        # A later --candidate replaces an earlier one of the same name or URL.
        candidates = [c for c in candidates if endpoint.name != c.name and endpoint.url != c.url] + [endpoint]
    return candidates
