"""Click commands only: parse, call the plain functions, print."""

from __future__ import annotations

import json
import sys

import click

from . import __version__
from .endpoints import Endpoint, EndpointError

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
        if value:
            return shells.get(value)
        return detect.current_shell_entry()
    except shells.UnknownShell as exc:
        fail(str(exc))


def resolve_endpoint(text: str) -> Endpoint:
    from .endpoints import known_endpoints, resolve

    try:
        endpoint, warnings = resolve(text, known_endpoints())
    except EndpointError as exc:
        fail(f"--endpoint: {exc}")
    for message in warnings:
        warn(message)
    return endpoint


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="hfenv")
def main() -> None:
    """Point Hugging Face clients at the fastest Hub endpoint that works."""


# ---- detect --------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def detect(as_json: bool) -> None:
    """Show the OS, the shell, its startup files and the current HF_ENDPOINT."""
    from . import detect as detect_mod

    info = detect_mod.detect()
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
    else:
        click.echo(detect_mod.format_detection(info))


# ---- shell ---------------------------------------------------------------


@main.command()
@click.option("--shell", "shell_name", metavar="NAME", help="Shell to emit code for (default: detected).")
@click.option("--endpoint", metavar="NAME|URL", help="Endpoint to set (default: saved choice, else a probe).")
@click.option("--cache-dir", metavar="PATH", help="Also set HF_HUB_CACHE to PATH.")
@click.option("--unset", is_flag=True, help="Emit code that removes the variables instead.")
def shell(shell_name: str | None, endpoint: str | None, cache_dir: str | None, unset: bool) -> None:
    """Print code that sets HF_ENDPOINT in the current shell.

    \b
    eval "$(hfenv shell)"            bash, zsh, sh, ksh
    hfenv shell | source             fish
    eval `hfenv shell`               tcsh
    hfenv shell | Invoke-Expression  PowerShell
    """
    from . import render

    entry = pick_shell(shell_name)
    if unset and (endpoint is not None or cache_dir is not None):
        fail("--unset takes neither --endpoint nor --cache-dir")
    try:
        if unset:
            pairs = render.unset_assignments()
        else:
            chosen = default_endpoint() if endpoint is None else resolve_endpoint(endpoint)
            pairs = render.assignments(chosen.url, cache_dir)
        code = render.render_shell_code(entry, pairs)
    except render.UnsafeValue as exc:
        fail(f"cannot write this for {entry.name}: {exc}")
    click.echo(code, nl=False)


def default_endpoint() -> Endpoint:
    """Saved choice, else a fresh cached probe, else a probe now."""
    from .endpoints import saved_choice

    try:
        saved = saved_choice()
    except EndpointError as exc:
        fail(str(exc), EXIT_FAILURE)
    if saved is not None:
        return saved
    report = cached_or_new_probe()
    if report.chosen is None:
        fail("no usable Hugging Face endpoint found; run `hfenv probe` for details", EXIT_NO_ENDPOINT)
    return report.chosen


def cached_or_new_probe():
    from . import probe as probe_mod

    report = probe_mod.load_cache()
    if report is not None:
        return report
    click.echo("hfenv: probing endpoints (no fresh saved result)...", err=True)
    report = probe_mod.run_probe(all_candidates())
    probe_mod.save_cache(report)
    return report


def all_candidates(extra: tuple[str, ...] = (), only: bool = False) -> list[Endpoint]:
    from .endpoints import known_endpoints, parse_candidate

    known = known_endpoints()
    candidates = [] if only else [Endpoint(n, u) for n, u in known.items()]
    for text in extra:
        try:
            endpoint, warnings = parse_candidate(text, known)
        except EndpointError as exc:
            fail(f"--candidate {text!r}: {exc}")
        for message in warnings:
            warn(message)
        candidates = [c for c in candidates if c.name != endpoint.name] + [endpoint]
    return candidates


# ---- probe ---------------------------------------------------------------


@main.command()
@click.option("--candidate", "candidates", multiple=True, metavar="NAME=URL",
              help="Add a candidate for this run (repeatable).")
@click.option("--only", is_flag=True, help="Probe only the --candidate endpoints given.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=None, metavar="SECONDS",
              help="Time budget for the whole probe.")
@click.option("--samples", type=click.IntRange(min=1, max=20), default=None, metavar="N",
              help="Measurements per candidate; the median is reported.")
@click.option("--all", "wait_all", is_flag=True,
              help="Wait for every candidate within the budget instead of deciding early.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def probe(candidates: tuple[str, ...], only: bool, timeout: float | None, samples: int | None,
          wait_all: bool, as_json: bool) -> None:
    """Probe the Hub and its mirrors, and choose the fastest usable one."""
    from . import probe as probe_mod

    if only and not candidates:
        fail("--only needs at least one --candidate")
    chosen = all_candidates(candidates, only)
    kwargs = {k: v for k, v in (("timeout", timeout), ("samples", samples)) if v is not None}
    progress = (lambda line: click.echo(line, err=True)) if sys.stderr.isatty() else None
    report = probe_mod.run_probe(chosen, wait_all=wait_all, progress=progress, **kwargs)
    probe_mod.save_cache(report)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(probe_mod.format_table(report))
    raise click.exceptions.Exit(EXIT_OK if report.chosen else EXIT_NO_ENDPOINT)


# ---- endpoints -----------------------------------------------------------


@main.group(invoke_without_command=True)
@click.pass_context
def endpoints(ctx: click.Context) -> None:
    """List the known endpoints; add or remove your own."""
    if ctx.invoked_subcommand is None:
        from .endpoints import CATALOG, user_endpoints

        try:
            mine = user_endpoints()
        except EndpointError as exc:
            fail(str(exc), EXIT_FAILURE)
        for name, url in CATALOG.items():
            click.echo(f"{name:<16} {url}  (built-in)")
        for name, url in sorted(mine.items()):
            click.echo(f"{name:<16} {url}")


@endpoints.command("add")
@click.argument("name")
@click.argument("url")
def endpoints_add(name: str, url: str) -> None:
    """Add (or replace) your own endpoint NAME at URL."""
    from .endpoints import add_endpoint

    try:
        endpoint, warnings = add_endpoint(name, url)
    except EndpointError as exc:
        fail(str(exc))
    for message in warnings:
        warn(message)
    click.echo(f"added {endpoint.name} = {endpoint.url}")


@endpoints.command("remove")
@click.argument("name")
def endpoints_remove(name: str) -> None:
    """Remove your own endpoint NAME."""
    from .endpoints import remove_endpoint

    try:
        url = remove_endpoint(name)
    except EndpointError as exc:
        fail(str(exc))
    click.echo(f"removed {name} ({url})")
