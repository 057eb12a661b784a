"""`hfenv doctor`: what every Hugging Face client on this machine will actually do (SPEC 6).

A package: one module per section (layers, client, endpoint, tokens, large_files, download,
network, storage, tools), each a gather step (I/O) and a pure judge step over the shared
``Context`` (context.py); report.py holds the one ``Report`` for text and JSON; ``PIPELINE``
below lists the sections and ``diagnose`` runs them.

The result is data: a list of :class:`Finding` (section, level, code, message,
fix) plus plain facts per section. ``format_report`` turns it into the human
report (one verdict line per section, then the details); ``Report.to_json``
is the ``--json`` shape (the README's section "hfenv doctor" documents both).

**Levels.** ``ok``: as it should be. ``info``: worth knowing, nothing to do.
``warn``: works, but something deserves attention (a third party sees the
token, plain http, low disk). ``error``: something breaks downloads or leaves
shells disagreeing; any error makes the exit status 1, warnings alone do not.

**The effective endpoint** is what huggingface_hub computes from this
process's environment: ``HF_ENDPOINT`` with a trailing slash removed, else
https://huggingface.co. It is asked of a fresh interpreter (``--python``
picks another one), since the variable is read once, at import time: a
process that already imported huggingface_hub (or transformers, datasets)
keeps what it read then. Every network check uses that endpoint.

**Token policy.** The token's value never leaves this package except in the
``Authorization`` header of one request, and every byte printed is scrubbed
of it (and of any 8-character piece of it) anyway. Its validity is checked
(``GET /api/whoami-v2``) only against the official Hub, or against a
third-party endpoint when ``--check-token`` says so: sending the token to a
mirror is exactly what the third-party warning is about. ``--download``
sends the token only where the validity check would; elsewhere it downloads
the public test file without it.

**Network.** ``--offline`` makes no request at all. Otherwise every request
goes through :mod:`hfenv.hubcheck`: each is bounded by ``timeout`` as wall
time (redirects included), bodies are capped, a redirect to another origin is
never followed (its host is reported, nothing is sent there), and
certificates are trusted as the client's huggingface_hub trusts them. The
network checks end within about 4 x ``timeout`` (README, "Time bound"). The
fallback probe (when the effective endpoint is not usable) probes the catalog
and the user's endpoints, or the ``--candidate`` endpoints given.
"""

from __future__ import annotations

from . import client, download, endpoint, large_files, layers, network, storage, tokens, tools
from .client import judge_client
from .context import DEFAULT_TIMEOUT, Context, Options, flat, run_together
from .download import explain_download_error, judge_download
from .endpoint import check_endpoint
from .large_files import follow_large_file, judge_large_files, reach
from .layers import Setting, judge_layers, read_settings, read_windows_environment
from .network import judge_network, proxy_facts
from .report import LEVELS, SECTIONS, Finding, Report, format_report, redact, redact_data
from .storage import judge_storage, storage_facts
from .tokens import check_whoami, judge_token, stored_secrets, token_state
from .tools import judge_tools
from .values import DEFAULT_ENDPOINT, is_official, value_problem
from .values import eval_hint as _eval_hint  # noqa: F401 (tests)

__all__ = [  # what the CLI and the tests use
    "DEFAULT_ENDPOINT", "DEFAULT_TIMEOUT", "LEVELS", "PIPELINE", "SECTIONS", "Finding", "Options", "Report",
    "Setting", "check_endpoint", "check_whoami", "diagnose", "explain_download_error", "follow_large_file",
    "format_report", "is_official", "judge_client", "judge_download", "judge_large_files", "judge_layers",
    "judge_network", "judge_storage", "judge_token", "judge_tools", "proxy_facts", "reach", "read_settings",
    "read_windows_environment", "redact", "redact_data", "storage_facts", "token_state", "value_problem",
]

# The sections in report order. Each runs its gather step after the stages above it (a tuple is one
# stage whose sections gather at the same time); then every section judges what it gathered.
# A new section: one module with a SECTION, imported above, and one line here.
PIPELINE = (
    layers.SECTION,
    client.SECTION,
    endpoint.SECTION,
    (tokens.SECTION, large_files.SECTION),  # independent network checks, each bounded: together
    download.SECTION,
    network.SECTION,
    storage.SECTION,
    tools.SECTION,
)
SECTIONS.update((s.id, s.title) for s in flat(PIPELINE))


def start(options: Options) -> Context:
    """The run's context: the platform, the shell, and the tokens stored here (to redact them)."""
    from .. import detect

    platform = options.platform or detect.current_platform()
    host = options.host
    if host is None:
        from ..host import system_host

        host = system_host()
    shell = options.shell if options.shell is not None else detect.detect_shell(platform.env)[0]
    return Context(options, platform, host, shell, stored_secrets(platform.env, platform.home))


def diagnose(options: Options) -> Report:
    """Gather every section's facts, stage by stage, then judge them (network only without --offline)."""
    ctx = start(options)
    for stage in PIPELINE:
        sections = stage if isinstance(stage, tuple) else (stage,)
        if len(sections) == 1:
            ctx.gathered[sections[0].id] = sections[0].gather(ctx)
        else:
            ctx.gathered.update(run_together({s.id: (lambda s=s: s.gather(ctx)) for s in sections}))
    findings, facts = [], {}
    for section in flat(PIPELINE):
        findings += section.judge(ctx, ctx.gathered[section.id])
        facts.update(section.record(ctx.gathered[section.id]))
    return Report(endpoint=ctx.of(client.ClientFacts).to_json(), findings=findings, facts=facts,
                  offline=options.offline, secrets=ctx.secrets)
