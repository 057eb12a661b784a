"""The commands that look at or change the machine (detect, doctor, probe, endpoints, setup, reset), and completion.

They load only when invoked (cli.Main's lazy table), so that `hfenv shell` and `hfenv run`,
which run in shell startup files and cron lines, import neither them nor what they need.
"""

from __future__ import annotations

import json
import os
import sys

import click

from .cli import (
    EXIT_FAILURE,
    EXIT_NO_ENDPOINT,
    EXIT_OK,
    EXIT_USAGE,
    Command,
    Group,
    all_candidates,
    cached_or_new_probe,
    fail,
    load_profile,
    option,
    pick_shell,
    profile_options,
    profile_pairs,
    reason,
    resolve_endpoint,
    run_probe,
    warn,
)
from .endpoints import Endpoint, EndpointError
from .i18n import N_, _, local, use_english


class Seconds(click.ParamType):
    """A time limit: a finite number of seconds from 0.1 to an hour (inf, nan and 1e308 are bad input)."""

    name = "seconds"
    low, high = 0.1, 3600.0

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(_("{value} is not a number of seconds").format(value=repr(value)), param, ctx)
        if not self.low <= seconds <= self.high:  # also false for nan
            self.fail(_("{value} is not a number of seconds from {low} to {high}").format(
                value=repr(value), low=f"{self.low:g}", high=f"{self.high:g}"), param, ctx)
        return seconds


# ---- detect --------------------------------------------------------------


@click.command(cls=Command, help=N_(
    "Show the OS, the shell, its startup files and the current HF_ENDPOINT."))
@option("--json", "as_json", is_flag=True, help=N_("Print the result as JSON."))
def detect(as_json: bool) -> None:
    if as_json:
        use_english()  # JSON is for scripts: its messages stay English (SPEC 9)
    from . import detect as detect_mod

    info = detect_mod.detect()
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
    else:
        click.echo(detect_mod.format_detection(info))


# ---- doctor ----------------------------------------------------------------


@click.command(cls=Command, help=N_(
    "Show where HF_ENDPOINT is set and what Hugging Face clients here will really do.\n"
    "\n"
    "Exit status 0 when nothing needs action (warnings alone do not count), "
    "1 when something breaks downloads or leaves shells disagreeing."))
@option("--json", "as_json", is_flag=True,
        help=N_('Print the findings as JSON (schema: the README section "hfenv doctor").'))
@option("--offline", is_flag=True, help=N_("Make no network request at all."))
@option("--download", is_flag=True,
        help=N_("Also fetch one tiny file with huggingface_hub into a temporary cache (the end-to-end proof)."))
@option("--check-token", is_flag=True,
        help=N_("Check the token's validity on a third-party endpoint too (this sends the token there)."))
@option("--timeout", type=Seconds(), default=5.0, show_default=True, metavar="SECONDS",
        help=N_("Time limit of each network check."))
@option("--python", "python", metavar="PATH",
        help=N_("Ask this Python what huggingface_hub will use (default: the one running hfenv)."))
@option("--shell", "shell_name", metavar="NAME", help=N_("The shell you use (default: detected)."))
@option("--candidate", "candidates", multiple=True, metavar="NAME=URL",
        help=N_("Probe this endpoint too when the current one is not usable (repeatable)."))
@option("--only", is_flag=True, help=N_("Probe only the --candidate endpoints when looking for another one."))
def doctor(as_json: bool, offline: bool, download: bool, check_token: bool, timeout: float,
           python: str | None, shell_name: str | None, candidates: tuple[str, ...], only: bool) -> None:
    if as_json:
        use_english()  # JSON is for scripts: its messages stay English (SPEC 9)
    from . import doctor as doctor_mod

    if only and not candidates:
        fail(_("--only needs at least one --candidate"))
    entry = pick_shell(shell_name) if shell_name is not None else None
    # Progress lines go through the report's redaction inside diagnose() too.
    progress = (lambda line: click.echo(line, err=True)) if sys.stderr.isatty() and not as_json else None
    options = doctor_mod.Options(
        offline=offline, download=download, check_token=check_token, timeout=timeout,
        python=python or sys.executable, shell=entry.name if entry else None,
        candidates=all_candidates(candidates, only) if (candidates or only) else None, progress=progress,
    )
    report = doctor_mod.diagnose(options)
    # Redacted before serializing: every string value on its own, so the JSON stays JSON.
    if as_json:
        text = json.dumps(report.to_safe_json(), indent=2, ensure_ascii=False)
    else:
        text = report.redact(doctor_mod.format_report(report))
    click.echo(text)
    raise click.exceptions.Exit(report.exit_status)


# ---- probe ---------------------------------------------------------------


@click.command(cls=Command, help=N_(
    "Probe the Hub and its mirrors, and choose the fastest usable one.\n"
    "\n"
    "With a lab profile: its candidates (plus each --candidate), chosen by its rule."))
@option("--candidate", "candidates", multiple=True, metavar="NAME=URL",
        help=N_("Add a candidate for this run (repeatable)."))
@option("--only", is_flag=True, help=N_("Probe only the --candidate endpoints given."))
@option("--timeout", type=Seconds(), default=None, metavar="SECONDS",
        help=N_("Time budget for the whole probe."))
@option("--samples", type=click.IntRange(min=1, max=20), default=None, metavar="N",
        help=N_("Measurements per candidate; the median is reported."))
@option("--all", "wait_all", is_flag=True,
        help=N_("Wait for every candidate within the budget instead of deciding early."))
@option("--json", "as_json", is_flag=True, help=N_("Print the result as JSON."))
@profile_options
def probe(candidates: tuple[str, ...], only: bool, timeout: float | None, samples: int | None,
          wait_all: bool, as_json: bool, profile_flag: str | None, no_profile: bool) -> None:
    if as_json:
        use_english()  # JSON is for scripts: its messages stay English (SPEC 9)
    from . import probe as probe_mod
    from .cli import by_profile_rule, profile_candidates, trust_profile_ca

    if only and not candidates:
        fail(_("--only needs at least one --candidate"))
    prof = load_profile(profile_flag, no_profile).profile
    chosen = all_candidates(candidates, only, base=profile_candidates(prof), prof=prof)
    trust_profile_ca(prof)
    kwargs = {k: v for k, v in (("timeout", timeout), ("samples", samples)) if v is not None}
    progress = (lambda line: click.echo(line, err=True)) if sys.stderr.isatty() else None
    first = prof is not None and prof.choose == "first"
    report = run_probe(chosen, wait_all=wait_all or first, progress=progress, **kwargs)
    probe_mod.save_cache(report)
    report = by_profile_rule(report, prof)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(probe_mod.format_table(report))
    raise click.exceptions.Exit(EXIT_OK if report.chosen else EXIT_NO_ENDPOINT)


# ---- endpoints -----------------------------------------------------------


@click.group(cls=Group, invoke_without_command=True, help=N_(
    "List the known endpoints; add or remove your own."))
@click.pass_context
def endpoints(ctx: click.Context) -> None:
    if ctx.invoked_subcommand is None:
        from .endpoints import CATALOG, ConfigError, user_endpoints

        try:
            mine = user_endpoints()
        except ConfigError as exc:
            fail(reason(exc), EXIT_FAILURE)
        for name, url in CATALOG.items():
            click.echo(f"{name:<16} {url}  " + _("(built-in)"))
        for name, url in sorted(mine.items()):
            click.echo(f"{name:<16} {url}")


@endpoints.command("add", help=N_(
    "Add (or replace) your own endpoint NAME at URL.\n"
    "\n"
    "When NAME is the saved choice, the choice follows it to the new URL."))
@click.argument("name")
@click.argument("url")
def endpoints_add(name: str, url: str) -> None:
    from .endpoints import ConfigError, add_endpoint
    from .writers import WriteError

    _need_home()
    try:
        endpoint, warnings = add_endpoint(name, url)
    except EndpointError as exc:
        fail(reason(exc))
    except (ConfigError, WriteError) as exc:
        fail(reason(exc), EXIT_FAILURE)
    for message in warnings:
        warn(message)
    forget_probe_result()
    click.echo(_("added {name} = {url}").format(name=endpoint.name, url=endpoint.url))


@endpoints.command("remove", help=N_(
    "Remove your own endpoint NAME.\n"
    "\n"
    "Refused (exit 1) while NAME is the saved choice: choose another with `hfenv setup` first."))
@click.argument("name")
def endpoints_remove(name: str) -> None:
    from .endpoints import ConfigError, remove_endpoint
    from .writers import WriteError

    _need_home()
    try:
        url = remove_endpoint(name)
    except EndpointError as exc:
        fail(reason(exc))
    except (ConfigError, WriteError) as exc:
        fail(reason(exc), EXIT_FAILURE)
    forget_probe_result()
    click.echo(_("removed {name} ({url})").format(name=name, url=url))


def forget_probe_result() -> None:
    """The cached probe no longer covers the endpoint list: the next shell/setup probes anew."""
    from .probe import cache_path

    try:
        cache_path().unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        warn(_("could not remove the cached probe result {path}: {reason}").format(path=cache_path(),
                                                                                  reason=exc.strerror))


# ---- setup and reset -------------------------------------------------------

_SHELL_HELP = N_("Shell whose startup files to use (repeatable; default: the detected shell).")
_SYSTEM_HELP = N_("Machine-wide, for shared servers: /etc/profile.d/hfenv.sh and fish's conf.d, "
                "or the Windows machine environment. Needs root/admin.")


@click.command(cls=Command, help=N_(
    "Choose the endpoint, save the choice, and with --persist write it for good.\n"
    "\n"
    "Never prompts. Undo what it wrote with `hfenv reset` (same --shell, --system, --git)."))
@option("--persist", is_flag=True, help=N_("Also write it where new shells and programs will see it."))
@option("--endpoint", metavar="NAME|URL", help=N_("Endpoint to use (default: a fresh probe result, else a probe)."))
@option("--shell", "shell_names", multiple=True, metavar="NAME", help=_SHELL_HELP)
@option("--cache-dir", metavar="PATH", help=N_("Also set HF_HUB_CACHE to PATH (HF_HOME, and so the token, stay)."))
@option("--dry-run", is_flag=True, help=N_("Print a unified diff of every change; write nothing."))
@option("--json", "as_json", is_flag=True, help=N_("Report what was done as JSON on stdout."))
@option("--system", is_flag=True, help=_SYSTEM_HELP)
@option("--git", "use_git", is_flag=True,
        help=N_("Route `git clone https://huggingface.co/...` through the mirror (git's url.<mirror>.insteadOf)."))
@option("--take-over", is_flag=True,
        help=N_("Comment out lines in startup files that would override hfenv's block (reset puts them back)."))
@option("--root", type=click.Path(exists=True, file_okay=False), metavar="DIR",
        help=N_("With --system: write the machine-wide files under DIR instead of / (image builds, chroots)."))
@option("--xet", type=click.Choice(("auto", "on", "off")), default=None,
        help=N_("HF_HUB_DISABLE_XET=1 in the block: auto when Xet storage cannot be reached but plain "
        "HTTP works; on never; off always. Default: the lab profile's network.xet, else auto."))
@profile_options
def setup(persist: bool, endpoint: str | None, shell_names: tuple[str, ...], cache_dir: str | None,
          dry_run: bool, as_json: bool, system: bool, use_git: bool, take_over: bool, root: str | None,
          xet: str | None, profile_flag: str | None, no_profile: bool) -> None:
    if as_json:
        use_english()  # JSON is for scripts: its messages stay English (SPEC 9)
    from . import persist as persist_mod
    from . import render
    from .blocks import BlockError
    from .endpoints import ConfigError
    from .writers import WriteError

    platform, host = _machine()
    _need_home(platform)
    _use_root(root, system)
    chosen_shells = _chosen_shells(shell_names, required=persist)
    prof = load_profile(profile_flag, no_profile).profile
    use_git = use_git or (prof is not None and prof.git_route)
    if endpoint is not None:
        chosen, fallback = resolve_endpoint(endpoint, prof), False
        found = _cached_large_files(chosen)
    else:
        chosen, fallback, found = _probed_endpoint(prof)
    from .profile import xet_default

    decision = _xet_decision(xet or xet_default(prof), chosen, found)
    pairs = profile_pairs(chosen, cache_dir, prof, fallback=fallback, disable_xet=decision.disable)
    scope = persist_mod.Scope(tuple(chosen_shells), user=persist, system=system, git=use_git)
    for message in persist_mod.setup_warnings(scope, platform, host):
        warn(message)
    if system and not dry_run and root is None:
        _need_admin(host, platform, "setup")
    # A ModelScope fallback is not a choice worth keeping: the next run probes again.
    save = persist_mod.saves_choice(scope) and not fallback
    try:
        record = _load_record(platform, scope)
        changes = persist_mod.plan_setup(scope, chosen, pairs, platform, host, save=save, record=record)
        if persist:
            changes = _take_over(changes, scope, chosen, pairs, platform, host, save, take_over, record)
    except render.UnsafeValue as exc:
        fail(_("cannot write this value: {reason}").format(reason=exc))
    except (BlockError, WriteError, ConfigError) as exc:
        fail(reason(exc), EXIT_FAILURE)
    problem = persist_mod.system_problem(scope, changes, platform)
    if problem:
        fail(problem, EXIT_FAILURE)
    shared = _shared_cache(prof, system, dry_run, platform)
    message = persist_mod.token_warning(chosen, platform.env, platform.home)
    if message and ("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1") not in pairs:
        warn(message)
    if use_git and chosen.is_official:
        click.echo("hfenv: " + _("--git: the official Hub needs no rewrite for git; "
                                "an earlier hfenv rule, if any, is removed"), err=True)
    changes = _apply_or_preview(changes, scope, platform, dry_run, as_json, chosen, save, variables=pairs,
                                shared=shared)
    if dry_run or as_json:
        click.echo(f"hfenv: {local(decision.reason)}", err=True)
        if as_json:
            _print_hints(chosen_shells or _detected_shells(), cache_dir, changes, err=True)
        return
    headline = (_("Endpoint: {name} ({url}), saved as hfenv's default.") if save
                else _("Endpoint: {name} ({url}).")).format(name=chosen.name, url=chosen.url)
    _print_summary(headline + "\n" + _("{sentence}.").format(sentence=local(decision.reason)), changes)
    if shared is not None:
        state = "created" if shared["created"] else ("wrong" if shared["problem"] else "ok")
        label = _("shared cache, group {group}").format(group=shared["group"])
        click.echo(f"  {_action_column(state)}  {shared['path']}  [{label}]")
    _print_hints(chosen_shells or _detected_shells(), cache_dir, changes, err=False)


@click.command(cls=Command, help=N_(
    "Remove exactly what `hfenv setup` wrote.\n"
    "\n"
    "Without --system or --git it resets the startup files of the detected shell (or "
    "of each --shell given), wherever hfenv's record says setup wrote them. "
    "hfenv's own saved choice and endpoints are kept. --all removes everything "
    "(before uninstalling hfenv)."))
@option("--shell", "shell_names", multiple=True, metavar="NAME", help=_SHELL_HELP)
@option("--dry-run", is_flag=True, help=N_("Print a unified diff of every change; write nothing."))
@option("--json", "as_json", is_flag=True, help=N_("Report what was done as JSON on stdout."))
@option("--system", is_flag=True, help=N_("Remove the machine-wide settings. Needs root/admin."))
@option("--git", "use_git", is_flag=True, help=N_("Remove hfenv's url.<mirror>.insteadOf rule from git."))
@option("--all", "everything", is_flag=True,
        help=N_("Everything setup ever wrote: every shell's files, every recorded file, git, "
                   "and the machine's files when run as root/admin."))
@option("--root", type=click.Path(exists=True, file_okay=False), metavar="DIR",
        help=N_("With --system: remove the machine-wide files under DIR instead of / (image builds, chroots)."))
def reset(shell_names: tuple[str, ...], dry_run: bool, as_json: bool, system: bool, use_git: bool,
          everything: bool, root: str | None) -> None:
    if as_json:
        use_english()  # JSON is for scripts: its messages stay English (SPEC 9)
    from . import persist as persist_mod
    from .blocks import BlockError
    from .writers import WriteError

    platform, host = _machine()
    _need_home(platform)
    if everything and shell_names:
        fail(_("--all already covers every shell; leave out --shell"))
    _use_root(root, system)
    if everything:
        scope = persist_mod.everything_scope(platform, host, system=system)
    else:
        user = bool(shell_names) or not (system or use_git)
        scope = persist_mod.Scope(tuple(_chosen_shells(shell_names, required=user)), user=user,
                                  system=system, git=use_git)
    if system and not dry_run and root is None:
        _need_admin(host, platform, "reset")
    try:
        record = _load_record(platform, scope)
        changes = persist_mod.plan_reset(scope, platform, host, record=record)
    except (BlockError, WriteError) as exc:
        fail(reason(exc), EXIT_FAILURE)
    changes = _apply_or_preview(changes, scope, platform, dry_run, as_json, None, False)
    if not (dry_run or as_json):
        _print_summary(_("Removed what hfenv setup wrote:") if any(c.changed for c in changes)
                       else _("Nothing to remove: no hfenv settings in these places."), changes)
        if any(c.changed for c in changes):
            click.echo(_("Shells already open keep HF_ENDPOINT until closed "
                         "(or run the `hfenv shell --unset` line for your shell)."))


def _take_over(changes, scope, chosen, pairs, platform, host, save: bool, take_over: bool, record: list):
    """Stop when lines outside hfenv's block would override it; with --take-over, plan commenting them out."""
    from . import persist as persist_mod
    from . import takeover

    found = takeover.overrides(scope.shells, changes, pairs, platform, host)
    stops, warnings = takeover.report(found, str(platform.home))
    for line in warnings:
        warn(_("may override hfenv's block: {line}").format(line=local(line)))
    manual = [o for o in found if o.kind in takeover.MANUAL]
    if stops and (not take_over or manual):
        click.echo("hfenv: " + _("these lines run after hfenv's block and would override it in new shells:"), err=True)
        for line in stops:
            click.echo(f"  {local(line)}", err=True)
        fix = (_("edit the lines marked above by hand") if take_over else
               _("delete them, or run setup again with --take-over: hfenv comments them out "
                 "and `hfenv reset` puts them back (--dry-run shows the change)"))
        fail(_("nothing was changed; {fix}").format(fix=fix), EXIT_FAILURE)
    if not stops:
        return changes
    return persist_mod.plan_setup(scope, chosen, pairs, platform, host, save=save, record=record, take_over=True)


def _machine():
    from . import detect
    from .host import system_host

    return detect.current_platform(), system_host()


def _load_record(platform, scope) -> list:
    """hfenv's record of the files setup wrote; a damaged one is ignored with a warning."""
    from . import persist as persist_mod

    if not (scope.user or scope.git):
        return []
    record, problem = persist_mod.load_record(platform)
    if problem:
        warn(problem)
    return record


def _need_home(platform=None) -> None:
    """An empty or relative HOME is bad input: files would land at / or under the cwd."""
    from . import detect
    from . import persist as persist_mod

    platform = platform or detect.current_platform()
    problem = persist_mod.home_problem(platform)
    if problem:
        fail(problem, EXIT_USAGE)


def _chosen_shells(names: tuple[str, ...], required: bool) -> list:
    """The --shell entries (each once), else the detected shell when startup files are needed."""
    entries = []
    for name in names:
        entry = pick_shell(name)
        if entry not in entries:
            entries.append(entry)
    if not entries and required:
        entries.append(pick_shell(None))
    return entries


def _detected_shells() -> list:
    from . import detect, shells

    try:
        return [detect.current_shell_entry()]
    except shells.UnknownShell:
        return []


def _probed_endpoint(prof=None):
    """setup without --endpoint: a fresh cached probe result, else a probe now (never the saved
    choice), of the profile's candidates by its rule. (endpoint, fallback, large-file route): the
    route the probe followed for the choice, None if it did not (fallback as cli.default_endpoint)."""
    from .cli import nothing_usable

    report = cached_or_new_probe(prof)
    if report.chosen is None:
        return (*nothing_usable(prof, _("run `hfenv probe` for details, or pass --endpoint")), None)
    rows = [r for r in getattr(report, "results", ()) if (r.name, r.url) == (report.chosen.name, report.chosen.url)]
    return report.chosen, False, (getattr(rows[0], "large_files", None) if rows else None)


def _use_root(root: str | None, system: bool) -> None:
    """--root DIR: the machine-wide files (and the machine's profile) live under DIR for this run."""
    import os
    from pathlib import Path

    from . import persist as persist_mod

    if root is None:
        return
    if not system:
        fail(_("--root goes with --system (it moves the machine-wide files)"))
    before = persist_mod.SYSTEM_ROOT
    persist_mod.SYSTEM_ROOT = Path(os.path.abspath(root))
    # Only for this command: a caller in the same process (a test's CliRunner) keeps its own root.
    click.get_current_context().call_on_close(lambda: setattr(persist_mod, "SYSTEM_ROOT", before))


def _shared_cache(prof, system: bool, dry_run: bool, platform) -> dict | None:
    """setup --system with `cache.shared = true`: create the directory group-writable and setgid,
    or check it; say what to chmod/chgrp when it is wrong (an existing directory is not changed)."""
    from pathlib import Path

    from . import persist as persist_mod
    from . import sharedcache

    if prof is None or not prof.cache_shared or not system or platform.system == "windows":
        return None
    path = Path(str(persist_mod.SYSTEM_ROOT) + prof.cache_hub) if str(persist_mod.SYSTEM_ROOT) != "/" \
        else Path(prof.cache_hub)
    if dry_run:
        facts = sharedcache.gather(path)
        return sharedcache.report(path, facts, created=False, problem=sharedcache.judge(facts))
    try:
        created = sharedcache.ensure(path)
    except OSError as exc:
        fail(_("cannot create the shared cache {path}: {reason}").format(path=path, reason=exc.strerror or exc),
             EXIT_FAILURE)
    facts = sharedcache.gather(path)
    problem = sharedcache.judge(facts)
    if problem:
        warn(_("shared cache {path}: {problem}").format(path=path, problem=local(problem)))
    return sharedcache.report(path, facts, created=created, problem=problem)


def _cached_large_files(chosen: Endpoint):
    """setup --endpoint makes no request: the large-file route of a fresh cached probe, if it
    followed this endpoint's (None otherwise: --xet auto then keeps the saved decision)."""
    from . import probe as probe_mod

    report = probe_mod.load_cache()
    rows = [] if report is None else [r for r in report.results if r.url == chosen.url]
    return rows[0].large_files if rows else None


def _xet_decision(mode: str, chosen: Endpoint, found):
    """setup --xet: the decision from the chosen endpoint's large-file route (the probe's); the
    saved decision stands where the route is not known."""
    from . import xetpolicy
    from .endpoints import ConfigError, read_config

    try:
        config = read_config()
    except ConfigError:
        config = None  # setup repairs or reports it when it saves the choice
    previous = bool(config and config.chosen and config.chosen.url == chosen.url and config.disable_xet)
    return xetpolicy.decide(mode, found, previous)


def _need_admin(host, platform, command: str) -> None:
    if host.is_admin():
        return
    if platform.system == "windows":
        fail(_("--system changes the machine environment: run `hfenv {command} --system` "
               "from a terminal opened with \"Run as administrator\"").format(command=command), EXIT_FAILURE)
    fail(_("--system writes /etc/profile.d/hfenv.sh and fish's conf.d: run it as root "
           "(sudo hfenv {command} --system ...); --dry-run shows the changes without root").format(command=command),
         EXIT_FAILURE)


def _apply_or_preview(changes, scope, platform, dry_run: bool, as_json: bool, endpoint, saves_choice: bool,
                      variables=None, shared=None):
    """Print the plan (--dry-run) or apply it; report as JSON when asked. Returns the changes.

    A plan that changes nothing is not applied: no lock file appears for a no-op."""
    from . import persist as persist_mod
    from .blocks import BlockError
    from .endpoints import ConfigError
    from .writers import WriteError, apply, render_diff

    if dry_run:
        if not as_json:
            diff = render_diff(changes)
            click.echo(diff, nl=False)
            count = sum(c.changed for c in changes)
            click.echo("hfenv: " + _("dry run: {count} of {total} targets would change; nothing written").format(
                count=count, total=len(changes)), err=True)
    elif any(c.changed for c in changes):
        try:
            changes = apply(changes, persist_mod.lock_paths(scope, platform, saves_choice=saves_choice))
        except WriteError as exc:
            fail(_("nothing was changed: {reason}").format(reason=reason(exc)) if not exc.unrestored else reason(exc),
                 EXIT_FAILURE)
        except (BlockError, ConfigError) as exc:
            fail(reason(exc), EXIT_FAILURE)
    if as_json:
        report = _report(endpoint, changes, variables)
        if shared is not None:
            report["shared_cache"] = shared
            report["changed"] = report["changed"] or shared["created"]
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    return changes


def _report(endpoint, changes, variables=None) -> dict:
    """The --json shape of setup and reset (SPEC 5, contract); setup adds `variables` (every
    variable its block sets, in order)."""
    report = {
        "endpoint": endpoint.as_dict() if endpoint is not None else None,
        "changed": any(c.changed for c in changes),
        "targets": [{"kind": c.target.kind, "path": str(c.target.path), "action": c.action} for c in changes],
    }
    if variables is not None:
        report["variables"] = {name: value for name, value in variables if value is not None}
    return report


# What a change did, as setup/reset's text output shows it (--json keeps the English word).
ACTION_WORDS = {"created": N_("created"), "updated": N_("updated"), "unchanged": N_("unchanged"),
                "removed": N_("removed"), "wrong": N_("wrong"), "ok": N_("ok")}


def _action_column(action: str) -> str:
    """The action word in the user's language, padded to 9 terminal cells."""
    word = _(ACTION_WORDS[action]) if action in ACTION_WORDS else action
    return word + " " * max(0, 9 - _cells(word))


def _cells(text: str) -> int:
    from .detect import _cells as cells

    return cells(text)


def _print_summary(headline: str, changes) -> None:
    click.echo(headline)
    for change in changes:
        click.echo(f"  {_action_column(change.action)}  {change.target.path}  [{change.target.kind}]")


def _print_hints(entries, cache_dir: str | None, changes, err: bool) -> None:
    """How to use the choice in the shell that is already open."""
    if any(c.changed and c.target.kind.endswith("-environment") for c in changes):
        click.echo(_("New programs see the Windows environment change; windows that are already open "
                     "keep the old value until reopened."), err=err)
    if not entries:
        click.echo(_("To use it in this shell now, run the line `hfenv shell --help` shows for your shell."), err=err)
        return
    click.echo(_("To use it in this shell now:"), err=err)
    for entry in entries:
        click.echo(f"  {entry.eval_hint}", err=err)
    if cache_dir is not None:
        click.echo("  " + _("(add --cache-dir to `hfenv shell` there to set HF_HUB_CACHE too)"), err=err)


# ---- completion --------------------------------------------------------------

COMPLETION_SHELLS = ("bash", "zsh", "fish")


@click.command(cls=Command, help=N_(
    "Print the script that lets your shell complete hfenv's commands and options.\n"
    "\n"
    "\b\n"
    'bash  eval "$(hfenv completion bash)"                  in ~/.bashrc\n'
    'zsh   eval "$(hfenv completion zsh)"                   in ~/.zshrc, after compinit\n'
    "fish  hfenv completion fish > ~/.config/fish/completions/hfenv.fish"))
@click.argument("shell_name", metavar="bash|zsh|fish", type=click.Choice(COMPLETION_SHELLS))
def completion(shell_name: str) -> None:
    from click.shell_completion import get_completion_class

    from . import i18n
    from .cli import main

    if i18n.language() == "zh-CN":  # shell_completion's own warnings (old Bash) too: hfenv/clicktext.py
        from . import clicktext

        clicktext.install()

    script = get_completion_class(shell_name)(main, {}, "hfenv", "_HFENV_COMPLETE").source()
    click.echo(script, nl=not script.endswith("\n"))


# ---- profile -----------------------------------------------------------------------


@click.group("profile", cls=Group, help=N_(
    "The lab profile: one file an admin writes, that every member's setup follows."))
def profile_group() -> None:
    pass


@profile_group.command("init", help=N_(
    "Write a commented template to PATH (default: your config directory's profile.toml).\n"
    "\n"
    "Never over an existing file (exit 1 naming it)."))
@click.argument("path", required=False, metavar="[PATH]")
def profile_init(path: str | None) -> None:
    import os
    from pathlib import Path

    from . import profile as profile_mod

    target = Path(path) if path else profile_mod.user_profile_path()
    if os.path.lexists(target):
        fail(_("{path} already exists; hfenv does not write over it (check it with "
               "`hfenv profile check {path}`)").format(path=target), EXIT_FAILURE)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(profile_mod.TEMPLATE)
    except FileExistsError:
        fail(_("{path} already exists; hfenv does not write over it").format(path=target), EXIT_FAILURE)
    except OSError as exc:
        fail(_("cannot write {path}: {reason}").format(path=target, reason=exc.strerror or exc), EXIT_FAILURE)
    click.echo(_("wrote {path}; edit it, then run `hfenv profile check {path}`").format(path=target))


@profile_group.command("check", help=N_(
    "Validate a profile (default: the one in effect) and print its effective settings.\n"
    "\n"
    "Exit 0 when it is valid, 2 naming file, line and key when it is not."))
@click.argument("source", required=False, metavar="[PATH|URL]")
@option("--json", "as_json", is_flag=True, help=N_("Print the effective settings as JSON."))
def profile_check(source: str | None, as_json: bool) -> None:
    if as_json:
        use_english()  # JSON is for scripts: its messages stay English (SPEC 9)
    from . import profile as profile_mod

    located = profile_mod.locate(source)
    if located.source is None:
        fail(_("no profile to check ({why})").format(why=local(located.why)))
    try:
        loaded = profile_mod.load(located, allow_copy=False)
    except profile_mod.ProfileError as exc:
        fail(reason(exc))
    settings = loaded.profile.effective()
    if as_json:
        click.echo(json.dumps({"source": located.source, "why": located.why, "settings": settings}, indent=2,
                              ensure_ascii=False))
        return
    click.echo(_("{source}: valid").format(source=located.source) + ("" if source else f" ({local(located.why)})"))
    if loaded.note:
        click.echo(f"  {local(loaded.note)}")
    click.echo(_settings_text(settings))


@profile_group.command("show", help=N_(
    "Which profile is in effect, and why: every place looked at, first found wins."))
@option("--json", "as_json", is_flag=True, help=N_("Print it as JSON."))
@option("--profile", "profile_flag", metavar="PATH|URL", help=N_("Use this profile instead of the usual places."))
@option("--no-profile", is_flag=True, help=N_("Ignore every profile."))
@option("--root", type=click.Path(file_okay=False), metavar="DIR",
        help=N_("Look for the machine's profile under DIR instead of /."))
def profile_show(as_json: bool, profile_flag: str | None, no_profile: bool, root: str | None) -> None:
    if as_json:
        use_english()  # JSON is for scripts: its messages stay English (SPEC 9)
    from pathlib import Path

    from . import profile as profile_mod

    located = profile_mod.locate(profile_flag, no_profile, root=Path(root) if root else None)
    problem = note = settings = None
    if located.source is not None:
        try:
            loaded = profile_mod.load(located)
            settings, note = loaded.profile.effective(), loaded.note
        except profile_mod.ProfileError as exc:
            problem = reason(exc)
    order = [("--profile", profile_flag, bool(profile_flag)),
             ("$HFENV_PROFILE", os.environ.get("HFENV_PROFILE") or None, bool(os.environ.get("HFENV_PROFILE")))]
    order += [(label, path, exists) for label, (path, exists) in zip((N_("user"), N_("machine")), located.looked)]
    if as_json:
        click.echo(json.dumps({
            "source": located.source, "why": located.why, "note": note, "problem": problem, "settings": settings,
            "looked": [{"place": label, "value": value, "present": present} for label, value, present in order],
        }, indent=2, ensure_ascii=False))
    else:
        click.echo(_("in effect: {source} ({why})").format(source=located.source or _("none"),
                                                            why=local(located.why)))
        for label, value, present in order:
            mark = _("present") if present else _("absent")
            shown = _(label) if label in ("user", "machine") else label
            click.echo(f"  {shown}{' ' * max(1, 16 - _cells(shown))}{value or '-'}  [{mark}]")
        if note:
            click.echo(f"  {local(note)}")
        if settings is not None:
            click.echo(_settings_text(settings))
    if problem:
        fail(problem)


def _settings_text(settings: dict) -> str:
    lines = []
    for key, value in settings.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                lines.append(f"  {key}.{sub} = {json.dumps(inner, ensure_ascii=False)}")
        else:
            lines.append(f"  {key} = {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines)


# ---- onboard ---------------------------------------------------------------


@click.command(cls=Command, help=N_(
    "Write the lab's onboarding page (Markdown) from the profile in effect.\n"
    "\n"
    "\b\n"
    "hfenv onboard -o ONBOARDING.md\n"
    "hfenv onboard --lang zh-CN --os linux,windows -o ONBOARDING.zh-CN.md"))
@profile_options
@option("--lang", type=click.Choice(["en", "zh-CN"]), default=None,
        help=N_("Page language (default: HFENV_LANG, else zh-CN when LC_ALL/LC_MESSAGES/LANG starts with zh)."))
@option("--os", "os_list", metavar="LIST", default=None, help=N_("linux,macos,windows (default: all three)."))
@option("-o", "--output", metavar="FILE", default=None, help=N_("Write the page to FILE (atomically), not stdout."))
def onboard(profile_flag: str | None, no_profile: bool, lang: str | None, os_list: str | None,
            output: str | None) -> None:
    import stat

    from . import onboard as page
    from .writers import WriteError, write_atomic

    try:
        oses = page.parse_oses(os_list)
    except ValueError as exc:
        fail(reason(exc))
    loaded = load_profile(profile_flag, no_profile)
    url = loaded.located.source if loaded.profile is not None and loaded.located.is_url else None
    text = page.build_page(loaded.profile, lang or page.default_lang(), oses, profile_url=url)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        mode = os.lstat(output).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        fail(f"-o {output}: {exc.strerror}", EXIT_FAILURE)
    if mode is not None and not stat.S_ISREG(mode):
        fail(_("-o {path}: not a regular file; refusing to replace it").format(path=output))
    try:
        write_atomic(output, text.encode("utf-8"))
    except WriteError as exc:
        fail(f"-o {output}: {reason(exc)}", EXIT_FAILURE)
