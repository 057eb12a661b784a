"""`hfenv onboard`: the lab's onboarding page in Markdown (SPEC 9).

Pure: the page is a function of the profile, the language and the OS list. No dates, no
machine paths, a stable order, so a lab can commit the page and review its diff. The
"this shell only" lines come from render.render_shell_code, the code `hfenv shell` runs,
so the page and the tool never disagree. The page's words live in hfenv/onboard_text.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from . import onboard_text, render, shells
from .endpoints import CATALOG, Endpoint

LANGS = ("en", "zh-CN")
OSES = ("linux", "macos", "windows")
# Default candidates without a profile: the probe's catalog, mirror first.
DEFAULT_ORDER = ("hf-mirror", "hf")
MODEL = "openai-community/gpt2"
MODEL_FILE = "config.json"
DATASET = "stanfordnlp/imdb"
MODELSCOPE_SWITCHES = [("USE_MODELSCOPE_HUB", "1"), ("VLLM_USE_MODELSCOPE", "true")]
# Which shells the page shows for each OS, and the fence label of each.
OS_SHELLS = {"linux": ("bash", "fish"), "macos": ("zsh", "fish"), "windows": ("powershell", "cmd")}
FENCE = {"bash": "bash", "zsh": "zsh", "fish": "fish", "powershell": "powershell", "cmd": "bat"}

# Troubleshooting: doctor's finding codes ("section.code") -> key of onboard_text's fixes.
# tests/test_onboard.py checks every key against the codes hfenv/doctor's modules emit.
TROUBLE = (
    "layers.process-only", "layers.not-for-this-shell", "layers.other-shells-only", "layers.files-disagree",
    "layers.not-exported", "layers.malformed", "layers.saved-differs",
    "client.unavailable", "client.endpoint-overridden", "client.offline",
    "endpoint.unusable", "endpoint.nothing-usable", "token.invalid", "token.third-party",
    "large_files.no-commit", "large_files.xet-route", "download.failed", "download.timeout",
    "network.socks", "network.ca-missing", "storage.not-writable", "storage.low-disk",
    "tools.lfs-not-installed", "tools.git-mirror-differs",
    "lab.invalid", "lab.variable", "lab.shared-cache-write", "lab.shared-cache-lock", "lab.ca-bundle",
)
# Rows about a lab's setting appear only on the page of a profile that has it.
TROUBLE_NEEDS = {"lab.invalid": "profile", "lab.variable": "profile", "lab.shared-cache-write": "cache_shared",
                 "lab.shared-cache-lock": "cache_shared", "lab.ca-bundle": "ca_bundle"}


def trouble_codes(prof) -> list[str]:
    """The troubleshooting table's codes for this profile (None: the defaults), in doctor's order."""
    def wanted(code: str) -> bool:
        need = TROUBLE_NEEDS.get(code)
        return need is None or (prof is not None and (need == "profile" or bool(getattr(prof, need))))

    return [code for code in TROUBLE if wanted(code)]


def default_lang(env: Mapping[str, str] | None = None) -> str:
    """HFENV_LANG (en | zh-CN) wins; else LC_ALL, LC_MESSAGES, LANG (first set) starting with zh."""
    env = os.environ if env is None else env
    chosen = env.get("HFENV_LANG", "")
    if chosen in LANGS:
        return chosen
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(var):
            return "zh-CN" if env[var].lower().startswith("zh") else "en"
    return "en"


def parse_oses(text: str | None) -> tuple[str, ...]:
    """'linux,windows' -> ('linux', 'windows') in the page's fixed order; ValueError naming a bad one."""
    if not text:
        return OSES
    asked = [part.strip().lower() for part in text.split(",") if part.strip()]
    bad = [name for name in asked if name not in OSES]
    if bad or not asked:
        from .i18n import _

        raise ValueError(_("--os: unknown {names}; choose from {choices}").format(
            names=", ".join(bad) or _("empty list"), choices=",".join(OSES)))
    return tuple(name for name in OSES if name in asked)


def candidates(prof) -> list[Endpoint]:
    """The lab's endpoints in order (the profile's, else the catalog's); unknown names are dropped."""
    if prof is not None and prof.order:
        return [Endpoint(name, prof.urls.get(name) or CATALOG[name])
                for name in prof.order if name in prof.urls or name in CATALOG]
    return [Endpoint(name, CATALOG[name]) for name in DEFAULT_ORDER]


def shell_pairs(prof, endpoint: Endpoint) -> list[tuple[str, str | None]]:
    """What `hfenv shell --endpoint URL` sets with this profile (cli.profile_pairs: one list for both)."""
    from .cli import profile_pairs

    pairs = profile_pairs(endpoint, None, prof)
    if prof is None or not prof.cache_hub:
        return pairs
    # The lab's cache as the profile wrote it (profile.py takes only absolute paths): render makes a
    # path absolute the way the generating machine reads it (a drive on Windows, `~` expanded), and
    # a committed page must not carry that machine's reading.
    return [(var, prof.cache_hub if var == "HF_HUB_CACHE" else value) for var, value in pairs]


def shell_code(shell_name: str, pairs) -> str:
    return render.render_shell_code(shells.get(shell_name), pairs)


def fence(label: str, body: str) -> str:
    return f"```{label}\n{body.rstrip(chr(10))}\n```\n"


def endpoint_arg(endpoint: Endpoint) -> str:
    """How `hfenv shell --endpoint` takes this endpoint: its catalog name, else its URL (profile names
    are not accepted there)."""
    return endpoint.name if CATALOG.get(endpoint.name) == endpoint.url else endpoint.url


def page_shells(oses: tuple[str, ...]) -> list[str]:
    """One shell per syntax the page shows, in page order (bash and zsh share one)."""
    seen = []
    for os_name in oses:
        for shell_name in OS_SHELLS[os_name]:
            shell_name = "bash" if shell_name == "zsh" else shell_name
            if shell_name not in seen:
                seen.append(shell_name)
    return seen


EVAL = {"bash": 'eval "$(hfenv shell)"', "fish": "hfenv shell | source",
        "powershell": "hfenv shell | Invoke-Expression",
        "cmd": "for /f \"delims=\" %i in ('hfenv shell --shell cmd') do %i"}


def build_page(prof, lang: str = "en", oses: tuple[str, ...] = OSES, profile_url: str | None = None) -> str:
    """The whole page. `profile_url`: the profile came from a URL, so laptops can follow it too.

    Without a profile (`prof` None) the page shows hfenv's defaults and says so: no lab policy,
    no lab cache, no git routing."""
    t = onboard_text.TEXT[lang]
    ends = candidates(prof)
    first = ends[0]
    pairs = shell_pairs(prof, first)
    name = (prof.name if prof is not None and prof.name else None)
    contact = prof.contact if prof is not None else None
    choose = prof.choose if prof is not None else "fastest"
    git_route = bool(prof is not None and prof.git_route)
    policy = "default" if prof is None else prof.third_party
    cache = next((value for var, value in pairs if var == "HF_HUB_CACHE"), None)
    out: list[str] = []
    add = out.append
    unix = [o for o in oses if o != "windows"]
    sh = "bash" if unix else "powershell"  # the label of a command that reads the same in both
    families = page_shells(oses)
    gap = t["sentence_gap"]  # between two sentences of one paragraph: a space in English, none in Chinese

    add(f"# {t['title'].format(lab=name) if name else t['title_default']}\n\n{t['intro']}\n")
    if prof is None:
        add("\n" + t["no_profile"] + "\n")
    if contact:
        add("\n" + t["contact"].format(contact=contact) + "\n")
    # Endpoints.
    add(f"\n## {t['h_endpoints']}\n\n{t['endpoints_intro']}\n\n| # | {t['col_name']} | URL |\n|---|---|---|\n")
    for i, e in enumerate(ends, 1):
        add(f"| {i} | `{e.name}` | <{e.url}> |\n")
    add("\n" + t["rule_" + choose] + "\n")
    if cache:
        add("\n" + t["cache"].format(cache=cache) + (gap + t["cache_shared"] if prof.cache_shared else "") + "\n")
    # Install.
    add(f"\n## {t['h_install']}\n\n")
    if unix:
        add(t["install_intro"] + "\n\n")
        add(fence("bash", "pipx install hfenv\n# " + t["or"] + "\npython3 -m pip install --user hfenv"))
        add("\n" + t["install_path"] + "\n\n" + t["install_venv"] + "\n\n")
        add(fence("bash", "python3 -m venv ~/.venvs/hfenv\n~/.venvs/hfenv/bin/pip install hfenv\n"
                          "mkdir -p ~/.local/bin\nln -sf ~/.venvs/hfenv/bin/hfenv ~/.local/bin/hfenv\n"
                          "hfenv --version"))
        add("\n")
    if "windows" in oses:
        add(t["install_windows"] + "\n\n")
        add(fence("powershell", "py -m pip install --user hfenv\npy -m hfenv --version"))
        add("\n" + t["install_windows_path"] + "\n")
    # For good.
    add(f"\n## {t['h_persist']}\n\n{t['persist_intro' if prof is not None else 'persist_intro_default']}\n\n")
    add(fence(sh, "hfenv setup --persist"))
    if unix:
        add("\n" + t["persist_shells"] + "\n")
    if profile_url:
        add("\n" + t["persist_url"] + "\n\n")
        add(fence(sh, f"hfenv setup --persist --profile {profile_url}"))
    elif prof is not None:
        add("\n" + t["persist_laptop"] + "\n")
    if git_route:
        add("\n" + t["persist_git"] + "\n")
    add("\n" + t["persist_after"] + "\n")
    # This shell only.
    add(f"\n## {t['h_shell']}\n\n{t['shell_intro'].format(endpoint=endpoint_arg(first))}\n")
    for os_name in oses:
        add(f"\n### {t['os_' + os_name]}\n")
        for shell_name in OS_SHELLS[os_name]:
            add(f"\n{t['shell_' + shell_name]}\n\n")
            add(fence(FENCE[shell_name], shell_code(shell_name, pairs)))
    add("\n" + t["shell_eval"] + "\n")
    for family in families:
        add(f"\n{t['shell_' + family]}\n\n")
        add(fence(FENCE[family], EVAL[family]))
    if "cmd" in families:
        add("\n" + t["shell_eval_cmd"] + "\n")
    add("\n" + t["run_intro"] + "\n\n")
    add(fence(sh, "hfenv run -- python train.py"))
    # Doctor.
    add(f"\n## {t['h_doctor']}\n\n{t['doctor_intro']}\n\n")
    add(fence(sh, "hfenv doctor\nhfenv doctor --download"))
    # Token.
    add(f"\n## {t['h_token']}\n\n{t['token_intro']}\n\n")
    if unix:
        add(fence("bash", "HF_ENDPOINT=https://huggingface.co hf auth login"))
    if "windows" in oses:
        add(("\n" + t["token_windows"] + "\n\n") if unix else "")
        add(fence("powershell", "$keep = $env:HF_ENDPOINT; $env:HF_ENDPOINT = 'https://huggingface.co'\n"
                                "hf auth login\n$env:HF_ENDPOINT = $keep"))
    add("\n" + t["token_store"] + "\n")
    add("\n" + t["token_" + policy] + "\n")
    # Download.
    add(f"\n## {t['h_download']}\n\n{t['download_intro']}\n\n")
    add(fence(sh, f"hf download {MODEL} {MODEL_FILE}"))
    add("\n")
    add(fence(sh, f"hf download {DATASET} --repo-type dataset"))
    if git_route:
        add("\n" + t["git_clone"] + "\n\n")
        add(fence(sh, f"git lfs install\ngit clone https://huggingface.co/{MODEL}"))
        add("\n" + t["git_size"] + "\n")
    add("\n" + t["python_hub"] + "\n\n")
    add(fence("python", "from huggingface_hub import hf_hub_download\n\n"
                        f"path = hf_hub_download({MODEL!r}, {MODEL_FILE!r})\nprint(path)"))
    add("\n" + t["python_libs"] + "\n\n")
    add(fence("python", "from transformers import AutoTokenizer\n\n"
                        f"tokenizer = AutoTokenizer.from_pretrained({MODEL!r})"))
    add("\n")
    add(fence("python", f"from datasets import load_dataset\n\nds = load_dataset({DATASET!r}, split='train')"))
    add("\n" + t["python_env"].format(endpoint=first.url) + (gap + t["python_datasets_cache"] if cache else "") + "\n")
    # ModelScope.
    add(f"\n## {t['h_modelscope']}\n\n{t['modelscope_intro']}\n\n")
    add(fence(sh, "pip install modelscope\nmodelscope download --model Qwen/Qwen2.5-0.5B-Instruct"))
    add("\n" + t["modelscope_switches"] + "\n")
    for family in families:
        add(f"\n{t['shell_' + family]}\n\n")
        add(fence(FENCE[family], shell_code(family, MODELSCOPE_SWITCHES)))
    if prof is not None and prof.modelscope:
        add("\n" + t["modelscope_profile"] + "\n")
    # Troubleshooting.
    add(f"\n## {t['h_trouble']}\n\n{t['trouble_intro']}\n\n| {t['col_code']} | {t['col_fix']} |\n|---|---|\n")
    for code in trouble_codes(prof):
        add(f"| `{code}` | {t['fix'][code]} |\n")
    add("\n" + (t["ask"].format(contact=contact) if contact else t["ask_default"]) + "\n")
    return "".join(out)
