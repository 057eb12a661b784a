# Run by hfenv doctor --download in a fresh interpreter (python -c REPO FILE): one hf_hub_download, one JSON line.
import json
import logging
import os
import sys
import time

began = time.monotonic()
class FirstFailure(logging.Handler):
    # huggingface_hub logs "... thrown while requesting ..." before each retry, with growing pauses:
    # one attempt is the proof; report its failure at once instead of retrying for many seconds.
    def emit(self, record):
        message = record.getMessage()
        if "thrown while requesting" in message:
            print(json.dumps({"ok": False, "chain": [["attempt", message[:600]]], "retried": False,
                              "seconds": time.monotonic() - began}), flush=True)
            os._exit(0)
logging.getLogger("huggingface_hub").addHandler(FirstFailure())
logging.getLogger("huggingface_hub.utils._http").setLevel(logging.WARNING)  # whatever HF_HUB_VERBOSITY says
try:
    from huggingface_hub import hf_hub_download
    path = hf_hub_download(sys.argv[1], sys.argv[2])
    print(json.dumps({"ok": True, "size": os.path.getsize(path), "seconds": time.monotonic() - began}))
except BaseException as exc:
    chain, seen, current = [], set(), exc
    while current is not None and id(current) not in seen and len(chain) < 8:
        seen.add(id(current))
        chain.append([type(current).__module__ + "." + type(current).__name__, str(current)[:600]])
        current = current.__cause__ or current.__context__
    print(json.dumps({"ok": False, "chain": chain, "seconds": time.monotonic() - began}))
