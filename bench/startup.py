"""What `eval "$(hfenv shell)"` and `hfenv run` add to a shell's or a job's start.

Runs each command RUNS times, interleaved so that machine noise hits all alike, and prints
the median wall time of each and its ratio to `python -c pass` measured in the same run by
the same interpreter. The target (issue 13): `shell` and `run` with a saved choice or
--endpoint at most 3x the baseline, from the console script and from `python -m hfenv`.
Each of those is measured twice: as users run it (hfenv/fast.py answers before click loads)
and with HFENV_NO_FAST_PATH=1 ("[click]"), the path every other command line takes.

Usage: python bench/startup.py [RUNS] [--python PATH]

--python measures another installation (say a venv with hfenv installed from a wheel, as
users get it): its `python -m hfenv` and the `hfenv` console script beside it. An editable
install pays for its import hook in every Python start, the baseline included, so measure
a wheel install for the number users see.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = "python -c pass (baseline)"


FORCED_CLICK = {"HFENV_NO_FAST_PATH": "1"}


def commands(python: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    script = Path(python).parent / ("hfenv.exe" if os.name == "nt" else "hfenv")
    shell = ["shell", "--shell", "bash"]
    run = ["run", "--endpoint", "hf-mirror", "--", shutil.which("true") or "true"]
    table = {
        BASELINE: ([python, "-c", "pass"], {}),
        "python -c 'import click' (floor for a click CLI)": ([python, "-c", "import click"], {}),
    }
    for label, prefix in (("python -m hfenv", [python, "-m", "hfenv"]), ("hfenv (console script)", [str(script)])):
        if label.startswith("hfenv ") and not script.is_file():
            print(f"(no console script at {script}: skipped)", file=sys.stderr)
            continue
        for name, argv in ((f"{label} shell --shell bash --endpoint hf-mirror", shell + ["--endpoint", "hf-mirror"]),
                           (f"{label} shell --shell bash (saved choice)", shell),
                           (f"{label} run --endpoint hf-mirror -- true", run)):
            table[name] = (prefix + argv, {})
            table[f"{name} [click]"] = (prefix + argv, FORCED_CLICK)
    table["python -m hfenv shell --endpoint hf-mirror (detects the shell: click)"] = (
        [python, "-m", "hfenv", "shell", "--endpoint", "hf-mirror"], {})
    table["python -c 'import requests' (what is avoided)"] = ([python, "-c", "import requests"], {})
    table["python -c 'import huggingface_hub' (what is avoided)"] = ([python, "-c", "import huggingface_hub"], {})
    return table


def private_env(home: str) -> dict[str, str]:
    """A HOME with a saved choice, nothing else of the user's; .pyc files may be written."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "XDG_")) and k not in ("PYTHONDONTWRITEBYTECODE", "HFENV_NO_FAST_PATH")}
    env["HOME"] = home
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=30)
    parser.add_argument("--python", default=sys.executable, help="the Python of the installation to measure")
    args = parser.parse_args()
    table = commands(args.python)
    times: dict[str, list[float]] = {name: [] for name in table}
    with tempfile.TemporaryDirectory() as home:
        env = private_env(home)
        subprocess.run([args.python, "-m", "hfenv", "setup", "--endpoint", "hf-mirror"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        for argv, extra in table.values():  # warm the page cache and write the .pyc files once
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**env, **extra},
                           check=False)
        for _ in range(args.runs):
            for name, (argv, extra) in table.items():
                run_env = {**env, **extra}
                start = time.perf_counter()
                subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=run_env, check=False)
                times[name].append(time.perf_counter() - start)
    base, base_min = statistics.median(times[BASELINE]), min(times[BASELINE])
    print(f"{args.python}: {args.runs} runs each, interleaved; median wall time and ratio to the baseline,")
    print("then the same for the fastest run (steadier on a busy machine)")
    for name, samples in times.items():
        median, fastest = statistics.median(samples), min(samples)
        print(f"{median * 1000:8.1f} ms {median / base:5.2f}x "
              f"{fastest * 1000:8.1f} ms {fastest / base_min:5.2f}x  {name}")


if __name__ == "__main__":
    main()
