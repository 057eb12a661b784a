"""A separate process for the kill and parallel tests of hfenv.writers.

    _killhelper.py loop LOCK FILE BODY_A BODY_B
        apply setup to FILE with BODY_A, then BODY_B, and so on until killed;
        prints "go" once the first write is about to start.
    _killhelper.py once LOCK GO BODY TAG FILE...
        wait until the file GO exists (a start barrier), then apply setup with
        BODY to every FILE in one run; with a TAG other than "hfenv", the
        block's markers are "# >>> TAG >>>" / "# <<< TAG <<<" (another tool's block).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hfenv.blocks import HASH_MARKERS, Markers  # noqa: E402
from hfenv.writers import Target  # noqa: E402

from plans import apply_setup  # noqa: E402


def main(argv: list[str]) -> None:
    mode, lock = argv[0], argv[1]
    if mode == "loop":
        target = Target("bash", Path(argv[2]))
        bodies = [argv[3].encode(), argv[4].encode()]
        print("go", flush=True)
        n = 0
        while True:
            apply_setup([target], {target: bodies[n % 2]}, lock)
            n += 1
    elif mode == "once":
        go, body, tag, files = argv[2], argv[3].encode(), argv[4], argv[5:]
        markers = HASH_MARKERS if tag == "hfenv" else Markers(f"# >>> {tag} >>>", f"# <<< {tag} <<<")
        targets = [Target("bash", Path(f), markers=markers) for f in files]
        deadline = time.monotonic() + 20
        while not os.path.exists(go) and time.monotonic() < deadline:
            time.sleep(0.002)
        apply_setup(targets, lambda t: body, lock)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
