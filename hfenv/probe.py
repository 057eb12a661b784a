"""Probe the official Hub and its mirrors at once, and choose one (SPEC 3).

**What counts as usable.** Each candidate gets the request huggingface_hub
makes before every download: ``HEAD {url}/openai-community/gpt2/resolve/main/config.json``.
Redirects within the same origin are followed (the Hub answers small files
with a relative 307); the candidate is usable only if the final answer is a
2xx carrying ``X-Repo-Commit``. A captive portal's 200 HTML, a proxy's error
page, a 5xx, or a redirect to another origin (a "mirror" that forwards to
huggingface.co, a login page) is not usable, and the result says why.

**What is measured.** Each sample opens a new connection, as the first request
of a real download does: name lookup, TCP connect, TLS, and the time until the
answer's headers (HEAD: no body is read). A candidate's latency is the median
of its samples. Requests go through :mod:`hfenv.hubcheck`: certificates are
trusted as the installed huggingface_hub trusts them (``SSL_CERT_FILE`` for
1.x and later, ``REQUESTS_CA_BUNDLE`` for 0.x), the proxy variables are
honoured as requests honours them, a result names the proxy it went through
(never its credentials), and the same-origin rule is the parser's own.

**Choice.** The fastest usable candidate wins, except that the official Hub is
kept when it is usable and its median is within 1.5x, or within 50 ms, of the
fastest (whichever allows more): a difference that small is invisible next to
a download, while the official Hub serves everything (gated and private repos,
new uploads, Xet storage) and no third party sees the user's token.

**Early decision.** All candidates start together and take their samples one
after another. From the candidates that have finished, the probe knows, for
each candidate still measuring, the median it would need to change the choice:
below the leader's median; below the point where the official Hub, if it
leads, is no longer within its margin; or, for the official Hub itself, within
the margin of the fastest. A candidate still measuring is stopped as soon as

1. its samples so far prove it cannot reach that median (the sample in flight
   already took longer, and the answered ones are slower too): it is reported
   ``ok`` with the samples it took, "stopped early: cannot beat hf-mirror (31 ms)";
2. its current sample has gone unanswered for ``samples`` times that median,
   i.e. longer than a winning candidate's whole measurement would take: it is
   reported ``timeout``, "no answer in 240 ms; hf-mirror had settled the choice
   in 95 ms" (or ``ok`` with its answered samples, if those are already too
   slow). With ``--samples 1`` this is exact; with more it assumes that one
   endpoint's samples do not differ by more than that factor. An official Hub
   faster than 50 ms is kept whatever a mirror does, so mirrors still silent
   then are stopped at once ("not needed: hf answered in 30 ms ...").

The probe ends when every candidate has finished or been stopped, and in any
case when the budget (``--timeout``, 3 s by default) runs out: a candidate
with answered samples then keeps them, one with none is ``timeout``.
``--all`` (``wait_all``) turns the early decision off and waits for every
candidate within the budget. Every request's deadline is enforced by shutting
its sockets down, and a candidate stopped early has its request aborted the
same way; the workers are joined before the probe returns, so no thread is
left inside the TLS library when the interpreter exits. With the official Hub swallowing connections and
a mirror answering in 30 ms, the probe ends after about 3 x 80 ms.

**Cache.** The last report is saved (with its time, the candidates probed and
a hash of the proxy and CA-bundle variables) to ``probe.json`` in the
platform's cache directory. ``hfenv shell`` and ``hfenv setup`` reuse it for
an hour when it found a usable endpoint and the proxy/CA variables are
unchanged; a probe that found nothing is never reused, and a damaged file is
ignored.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .endpoints import (
    CATALOG,
    OFFICIAL,
    PUBLIC_FILE,
    PUBLIC_REPO,
    Endpoint,
    EndpointError,
    check_name,
    check_url,
    name_for_url,
    same_origin,
    write_json_atomic,
)
from .hubcheck import (  # noqa: F401  (classify_answer, hub_check_url: the probe's public names too)
    JOIN_GRACE,
    LOOKUP_GRACE,
    LargeFiles,
    Sample,
    Verdict,
    Watch,
    classify_answer,
    follow_large_file,
    hub_check,
    hub_check_url,
    joined,
    message_data,
    message_from_data,
    proxy_for,
)
from .i18n import Msg, _, local

DEFAULT_TIMEOUT = 3.0
DEFAULT_SAMPLES = 3
# A working day crosses networks (home, office, VPN on and off); a probe costs
# well under a second when one endpoint answers, so an hour keeps new
# terminals instant while a changed network is noticed soon.
CACHE_MAX_AGE = 3600.0

# A tiny, public, ungated file in a canonical (non-redirected) repo.
HUB_REPO, HUB_FILE = PUBLIC_REPO, PUBLIC_FILE

STATUSES = (
    "ok", "timeout", "dns", "refused", "reset", "tls", "http_error",
    "not_a_hub", "redirect_offsite", "proxy", "error", "rate_limited",
)
CACHE_VERSION = 1
_CA_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")


@dataclass(frozen=True)
class Margin:
    """How much slower than the fastest the official Hub may be and still be kept."""

    ratio: float
    slack_ms: float

    def limit(self, fastest_ms: float) -> float:
        """Slowest official median still kept against `fastest_ms`."""
        return max(fastest_ms * self.ratio, fastest_ms + self.slack_ms)

    def beaten_below(self, official_ms: float) -> float:
        """A rival must be strictly faster than this for the official Hub to lose."""
        return min(official_ms / self.ratio, official_ms - self.slack_ms)

    def __str__(self) -> str:
        return self.text()

    def text(self) -> Msg:
        """"1.5x or +50 ms" (a Msg)."""
        return Msg("{ratio}x or +{ms} ms", ratio=f"{self.ratio:g}", ms=f"{self.slack_ms:g}")


OFFICIAL_MARGIN = Margin(ratio=1.5, slack_ms=50.0)


# ---- results ---------------------------------------------------------------


@dataclass
class ProbeResult:
    name: str
    url: str
    ok: bool
    status: str
    latency_ms: float | None
    samples_ms: list[float]
    detail: str
    proxy: str | None = None
    official: bool = False
    large_files: LargeFiles | None = None  # the large-file route, for the candidates that could win

    @property
    def bytes_fail(self) -> bool:
        """Its metadata answers, but no route brings a large file's bytes (followed and failed)."""
        return self.large_files is not None and self.large_files.bytes_fail

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "url": self.url,
            "ok": self.ok,
            "status": self.status,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "samples_ms": [round(s, 1) for s in self.samples_ms],
            "detail": self.detail,
            "proxy": self.proxy,
            "official": self.official,
            "large_files": None if self.large_files is None else self.large_files.to_json(client_uses_xet()),
        }

    @classmethod
    def from_json(cls, data: Mapping) -> ProbeResult:
        """Inverse of to_json; raises ValueError on anything malformed (a damaged cache)."""
        def typed(key, kinds, optional=False):
            value = data.get(key)
            if value is None and optional:
                return None
            if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
                raise ValueError(f"bad {key!r} in cached result")
            return value

        samples = typed("samples_ms", (list,))
        if not all(isinstance(s, (int, float)) and not isinstance(s, bool) for s in samples):
            raise ValueError("bad 'samples_ms' in cached result")
        status = typed("status", (str,))
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r} in cached result")
        latency = typed("latency_ms", (int, float), optional=True)
        detail = typed("detail", (str,))
        if data.get("detail_msg") is not None:  # what lets a cached result be shown in Chinese too
            detail = message_from_data(data["detail_msg"], detail)
        return cls(
            name=typed("name", (str,)), url=typed("url", (str,)), ok=typed("ok", (bool,)),
            status=status, latency_ms=None if latency is None else float(latency),
            samples_ms=[float(s) for s in samples], detail=detail,
            proxy=typed("proxy", (str,), optional=True), official=bool(data.get("official", False)),
            large_files=None if data.get("large_files") is None else LargeFiles.from_json(data["large_files"]),
        )


@dataclass
class ProbeReport:
    chosen: Endpoint | None
    elapsed_ms: int
    results: list[ProbeResult]
    created: float = field(default_factory=time.time)
    candidates: list[Endpoint] = field(default_factory=list)

    def to_json(self) -> dict:
        """The JSON contract of SPEC 3 (results may carry extra keys)."""
        return {
            "chosen": self.chosen.as_dict() if self.chosen else None,
            "elapsed_ms": int(self.elapsed_ms),
            "results": [r.to_json() for r in self.results],
        }


# ---- choice (pure) -----------------------------------------------------------


def _usable(results: Iterable[ProbeResult]) -> list[ProbeResult]:
    return [r for r in results if r.ok and r.latency_ms is not None]


def choose_endpoint(results: Iterable[ProbeResult], margin: Margin = OFFICIAL_MARGIN) -> ProbeResult | None:
    """Fastest usable result, or the official Hub when it is within `margin` of it."""
    usable = _usable(results)
    if not usable:
        return None
    fastest = min(usable, key=lambda r: r.latency_ms)  # ties: the earlier candidate
    officials = [r for r in usable if r.official]
    if officials:
        official = min(officials, key=lambda r: r.latency_ms)
        if official.latency_ms <= margin.limit(fastest.latency_ms):
            return official
    return fastest


def choose_first(results: Iterable[ProbeResult], order: Iterable[str]) -> ProbeResult | None:
    """A lab profile's `choose = "first"`: the first usable result in `order` (names), else None."""
    usable = {r.name: r for r in _usable(results)}
    return next((usable[name] for name in order if name in usable), None)


def latency_to_win(official: bool, finished: Iterable[ProbeResult], margin: Margin = OFFICIAL_MARGIN) -> float:
    """The median a candidate still measuring would need to become the choice.

    Only grows stricter as more candidates finish, so a candidate that cannot
    reach it now never can. `inf` while no finished candidate is usable.
    """
    usable = _usable(finished)
    if not usable:
        return math.inf
    fastest = min(r.latency_ms for r in usable)
    if official:
        return margin.limit(fastest)
    need = fastest
    officials = [r.latency_ms for r in usable if r.official]
    if officials:
        need = min(need, margin.beaten_below(min(officials)))
    return need


def median_floor(answered_ms: list[float], in_flight_ms: float, total: int) -> float:
    """Lowest median `total` samples can still reach: samples not yet taken might take no time."""
    pending = max(total - len(answered_ms) - 1, 0)
    return statistics.median(sorted([*answered_ms, in_flight_ms] + [0.0] * pending))


def why_stop(answered_ms: list[float], in_flight_ms: float, total: int, need_ms: float) -> str | None:
    """Whether a candidate still measuring can be stopped; the two rules of the docstring.

    "beaten": its answered samples and the one in flight prove it cannot reach
    `need_ms`. "silent": its current sample has gone unanswered for as long as
    a winning candidate's whole measurement.
    """
    if math.isinf(need_ms):
        return None
    if (answered_ms and statistics.median(answered_ms) > need_ms
            and median_floor(answered_ms, in_flight_ms, total) > need_ms):
        return "beaten"
    if in_flight_ms >= total * max(need_ms, 0.0):
        return "silent"
    return None


def rank(results: Iterable[ProbeResult], chosen: ProbeResult | None) -> list[ProbeResult]:
    """Best first: the choice, the other usable ones by latency, then the rest in probe order."""
    results = list(results)
    usable = sorted((r for r in _usable(results) if r is not chosen), key=lambda r: r.latency_ms)
    rest = [r for r in results if r is not chosen and r not in usable]
    return ([chosen] if chosen else []) + usable + rest


def choose_with_bytes(results: Iterable[ProbeResult], margin: Margin = OFFICIAL_MARGIN) -> ProbeResult | None:
    """choose_endpoint, never preferring a candidate whose large files cannot come through over one
    whose can (when every usable one fails, the metadata choice stands: the reason is shown)."""
    results = list(results)
    passing = [r for r in results if not r.bytes_fail]
    return choose_endpoint(passing, margin) or choose_endpoint(results, margin)


def client_uses_xet(environ: Mapping[str, str] | None = None) -> bool:
    """Whether huggingface_hub will download Xet-backed files through Xet: hf_xet installed and
    HF_HUB_DISABLE_XET not true (constants._is_true: 1, ON, YES, TRUE, any case)."""
    import importlib.util

    environ = os.environ if environ is None else environ
    if environ.get("HF_HUB_DISABLE_XET", "").strip().upper() in ("1", "ON", "YES", "TRUE"):
        return False
    try:
        return importlib.util.find_spec("hf_xet") is not None
    except (ImportError, ValueError):
        return False


MIN_ROUTE_BUDGET = 0.05  # seconds: with less left, the large-file route is reported as not followed
# A large file's route (the endpoint's HEAD, its storage hosts) gets at most this long, or ROUTE_FACTOR
# times the endpoint's median if that is longer: a storage host silent that long is what makes a
# download hang at 0%, and the rest of the budget is left to measure another candidate.
ROUTE_FLOOR, ROUTE_FACTOR = 1.0, 10


def follow_bytes(results: list[ProbeResult], chosen: ProbeResult | None, deadline: float,
                 say: Callable[[str], None], official_url: str) -> ProbeResult | None:
    """Follow the large-file route of the choice; while it cannot bring the bytes, of the next
    candidate that could win, within the probe's budget. Returns the choice, kept or changed."""
    tried: set[int] = set()
    while chosen is not None and id(chosen) not in tried:
        tried.add(id(chosen))
        if deadline - time.monotonic() < MIN_ROUTE_BUDGET:
            chosen.detail += Msg("; large-file route not followed: the budget was used up")
            break
        limit = max(ROUTE_FLOOR, ROUTE_FACTOR * (chosen.latency_ms or 0.0) / 1000.0)
        found = follow_route(chosen.url, min(deadline, time.monotonic() + limit), official_url)
        chosen.large_files = found
        summary = found.summary(client_uses_xet())
        chosen.detail = joined(chosen.detail, summary)
        say(f"hfenv:   {chosen.name}: {local(summary)}")
        if not found.bytes_fail:
            break
        chosen = choose_with_bytes(results)
    return chosen


def note_not_chosen(results: Iterable[ProbeResult], chosen: ProbeResult | None) -> None:
    """Say on each candidate passed over for its large files why it was not chosen."""
    if chosen is None or chosen.bytes_fail:
        return
    for result in results:
        if result.bytes_fail and result is not chosen:
            result.detail += Msg("; not chosen: {name}'s large files come through", name=chosen.name)


def follow_route(base_url: str, deadline: float, official_url: str) -> LargeFiles:
    """The network edge of follow_bytes (hubcheck.follow_large_file)."""
    return follow_large_file(base_url, deadline, purpose="probe", official_url=official_url)


# ---- the network edge: hubcheck ----------------------------------------------------

def measure_once(base_url: str, deadline: float, proxy: str | None = None, watch_for=None) -> Sample:
    """One Hub check (hubcheck.hub_check), as the probe takes it."""
    return hub_check(base_url, deadline, proxy, watch_for=watch_for, purpose="probe")


# ---- the probe -------------------------------------------------------------


@dataclass
class _Track:
    """One candidate's state, shared between its worker and the coordinator."""

    endpoint: Endpoint
    official: bool
    proxy: str | None
    answered: list[float] = field(default_factory=list)
    commit: str | None = None
    sample_started: float | None = None  # monotonic; None between samples
    result: ProbeResult | None = None
    finished_at: float | None = None
    watch: Watch | None = None  # the request in flight, for the coordinator to abort
    stopped_early: bool = False  # the early decision stopped it (measured again if the choice's bytes fail)

    def in_flight_ms(self, now: float) -> float:
        return 0.0 if self.sample_started is None else (now - self.sample_started) * 1000.0

    def finish(self, ok: bool, status: str, detail: str, now: float) -> None:
        samples = list(self.answered)
        self.result = ProbeResult(
            name=self.endpoint.name, url=self.endpoint.url, ok=ok, status=status,
            latency_ms=statistics.median(samples) if ok and samples else None,
            samples_ms=samples, detail=detail, proxy=self.proxy, official=self.official,
        )
        self.finished_at = now
        if self.watch is not None:  # a request still running is no longer needed: end it now
            self.watch.abort()


class _Probe:
    """Workers measure; the coordinator (the caller's thread) decides when to stop."""

    def __init__(self, candidates, timeout, samples, wait_all, progress, official_url):
        self.samples = samples
        self.timeout = timeout
        self.wait_all = wait_all
        self.progress = progress
        self.cond = threading.Condition()
        self.version = 0  # bumped by workers on every sample, so the coordinator never misses one
        self.started = time.monotonic()
        self.deadline = self.started + timeout
        self.official_url = official_url
        self.nested = False  # a second round inside another probe: no opening or closing line
        self.tracks = [
            _Track(c, same_origin(c.url, official_url), proxy_for(hub_check_url(c.url))) for c in candidates
        ]

    # -- workers --

    def measure(self, track: _Track) -> None:
        for index in range(self.samples):
            with self.cond:
                if track.result is not None:
                    return
                track.sample_started = time.monotonic()
                self.version += 1  # the coordinator must time this sample's rules from now
                self.cond.notify_all()
            try:
                sample = measure_once(track.endpoint.url, self.deadline, track.proxy,
                                      watch_for=lambda watch: self.watching(track, watch))
            except Exception as exc:  # a worker must always report, or its row would wait for the budget
                sample = Sample(Verdict("error", f"{type(exc).__name__}: {exc}"), 0.0)  # a bug's own words
            with self.cond:
                if track.result is not None:  # the coordinator stopped it meanwhile
                    return
                now = time.monotonic()
                track.sample_started = None
                verdict = sample.verdict
                if verdict.status == "timeout" and now >= self.deadline:
                    # The request's deadline was the probe's: the coordinator reports the budget
                    # (keeping any answered samples), whichever thread notices first.
                    self.stop_at_budget(now)
                elif verdict.status != "ok":
                    note = Msg(" (sample {index} of {total}; the earlier ones answered)", index=index + 1,
                               total=self.samples) if index else ""
                    track.finish(False, verdict.status, verdict.detail + note, now)
                else:
                    track.answered.append(sample.ms)
                    track.commit = verdict.commit
                    if len(track.answered) == self.samples:
                        track.finish(True, "ok", verdict.detail, now)
                self.version += 1
                self.cond.notify_all()

    def watching(self, track: _Track, watch: Watch) -> None:
        with self.cond:
            track.watch = watch
            if track.result is not None:
                watch.abort()

    # -- coordinator --

    def run(self) -> ProbeReport:
        if not self.nested:
            self.say("hfenv: " + _("probing {count} endpoint(s), up to {seconds} s...").format(
                count=len(self.tracks), seconds=f"{self.timeout:g}"))
        workers = [threading.Thread(target=self.measure, args=(track,), daemon=True,
                                    name=f"hfenv-probe-{track.endpoint.name}") for track in self.tracks]
        for worker in workers:
            worker.start()
        announced: set[int] = set()
        while True:
            with self.cond:
                now = time.monotonic()
                if now >= self.deadline:
                    self.stop_at_budget(now)
                elif not self.wait_all:
                    self.stop_early(now)
                news = [t for t in self.tracks if t.result is not None and id(t) not in announced]
                running = any(t.result is None for t in self.tracks)
                version = self.version
            for track in news:  # outside the lock: the callback may be slow
                announced.add(id(track))
                self.say(f"hfenv:   {_progress_line(track.result)}")
            if not running:
                break
            with self.cond:
                wait = self.next_check(time.monotonic()) - time.monotonic()
                self.cond.wait_for(lambda seen=version: self.version != seen, timeout=max(wait, 0.0005))
        # Every track is finished, so every request still running was aborted (its sockets shut
        # down): the workers end at once. Wait for them, so that no thread is inside the TLS
        # library when the interpreter exits.
        grace = time.monotonic() + JOIN_GRACE
        for track, worker in zip(self.tracks, workers):
            # A worker with no connection yet is in a name lookup or a connect, which cannot be
            # interrupted but is outside the TLS library: it is not worth delaying the answer.
            lookup = track.watch is not None and not track.watch.connected
            worker.join(LOOKUP_GRACE if lookup else max(grace - time.monotonic(), 0.0))
        results = [t.result for t in self.tracks]
        chosen = follow_bytes(results, choose_endpoint(results), self.deadline, self.say, self.official_url)
        if chosen is None or chosen.bytes_fail:
            chosen = self.second_round(chosen)
            results = [t.result for t in self.tracks]
        note_not_chosen(results, chosen)
        elapsed_ms = int(round((time.monotonic() - self.started) * 1000))
        if self.nested:
            pass
        elif chosen is None:
            self.say("hfenv: " + _("no usable endpoint ({ms} ms)").format(ms=elapsed_ms))
        else:
            self.say("hfenv: " + _("chose {name} ({ms} ms)").format(name=chosen.name, ms=elapsed_ms))
        return ProbeReport(
            chosen=Endpoint(chosen.name, chosen.url) if chosen else None,
            elapsed_ms=elapsed_ms, results=rank(results, chosen),
            candidates=[t.endpoint for t in self.tracks],
        )

    def second_round(self, chosen: ProbeResult | None) -> ProbeResult | None:
        """The choice's large files cannot come through: measure again, within what is left of the
        budget, the candidates the early decision stopped because that choice looked settled."""
        retry = [t for t in self.tracks if t.stopped_early]
        remaining = self.deadline - time.monotonic()
        if not retry or remaining < MIN_ROUTE_BUDGET:
            return chosen
        self.say("hfenv: " + _("{name}'s large files cannot come through; measuring {names} again").format(
            name=chosen.name if chosen else _("the choice"), names=", ".join(t.endpoint.name for t in retry)))
        again = _Probe([t.endpoint for t in retry], remaining, self.samples, self.wait_all, self.progress,
                       self.official_url)
        again.nested = True
        again = again.run()
        fresh = {(r.name, r.url): r for r in again.results}
        for track in retry:
            track.result = fresh[(track.endpoint.name, track.endpoint.url)]
        return choose_with_bytes([t.result for t in self.tracks])

    def say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def finished(self) -> list[ProbeResult]:
        return [t.result for t in self.tracks if t.result is not None]

    def stop_early(self, now: float) -> None:
        """Apply the early-decision rules to every candidate still measuring."""
        for track in self.tracks:
            if track.result is not None:
                continue
            done = self.finished()
            need = latency_to_win(track.official, done)
            why = why_stop(track.answered, track.in_flight_ms(now), self.samples, need)
            if why is None:
                continue
            track.stopped_early = True
            leader = choose_endpoint(done)
            fastest = min(_usable(done), key=lambda r: r.latency_ms)
            rival = [t for t in self.tracks if t.result is leader][0]
            settled_ms = (rival.finished_at - self.started) * 1000.0
            if track.answered and statistics.median(track.answered) > need:
                k = len(track.answered)
                if track.official:
                    against = Msg("not within {margin} of {name} ({ms} ms)", margin=OFFICIAL_MARGIN.text(),
                                  name=fastest.name, ms=f"{fastest.latency_ms:.0f}")
                elif leader.official:
                    against = Msg("{name} ({ms} ms) is kept unless a mirror answers in under {need} ms",
                                  name=leader.name, ms=f"{leader.latency_ms:.0f}", need=f"{max(need, 0):.0f}")
                else:
                    against = Msg("cannot beat {name} ({ms} ms)", name=leader.name, ms=f"{leader.latency_ms:.0f}")
                detail = Msg("commit {commit}; {k} of {total} samples, stopped early: {why}",
                             commit=(track.commit or "")[:12], k=k, total=self.samples, why=against)
                track.finish(True, "ok", detail, now)
            else:
                # EARLY_DECISION in doctor/endpoint.py matches these words ("had settled the choice",
                # "not needed: "): the English text of the Msg, whatever the language shown.
                why_not = Msg("{name} had settled the choice in {ms} ms", name=leader.name, ms=f"{settled_ms:.0f}")
                if need <= 0:  # an official Hub this fast is kept whatever a mirror does
                    why_not = Msg("not needed: {name} answered in {ms} ms, and the official Hub is kept within "
                                  "{margin} of any mirror", name=leader.name, ms=f"{leader.latency_ms:.0f}",
                                  margin=OFFICIAL_MARGIN.text())
                silent = f"{track.in_flight_ms(now):.0f}"
                detail = (Msg("sample {index} of {total}: no answer in {ms} ms; {why}", index=len(track.answered) + 1,
                              total=self.samples, ms=silent, why=why_not) if track.answered else
                          Msg("no answer in {ms} ms; {why}", ms=silent, why=why_not))
                track.finish(False, "timeout", detail, now)

    def stop_at_budget(self, now: float) -> None:
        for track in self.tracks:
            if track.result is not None:
                continue
            k = len(track.answered)
            if k:
                track.finish(True, "ok", Msg("commit {commit}; {k} of {total} samples within the {seconds} s budget",
                                             commit=(track.commit or "")[:12], k=k, total=self.samples,
                                             seconds=f"{self.timeout:g}"), now)
            else:
                track.finish(False, "timeout", Msg("no answer within the {seconds} s budget",
                                                   seconds=f"{self.timeout:g}"), now)

    def next_check(self, now: float) -> float:
        """When a rule could next stop someone (rules depend on time only through the sample in flight)."""
        wake = self.deadline
        if self.wait_all:
            return wake
        done = self.finished()
        for track in self.tracks:
            if track.result is not None or track.sample_started is None:
                continue
            need = latency_to_win(track.official, done)
            if math.isinf(need):
                continue
            for bound_ms in (max(need, 0.0), self.samples * max(need, 0.0)):
                at = track.sample_started + bound_ms / 1000.0 + 0.001
                if at > now:
                    wake = min(wake, at)
        return wake


def _progress_line(result: ProbeResult) -> str:
    if result.ok:
        return _("{name}: ok, {ms} ms").format(name=result.name, ms=f"{result.latency_ms:.0f}")
    return f"{result.name}: {result.status} ({local(result.detail)})"


def run_probe(candidates: list[Endpoint], *, timeout: float = DEFAULT_TIMEOUT, samples: int = DEFAULT_SAMPLES,
              wait_all: bool = False, progress: Callable[[str], None] | None = None,
              official_url: str = CATALOG[OFFICIAL]) -> ProbeReport:
    """Probe every candidate at once and choose; returns within `timeout` whatever the hosts do.

    When the choice is made, requests still running are aborted (their sockets
    shut down) and the worker threads joined, within JOIN_GRACE (only a name
    lookup cannot be interrupted). Raises hubcheck.ProxyError when a proxy
    variable a candidate would use cannot be parsed. `official_url` says which
    URL is the official Hub (tests point it at a loopback server).
    """
    if samples < 1:
        raise ValueError("samples must be at least 1")
    if not timeout > 0:
        raise ValueError("timeout must be positive")
    if not candidates:
        return ProbeReport(chosen=None, elapsed_ms=0, results=[], candidates=[])
    return _Probe(list(candidates), float(timeout), int(samples), wait_all, progress, official_url).run()


# ---- human output -------------------------------------------------------------


def format_table(report: ProbeReport) -> str:
    """A table best first, the choice marked with '*', a reason on every row."""
    header = ("", _("endpoint"), _("status"), _("median"), _("samples (ms)"), _("url"), _("detail"))
    rows = [header]
    chosen = report.chosen
    for r in report.results:
        mark = "*" if chosen and (r.name, r.url) == (chosen.name, chosen.url) else ""
        median = f"{r.latency_ms:.0f} ms" if r.latency_ms is not None else "-"
        samples = " ".join(f"{s:.0f}" for s in r.samples_ms) or "-"
        rows.append((mark, r.name, r.status, median, samples, r.url, local(r.detail)))
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [" " * (w - _width(cell)) + cell if i == 3 else cell + " " * (w - _width(cell))
                 for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells + [row[-1]]).rstrip())
    lines.append(_verdict_line(report))
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: Chinese characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _verdict_line(report: ProbeReport) -> str:
    if report.chosen is None:
        return _("no usable endpoint (probed in {ms} ms): downloads from the Hub will fail "
                 "from here; see each reason above").format(ms=report.elapsed_ms)
    line = _("chosen: {name} ({url}), decided in {ms} ms").format(
        name=report.chosen.name, url=report.chosen.url, ms=report.elapsed_ms)
    usable = _usable(report.results)
    winner = next((r for r in usable if (r.name, r.url) == (report.chosen.name, report.chosen.url)), None)
    fastest = min(usable, key=lambda r: r.latency_ms) if usable else None
    if winner and fastest and winner.official and fastest is not winner and fastest.latency_ms < winner.latency_ms:
        line += _("; the official Hub is kept: within {margin} of {name} ({ms} ms)").format(
            margin=local(OFFICIAL_MARGIN.text()), name=fastest.name, ms=f"{fastest.latency_ms:.0f}")
    return line


# ---- cache ----------------------------------------------------------------------


def cache_path() -> Path:
    """`probe.json` in the platform's cache directory (endpoints.cache_dir)."""
    from .endpoints import cache_dir

    return cache_dir() / "probe.json"


def network_fingerprint(environ: Mapping[str, str] | None = None) -> str:
    """A hash of the variables that change what a probe sees (proxies, CA bundle); never their values."""
    environ = os.environ if environ is None else environ
    names = {n for n in environ if n.lower().endswith("_proxy")} | {n for n in _CA_ENV if n in environ}
    relevant = sorted((name, environ[name]) for name in names)
    return hashlib.sha256(json.dumps(relevant).encode()).hexdigest()


def save_cache(report: ProbeReport, path: Path | None = None) -> Path | None:
    """Write the report for `hfenv shell`/`setup`; a cache that cannot be written is not an error."""
    path = path or cache_path()
    home = os.environ.get("HOME")
    if home and os.path.isabs(home) and not os.path.isdir(home) and str(path).startswith(home.rstrip("/") + "/"):
        return None  # a HOME that does not exist: the cache would create it
    data = {
        "version": CACHE_VERSION,
        "created": report.created,
        "network": network_fingerprint(),
        "candidates": [c.as_dict() for c in report.candidates],
        **report.to_json(),
    }
    for result, raw in zip(report.results, data["results"]):
        _keep_message(raw, result.detail)
        if result.large_files is not None:
            _keep_message(raw["large_files"]["http"], result.large_files.http.detail)
            if result.large_files.xet is not None:
                _keep_message(raw["large_files"]["xet"], result.large_files.xet.detail)
    try:
        write_json_atomic(path, data)
    except OSError:
        return None
    return path


def _keep_message(raw: dict, detail: str) -> None:
    """Beside a cached detail's text, its Msg structure ("detail_msg"), for `local()` after loading."""
    if isinstance(detail, Msg):
        raw["detail_msg"] = message_data(detail)


MAX_CACHE_BYTES = 1 << 20  # a report of a few candidates is a few KiB


def load_cache(max_age: float = CACHE_MAX_AGE, path: Path | None = None, *,
               candidates: Iterable[Endpoint] | None = None) -> ProbeReport | None:
    """The last report if it is fresh, consistent with itself, found a usable endpoint, and was
    made under the same proxy and CA settings (and, when `candidates` is given, for exactly
    those); else None. A cache is a hint: on any doubt it is ignored, never an error.
    """
    path = path or cache_path()
    try:
        data = json.loads(_read_small_file(path, MAX_CACHE_BYTES).decode("utf-8"))
        report = _report_from_cache(data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError, OverflowError, EndpointError):
        return None  # OverflowError: a 400-digit number where a time or a latency belongs
    age = time.time() - report.created
    if not -60.0 <= age <= max_age:  # a little clock skew is fine, a future date is not
        return None
    if report.chosen is None or data.get("network") != network_fingerprint():
        return None
    if candidates is not None:
        asked = list(candidates)
        if len(set(asked)) != len(asked) or set(asked) != set(report.candidates):
            return None
    return report


def _read_small_file(path: Path, limit: int) -> bytes:
    """A regular file's bytes, at most `limit` (a FIFO or a device there is refused, not waited on)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path} is larger than {limit} bytes")
    return data


def _cached_endpoint(data) -> Endpoint:
    """A name and URL from the cache, held to the rules a --candidate meets."""
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not isinstance(data.get("url"), str):
        raise ValueError("bad endpoint in cache")
    url, _warnings = check_url(data["url"])
    if url != data["url"]:
        raise ValueError("cached URL is not in normal form")
    name = data["name"]
    if name != name_for_url(url, {}):
        check_name(name)
    return Endpoint(name, url)


def cache_choice(results):  # the rule a cached choice is checked with: the probe's own (one line to change)
    return choose_endpoint(results)


def _report_from_cache(data: Mapping) -> ProbeReport:
    """The cached report, checked against itself: every URL passes check_url, the results are
    exactly those of its candidates, and `chosen` is one of its own usable results."""
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        raise ValueError("not a cache file of this version")
    created = data["created"]
    elapsed = data["elapsed_ms"]
    if not isinstance(created, (int, float)) or not isinstance(elapsed, int) or isinstance(elapsed, bool):
        raise ValueError("bad times")
    if not math.isfinite(created):
        raise ValueError("bad time")
    if not isinstance(data["results"], list) or not isinstance(data["candidates"], list):
        raise ValueError("bad lists")
    candidates = [_cached_endpoint(c) for c in data["candidates"]]
    results = [ProbeResult.from_json(r) for r in data["results"]]
    pairs = [_cached_endpoint({"name": r.name, "url": r.url}) for r in results]
    if len(set(candidates)) != len(candidates) or len(set(pairs)) != len(pairs) or set(pairs) != set(candidates):
        raise ValueError("results are not those of the candidates")
    chosen = data["chosen"]
    if chosen is not None:
        chosen = _cached_endpoint(chosen)
        usable = [r for r in results if r.ok and r.status == "ok" and r.latency_ms is not None
                  and math.isfinite(r.latency_ms) and r.latency_ms >= 0]
        if not any((r.name, r.url) == (chosen.name, chosen.url) for r in usable):
            raise ValueError("chosen is not one of the usable results")
        again = cache_choice(results)  # what the probe would choose from these very results
        if again is None or (again.name, again.url) != (chosen.name, chosen.url):
            raise ValueError("chosen is not what its own results choose")
    return ProbeReport(chosen=chosen, elapsed_ms=elapsed, created=float(created), results=results,
                       candidates=candidates)
