"""Section "layers": where HF_ENDPOINT is set (startup files, the Windows environment, hfenv's saved choice)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from ..endpoints import CATALOG, ConfigError, Endpoint, name_for_url
from ..i18n import N_, Msg, _, local, ngettext

# Where startup files set HF_ENDPOINT: one reader for doctor, detect and setup (hfenv.startup).
from ..startup import StartupPlace, fish_universal_lines, held_values, reaches_programs, startup_places
from .context import Context, Section
from .report import Finding, Findings
from .values import DEFAULT_ENDPOINT, arg, eval_hint, join, named, normalized, pretty_path, shown, value_problem


@dataclass(frozen=True)
class Setting:
    """One line that sets, exports or unsets HF_ENDPOINT."""

    where: str  # "file", "windows-user", "windows-machine"
    label: str  # "~/.bashrc:3" (a Msg for the Windows environment: English in --json, shown with local())
    value: str | None  # None: this line unsets it, or only exports it
    path: str | None = None
    line: int | None = None
    in_block: bool | None = None  # inside hfenv's marker block
    shells: tuple[str, ...] = ()  # the shells that read it; () = every new program
    dynamic: bool = False  # computed when the shell starts ($VAR, $(...)); value is the text
    hfenv_target: bool = False  # a place `hfenv setup --persist` writes
    action: str = "set"  # "set", "unset", or "export" (exports what an earlier line assigned)
    exported: bool | None = True  # for "set": True exports it, False does not, None keeps what it was
    scope: str = ""  # fish `set`: "global", "universal" (-U), "any"; "" for the other shells (hfenv.startup)

    def applies_to(self, shell: str | None) -> bool:
        return shell is None or not self.shells or shell in self.shells

    @property
    def universal(self) -> bool:
        return self.scope == "universal"

    @property
    def assigns(self) -> bool:
        return self.action == "set" and self.value is not None

    def to_json(self) -> dict:
        return {"where": self.where, "label": self.label, "value": self.value, "path": self.path,
                "line": self.line, "in_block": self.in_block, "shells": list(self.shells),
                "dynamic": self.dynamic, "hfenv_target": self.hfenv_target, "action": self.action,
                "exported": self.exported, "scope": self.scope}


def read_settings(places: list[StartupPlace], home: PurePath,
                  name: str | None = None) -> tuple[list[Setting], list[tuple[str, str]]]:
    """The HF_ENDPOINT lines (or `name`'s) of each file (in read order), and (label, problem) for files
    doctor could not judge."""
    from ..startup import read_places

    lines, problems = read_places(places) if name is None else read_places(places, (name,))
    return _settings(lines, home), [(pretty_path(path, home), problem) for path, problem in problems]


def _settings(lines, home: PurePath) -> list[Setting]:
    return [Setting(
        where="file", label=f"{pretty_path(line.path, home)}:{line.line}", value=line.value, path=line.path,
        line=line.line, in_block=line.in_block, shells=line.shells, dynamic=line.dynamic,
        hfenv_target=line.hfenv_target, action=line.action, exported=line.exported, scope=line.scope,
    ) for line in lines]


def read_windows_environment(host) -> tuple[list[Setting], list[tuple[str, str]]]:
    """HF_ENDPOINT in the Windows machine and user environment (the user's wins), through persist's seam."""
    from .. import persist

    settings, problems = [], []
    for where, (hive, key), label in (("windows-machine", persist.MACHINE_ENVIRONMENT,
                                       Msg("Windows machine environment")),
                                      ("windows-user", persist.USER_ENVIRONMENT, Msg("Windows user environment"))):
        try:
            found = host.read_value(hive, key, "HF_ENDPOINT")
        except OSError as exc:
            problems.append((label, Msg("cannot read {key}: {reason}", key=f"{hive}\\{key}", reason=str(exc))))
            continue
        if found is not None:
            value = str(found[0])
            settings.append(Setting(where=where, label=label, value=value, path=f"{hive}\\{key}",
                                    dynamic="%" in value, hfenv_target=True))
    return settings, problems


def _labels(settings: list[Setting]) -> str:
    return join([local(label) for label in dict.fromkeys(s.label for s in settings)])


def final_settings(settings: list[Setting]) -> list[Setting]:
    """Per file (or environment), the assignment that wins: the last one."""
    last: dict[str, Setting] = {}
    for setting in settings:
        if setting.assigns:
            last[setting.path or setting.label] = setting
    return list(last.values())


def new_shell_value(settings: list[Setting], shell: str | None) -> tuple[Setting | None, Setting | None]:
    """What a new `shell` ends with, reading `settings` in order: (the assignment whose value it
    exports, or None; the assignment it keeps as an unexported shell variable, or None)."""
    current, exported = next(reversed(list(held_values(settings, shell))), (None, False))
    return (current, None) if exported else (None, current)


def _export_line(setting: Setting) -> str | None:
    """The line that would export this assignment, from the shell's own template."""
    from .. import render, shells

    try:
        [line] = render.render_lines(shells.get(setting.shells[0]), [("HF_ENDPOINT", setting.value)], key="persist")
    except Exception:  # an unknown shell, a value no line can carry, a template without a persist line
        return None
    return line


def judge_layers(settings: list[Setting], process: str | None, shell: str | None, saved: Endpoint | None,
                 saved_problem: str | None, problems: list[tuple[str, str]], platform_system: str,
                 unusable: Collection[str] = (), names: Mapping[str, str] | None = None) -> list[Finding]:
    """Where HF_ENDPOINT is set, and whether the places agree (pure).

    `settings` come in the order a new shell reads them: the last exported
    assignment a shell reads is what its programs get. This shell is compared
    with that value only; shells whose own files set it are compared with each
    other; a place that every shell reading it overrides later is only noted.

    A shell opened before the files changed (right after `hfenv setup`) is a
    warning: new shells get the right value, and the fix is a new terminal or
    the eval line. It is an error when new shells get a value that is not the
    saved choice, or one found `unusable` (normalised URLs) just now.
    `names` (normalised URL -> name) names endpoints in messages and fixes.
    """
    out = Findings("layers")
    exports = {id(s): reaches_programs(settings, s) for s in settings if s.assigns}
    reaching = final_settings([s for s in settings if exports.get(id(s))])  # per file, the last value exported
    readers_all = sorted({n for s in settings for n in s.shells})
    held = {id(c) for n in readers_all or [None] for c, _x in held_values(settings, n) if c is not None}
    # What the other shells end with: the value each one's programs get (not a line a later one undoes).
    ends = {id(won) for won in (new_shell_value(settings, n)[0] for n in readers_all) if won is not None}
    own = [shell] + sorted({s.shells[0] for s in settings if s.where == "file" and len(s.shells) == 1} - {shell})
    outcome = {name: new_shell_value(settings, name) for name in own}
    this, this_unexported = outcome[shell]
    winners = {name: won for name, (won, _) in outcome.items() if won is not None and not won.dynamic}
    elsewhere = [s for s in reaching if id(s) in ends and not s.dynamic and not s.applies_to(shell)]
    values = list(dict.fromkeys([normalized(s.value) for s in winners.values()]
                                + [normalized(s.value) for s in elsewhere]))
    new_terminal = (_("open a new terminal (windows already open keep the old environment)")
                    if platform_system == "windows" else _("open a new terminal"))
    this_shell = _("this shell")
    where_shell = _("{shell}, your shell,").format(shell=shell) if shell else this_shell

    def stale(value: str) -> tuple[str, str, bool]:
        """(level, fix, whether the fix is a new terminal) for this shell when new shells get `value`."""
        if normalized(value) in unusable:
            return "error", _("new terminals would get {value}, which is not usable from here (see the endpoint "
                              "check): choose one that works with `hfenv setup --persist --endpoint NAME`").format(
                value=named(value, names)), False
        fix = _("{new_terminal}, or run `{command}` in this one").format(
            new_terminal=new_terminal, command=eval_hint(shell, value, saved, names))
        if saved is not None and normalized(saved.url) != normalized(value):
            return "error", fix, True
        return "warn", fix, True

    def agreeing(won: Setting) -> list[Setting]:
        return [s for s in reaching if s.applies_to(shell) and not s.dynamic
                and normalized(s.value) == normalized(won.value)] or [won]

    distinct = list(dict.fromkeys(winners.values()))
    if len({normalized(s.value) for s in distinct}) > 1:
        listing = "; ".join(_("{label} sets {value}").format(label=local(s.label), value=shown(s.value))
                            for s in distinct)
        users = ", ".join(f"{name or this_shell} {shown(s.value)}" for name, s in winners.items())
        by_hand = [local(s.label) for s in distinct if not s.in_block and s.where == "file"]
        fix = _("keep one: `hfenv setup --persist --endpoint NAME|URL` (with --shell for each shell you use) "
                "rewrites hfenv's blocks")
        if by_hand:
            fix += _("; lines outside hfenv's block ({labels}) must be edited by hand").format(
                labels=", ".join(by_hand))
        out.error("files-disagree", _("the startup files disagree: {listing}; new shells use different "
                                      "endpoints ({users})").format(listing=listing, users=users), fix)

    if this is not None and this.dynamic:
        out.info("computed", _("{label}, read last by {shell}, computes HF_ENDPOINT when the shell starts "
                               "({value}): doctor cannot compare it with this shell").format(
            label=local(this.label), shell=shell or this_shell, value=this.value))
    elif process is None:
        if this is not None:
            level, fix, _reopen = stale(this.value)
            out.add(level, "not-in-process", _("set in {labels} but not in this shell: programs started here use "
                                               "{default}, new terminals use {value}").format(
                labels=_labels(agreeing(this)), default=DEFAULT_ENDPOINT, value=named(this.value, names)), fix)
        elif elsewhere or winners:
            others = [s for s in elsewhere + list(winners.values())]
            readers = sorted({n for s in others for n in s.shells}) or [_("other programs")]
            value = others[-1].value
            out.error("other-shells-only", _("set for {readers} ({labels}) but not for {where} nor in this "
                                             "process: new {shell} use {default}, the others {value}").format(
                readers=", ".join(readers), labels=_labels(others), where=where_shell,
                shell=shell or _("terminals"), default=DEFAULT_ENDPOINT, value=shown(value)),
                      _("`hfenv setup --persist --shell {shell} --endpoint {value}` (or remove those lines if they "
                        "are stale)").format(shell=shell or "NAME", value=arg(value, shell)))
        elif not any(unexported for _won, unexported in outcome.values()):
            out.ok("unset", _("HF_ENDPOINT is set nowhere: every client uses the official Hub {url}").format(
                url=DEFAULT_ENDPOINT))
    else:
        keep = f"`hfenv setup --persist --endpoint {arg(normalized(process), shell)}`"
        if this is None and not elsewhere and not winners:
            out.warn("process-only", _("HF_ENDPOINT={value} is set in this shell only: new terminals, "
                                       "cron jobs and `ssh host command` will not see it").format(value=shown(process)),
                     _("to keep it: {command}").format(command=keep))
        elif this is not None and normalized(this.value) != normalized(process):
            value = this.value
            level, fix, reopen = stale(value)
            if reopen:
                fix = _("to use {value} here: {new_terminal} or run `{command}`; to keep {process}: {keep}").format(
                    value=named(value, names), new_terminal=new_terminal,
                    command=eval_hint(shell, value, saved, names), process=shown(normalized(process)), keep=keep)
            out.add(level, "process-differs", _("this shell has HF_ENDPOINT={process}, but {label}, read last by "
                                                "{shell}, sets {value}: new terminals will use {named}").format(
                process=shown(process), label=local(this.label), shell=shell or this_shell, value=shown(value),
                named=named(value, names)), fix)
        elif this is None:
            only = _labels(elsewhere or list(winners.values()))
            unexported = _("; {label} assigns it without exporting it").format(
                label=local(this_unexported.label)) if this_unexported else ""
            out.error("not-for-this-shell", _("this shell has HF_ENDPOINT={process}, but none of the startup files "
                                              "of {where} exports it (only {only}{unexported}): new {shell} use "
                                              "{default}").format(
                process=shown(process), where=where_shell, only=only, unexported=unexported,
                shell=shell or _("terminals"), default=DEFAULT_ENDPOINT),
                      f"`hfenv setup --persist --shell {shell or 'NAME'} "
                      f"--endpoint {arg(normalized(process), shell)}`")
        else:
            out.ok("agree", _("{places} agree: {value}").format(
                places=join([this_shell] + [local(s.label) for s in agreeing(this)]), value=shown(process)))

    for name, (_winner, unexported) in outcome.items():
        if unexported is not None:
            line = _export_line(unexported) if unexported.shells else None
            out.warn("not-exported", _("{label} assigns HF_ENDPOINT={value} without exporting it: {shell} keeps it "
                                       "to itself, and the programs it starts (python, hf, git) do not see it").format(
                label=local(unexported.label), value=shown(unexported.value), shell=name or _("the shell")),
                     _("write `{line}` instead").format(line=line) if line else _("export it"))
    for setting in settings:
        if not setting.assigns or setting.dynamic or not exports[id(setting)]:
            continue
        readers = [n for n in own if setting.applies_to(n)]
        later = [outcome[n][0] for n in readers]
        if readers and all(w is not setting and w is not None and w.path != setting.path
                           and normalized(w.value) != normalized(setting.value) for w in later):
            count = len({w.label for w in later})
            out.info("overridden", ngettext("{label} sets {value}, but {later}, read later, overrides it",
                                            "{label} sets {value}, but {later}, read later, override it", count).format(
                label=local(setting.label), value=shown(setting.value),
                later=_labels([w for w in later if w is not None])))

    for setting in settings:
        malformed = value_problem(setting.value) if setting.assigns and not setting.dynamic else None
        if malformed and malformed[0] == "error":
            out.error("malformed", _("{label} sets a malformed value: {problem}").format(
                label=local(setting.label), problem=malformed[1]), malformed[2])
    for setting in settings:
        out.add(*_describe(setting, exports.get(id(setting), False), id(setting) not in held))
    multiple: dict[str, list[Setting]] = {}
    for setting in settings:
        if setting.assigns and (id(setting) in held or not setting.universal):  # not a hidden `set -U`
            multiple.setdefault(setting.path or setting.label, []).append(setting)
    for group in multiple.values():
        if len({s.value for s in group}) > 1:
            out.warn("same-file-twice", _("{labels} assign HF_ENDPOINT more than once: the last one ({label}) "
                                          "wins").format(labels=_labels(group), label=local(group[-1].label)),
                     _("keep one assignment"))
    for label, problem in problems:
        out.warn("unreadable", _("{label}: {problem}").format(label=local(label), problem=local(problem)))

    if saved_problem:
        # `hfenv shell` and `setup` stop on it (exit 1), so it needs action here too.
        out.error("saved-choice-unreadable", _("hfenv's config is damaged: {problem}").format(problem=saved_problem),
                  _("edit the key named, or `hfenv endpoints add|remove NAME` / `hfenv setup --endpoint NAME`"))
    elif saved is None:
        out.info("no-saved-choice", _("hfenv has no saved choice (`hfenv setup` saves one; `hfenv shell` "
                                      "without --endpoint probes instead)"))
    else:
        effective = normalized(process) if process is not None else DEFAULT_ENDPOINT
        # When the saved choice matches the process or the files, the findings above already say it all.
        if normalized(saved.url) != effective and normalized(saved.url) not in values:
            out.warn("saved-differs", _("hfenv's saved choice is {name} ({url}), but clients here use {effective}: "
                                        "`hfenv shell` without --endpoint gives {url}").format(
                name=saved.name, url=saved.url, effective=shown(effective)),
                     _("run `hfenv setup --persist --endpoint NAME|URL` with the one you want: it updates both"))
        else:
            out.ok("saved-choice", _("hfenv's saved choice: {name} ({url})").format(name=saved.name, url=saved.url))
    return out.items


def _describe(setting: Setting, reaches: bool, hidden: bool = False) -> tuple[str, str, str, str | None]:
    """A detail line for one place (level, code, message, fix); `reaches`: the shells export its value;
    `hidden`: no shell ever holds it."""
    readers = ", ".join(setting.shells) if setting.shells else _("every new program")
    label = local(setting.label)
    if setting.action == "unset":
        return ("info", "unsets", _("{label} unsets HF_ENDPOINT (read by {readers})").format(
            label=label, readers=readers), None)
    if setting.action == "export":
        return ("info", "exports", _("{label} exports HF_ENDPOINT, assigned before it (read by {readers})").format(
            label=label, readers=readers), None)
    if setting.dynamic:
        return ("info", "dynamic", _("{label} computes HF_ENDPOINT when the shell starts ({value}); doctor cannot "
                                     "tell its value (read by {readers})").format(
            label=label, value=setting.value, readers=readers), None)
    if setting.universal and hidden:
        exported = _(", a universal variable: the global one set before it hides it")
    elif not reaches:
        exported = _(", not exported")
    else:
        exported = "" if setting.exported else _(", exported by another line")
    if setting.where == "file":
        if setting.in_block:
            where = _("hfenv's block")
        elif setting.hfenv_target:
            where = _("outside hfenv's block: `hfenv setup`/`reset` leave this line alone")
        else:
            where = _("a file hfenv does not manage")
        level = "ok" if setting.in_block else "info"
        return (level, "place", _("{label} ({where}; read by {readers}{exported}): {value}").format(
            label=label, where=where, readers=readers, exported=exported, value=shown(setting.value)), None)
    return ("ok", "place", _("{label}: {value} (every new program)").format(label=label, value=shown(setting.value)),
            None)



@dataclass
class LayerFacts:
    """The places that set HF_ENDPOINT, this process's value and hfenv's saved choice."""

    process: str | None  # HF_ENDPOINT in this process
    shell: str | None
    settings: list[Setting]
    problems: list[tuple[str, str]]
    saved: Endpoint | None
    saved_problem: str | None
    known: dict[str, str]  # every endpoint by name (the catalog and the user's)
    names: dict[str, str] = field(default_factory=dict)  # normalised URL -> name, for messages
    new_value: str | None = None  # what a new shell of the user's gets, when it is a usable URL


def gather(ctx: Context) -> LayerFacts:
    from ..endpoints import known_endpoints, saved_choice

    settings, problems = read_settings(startup_places(ctx.platform, ctx.host, ctx.options.root), ctx.home)
    # fish has its universal variables (`set -Ux` typed at a prompt) before it reads any startup file.
    universal, unreadable = fish_universal_lines(Path(str(ctx.platform.config_home())) / "fish" / "fish_variables")
    settings = _settings(universal, ctx.home) + settings
    problems += [(pretty_path(path, ctx.home), problem) for path, problem in unreadable]
    if ctx.platform.system == "windows":
        win, win_problems = read_windows_environment(ctx.host)
        settings += win
        problems += win_problems
    saved, saved_problem = None, None
    try:
        saved = saved_choice()
        known = known_endpoints()
    except ConfigError as exc:
        saved_problem = str(exc)
        known = dict(CATALOG)
    # What a new shell of the user's gets: after `hfenv setup`, the shell already open predates it.
    won, _dynamic = new_shell_value(settings, ctx.shell)
    new_value = None
    if won is not None and not won.dynamic and (value_problem(won.value) or ("warn",))[0] == "warn":
        new_value = won.value
    # Endpoints are named by their names where they have one (a bare URL's "name" is its host).
    names = {normalized(url): name for name, url in known.items()}
    for candidate in ctx.options.candidates or ():
        names.setdefault(normalized(candidate.url), candidate.name)
    if saved is not None and saved.name != name_for_url(saved.url, {}):
        names.setdefault(normalized(saved.url), saved.name)
    return LayerFacts(ctx.env.get("HF_ENDPOINT"), ctx.shell, settings, problems, saved, saved_problem, known,
                      names, new_value)


def judge(ctx: Context, facts: LayerFacts) -> list[Finding]:
    from .endpoint import EndpointFacts  # judged after the endpoint check: it may find new shells' value unusable

    return judge_layers(facts.settings, facts.process, facts.shell, facts.saved, facts.saved_problem,
                        facts.problems, ctx.platform.system, ctx.of(EndpointFacts).unusable, facts.names)


def record(facts: LayerFacts) -> dict:
    return {"layers": {"process": facts.process, "shell": facts.shell,
                       "settings": [s.to_json() for s in facts.settings],
                       "saved_choice": facts.saved.as_dict() if facts.saved else None}}


SECTION = Section("layers", N_("Where HF_ENDPOINT is set"), gather, judge, record)
