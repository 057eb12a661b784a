# Run by hfenv doctor in a fresh interpreter (python -c): what huggingface_hub computes here, as one JSON line.
import importlib.util
import json
import os
import sys

out = {"python": sys.executable, "python_version": sys.version.split()[0],
       "raw_endpoint": os.environ.get("HF_ENDPOINT")}
def version(dist):
    try:
        from importlib.metadata import version as v
        return v(dist)
    except Exception:
        return None
def clean(text):
    return None if text is None else (text.replace("\r", "").replace("\n", "").strip() or None)
def file_problem(path):
    # A FIFO would hang the read, /dev/zero would fill the memory: look at the open file first.
    import stat
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return "is not a regular file (a FIFO, a device or a directory)"
        if st.st_size > 65536:
            return "is larger than 64 KiB"
    finally:
        os.close(fd)
    return None
def token_source(c):
    # Names only, never a value. huggingface_hub's own readers, without get_token(): that one may
    # refresh an OAuth token (a request, and a write) or run an OIDC exchange.
    present = ["$" + n for n in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN") if clean(os.environ.get(n))]
    blank = [n for n in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN") if n in os.environ and not clean(os.environ[n])]
    try:
        from huggingface_hub.utils import _auth as a
    except Exception:
        a = None
    path = getattr(c, "HF_TOKEN_PATH", None)
    problem = path and file_problem(path)
    try:
        in_file = bool(path and not problem and clean(open(path, encoding="utf-8", errors="replace").read(65537)))
    except OSError:
        in_file = False
    if in_file:
        present.append("the token file " + path)
    source = None
    if os.environ.get("HF_OIDC_RESOURCE"):
        source = "an OIDC token exchange ($HF_OIDC_RESOURCE)"
    elif a is None or not hasattr(a, "_get_token_from_environment") or not hasattr(a, "_get_token_from_file"):
        source = "unknown"
    elif a._get_token_from_environment():
        source = "$HF_TOKEN" if os.environ.get("HF_TOKEN") else "$HUGGING_FACE_HUB_TOKEN"
    elif problem:
        source = None
    else:
        try:
            source = "the token file " + path if a._get_token_from_file() else None
        except OSError:
            source = None
    return {"token_source": source, "token_present": present, "token_blank": blank,
            "token_file_problem": ("%s %s" % (path, problem)) if problem and source is None else None}
try:
    import huggingface_hub
    from huggingface_hub import constants as c
except Exception as exc:
    out["error"] = "%s: %s" % (type(exc).__name__, exc)
else:
    def g(*names):
        return next((getattr(c, n) for n in names if hasattr(c, n)), None)
    out.update(
        version=getattr(huggingface_hub, "__version__", None), endpoint=g("ENDPOINT"),
        hf_home=g("HF_HOME"), hub_cache=g("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"),
        xet_cache=g("HF_XET_CACHE"), token_path=g("HF_TOKEN_PATH"),
        offline=bool(g("HF_HUB_OFFLINE")), disable_xet=bool(g("HF_HUB_DISABLE_XET")),
        disable_implicit_token=bool(g("HF_HUB_DISABLE_IMPLICIT_TOKEN")),
    )
    out.update(token_source(c))
out["hf_xet"] = importlib.util.find_spec("hf_xet") is not None
out["hf_xet_version"] = version("hf_xet") or version("hf-xet")
out["socksio"] = importlib.util.find_spec("socksio") is not None
out["libraries"] = {d: version(d) for d in ("transformers", "datasets", "diffusers", "sentence-transformers")
                    if version(d)}
print(json.dumps(out))
