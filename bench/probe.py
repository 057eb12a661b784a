"""How fast `hfenv probe` decides, on loopback servers with injected latencies and blackholes.

    python bench/probe.py [--runs N]

For each scenario it prints the probe's decision time next to (a) the winner's
own measurement (the sum of its samples: no probe that measures the winner can
decide sooner) and (b) a naive sequential check with 10 s timeouts, as ratios
from the same runs (medians over --runs). The naive check runs the same Hub
check one candidate after another, the same number of samples each, giving up
on a candidate at its first failure; to keep the bench short its timeout is
really NAIVE_REAL_TIMEOUT seconds and each timeout it hits is counted as 10 s
(`measured + timeouts x (10 - NAIVE_REAL_TIMEOUT)`). Needs the test extras
(trustme, pytest), since the servers are those of tests/hubserver.py.

Every Hub serves the large test file as the real Hub does (a 302 to a storage host, a loopback
"cdn" server answering at once), so the probe's large-file route (SPEC 10: one HEAD of the file on
the winner, one HEAD to its storage host) is part of "probe decided". The last scenario's official
Hub sends large files to a blackholed storage host: the probe then measures the mirror again and
chooses it, within the budget.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hfenv import probe  # noqa: E402
from hfenv.endpoints import Endpoint  # noqa: E402

from hubserver import LARGE_FILES, LoopbackServer, dead_url  # noqa: E402

NAIVE_TIMEOUT = 10.0
NAIVE_REAL_TIMEOUT = 0.5


@dataclass(frozen=True)
class Scenario:
    title: str
    hf: str | float  # seconds of latency, "blackhole" or "refused"
    mirror: str | float
    hf_storage: str = "cdn"  # where hf sends large files: "cdn" (answers) or "swallow" (never answers)


SCENARIOS = [
    Scenario("all healthy (hf 60 ms, hf-mirror 30 ms)", 0.060, 0.030),
    Scenario("all healthy, hf far (hf 300 ms, hf-mirror 30 ms)", 0.300, 0.030),
    Scenario("origin blackholed (hf-mirror 30 ms)", "blackhole", 0.030),
    Scenario("mirror blackholed (hf 60 ms)", 0.060, "blackhole"),
    Scenario("everything blackholed", "blackhole", "blackhole"),
    Scenario("everything refused", "refused", "refused"),
    Scenario("hf's large-file storage blackholed (hf 60 ms, hf-mirror 30 ms)", 0.060, 0.030, "swallow"),
]


def start(behaviour: str | float, storage: LoopbackServer):
    if behaviour == "refused":
        return None, dead_url()
    server = LoopbackServer("swallow") if behaviour == "blackhole" else LoopbackServer(
        "hub", delay=behaviour, large_files=LARGE_FILES, lfs_redirect=storage.url)
    server.start()
    return server, server.url


def naive_sequential(candidates: list[Endpoint], samples: int) -> float:
    """Seconds a one-at-a-time check with 10 s timeouts takes (timeouts extrapolated, see the docstring)."""
    began, timeouts = time.monotonic(), 0
    for endpoint in candidates:
        for _ in range(samples):
            sample = probe.measure_once(endpoint.url, time.monotonic() + NAIVE_REAL_TIMEOUT)
            if sample.verdict.status != "ok":
                timeouts += sample.verdict.status == "timeout"
                break
    return time.monotonic() - began + timeouts * (NAIVE_TIMEOUT - NAIVE_REAL_TIMEOUT)


def run_scenario(scenario: Scenario, runs: int) -> dict:
    decided, own, naive, choices = [], [], [], set()
    for _ in range(runs):
        cdn, hf_cdn = LoopbackServer("cdn").start(), LoopbackServer(scenario.hf_storage).start()
        hf_server, hf_url = start(scenario.hf, hf_cdn)
        mirror_server, mirror_url = start(scenario.mirror, cdn)
        candidates = [Endpoint("hf", hf_url), Endpoint("hf-mirror", mirror_url)]
        try:
            report = probe.run_probe(candidates, official_url=hf_url)
            decided.append(report.elapsed_ms / 1000)
            choices.add(report.chosen.name if report.chosen else "none")
            winner = report.results[0] if report.chosen else None
            if winner is not None:
                own.append(sum(winner.samples_ms) / 1000)
            naive.append(naive_sequential(candidates, probe.DEFAULT_SAMPLES))
        finally:
            for server in (hf_server, mirror_server, cdn, hf_cdn):
                if server is not None:
                    server.stop()
    return {
        "choice": "/".join(sorted(choices)),
        "decided": statistics.median(decided),
        "own": statistics.median(own) if own else None,
        "naive": statistics.median(naive),
    }


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per scenario (medians are printed)")
    args = parser.parse_args()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(name, None)  # loopback only, directly

    print(f"hfenv probe bench: {args.runs} runs per scenario (medians), {probe.DEFAULT_SAMPLES} samples, "
          f"budget {probe.DEFAULT_TIMEOUT:g} s, official-Hub margin {probe.OFFICIAL_MARGIN}; "
          f"Python {platform.python_version()}, {os.cpu_count()} CPUs; loopback servers, latency injected "
          f"before each answer's headers")
    print(f"naive = one candidate after another, {probe.DEFAULT_SAMPLES} samples each, {NAIVE_TIMEOUT:g} s "
          f"timeouts (run with {NAIVE_REAL_TIMEOUT:g} s, each timeout counted as {NAIVE_TIMEOUT:g} s)")
    print()
    header = ("scenario", "choice", "probe decided", "winner's own", "probe / own", "naive sequential",
              "naive / probe")
    rows = []
    for scenario in SCENARIOS:
        r = run_scenario(scenario, args.runs)
        rows.append((
            scenario.title, r["choice"], seconds(r["decided"]), seconds(r["own"]),
            f"{r['decided'] / r['own']:.2f}x" if r["own"] else "-",
            seconds(r["naive"]), f"{r['naive'] / r['decided']:.1f}x",
        ))
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |")


if __name__ == "__main__":
    main()
