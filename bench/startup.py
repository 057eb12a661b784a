"""How long `eval "$(hfenv shell --endpoint ...)"` adds to a shell's start.

Runs each command RUNS times, interleaved so that machine noise hits all alike,
and prints the median wall time of each as a ratio to `python -c pass`
measured in the same run. Usage: python bench/startup.py [RUNS]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

PY = sys.executable
COMMANDS = {
    "python -c pass (baseline)": [PY, "-c", "pass"],
    "python -m hfenv shell --shell bash --endpoint hf-mirror": [PY, "-m", "hfenv", "shell", "--shell", "bash",
                                                                "--endpoint", "hf-mirror"],
    "python -m hfenv shell --endpoint hf-mirror (detects the shell)": [PY, "-m", "hfenv", "shell",
                                                                       "--endpoint", "hf-mirror"],
    "python -c 'import click' (floor for a click CLI)": [PY, "-c", "import click"],
    "python -c 'import requests' (what is avoided)": [PY, "-c", "import requests"],
    "python -c 'import huggingface_hub' (what is avoided)": [PY, "-c", "import huggingface_hub"],
}
if shutil.which("hfenv"):
    COMMANDS["hfenv shell --shell bash --endpoint hf-mirror (console script)"] = [
        shutil.which("hfenv"), "shell", "--shell", "bash", "--endpoint", "hf-mirror"]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for name, argv in COMMANDS.items():  # warm the page cache and the .pyc files once
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    for _ in range(runs):
        for name, argv in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["python -c pass (baseline)"])
    print(f"{runs} runs each, interleaved; median wall time and ratio to the baseline")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{median * 1000:8.1f} ms  {median / base:5.2f}x  {name}")


if __name__ == "__main__":
    main()
