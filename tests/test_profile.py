"""The lab profile: format, strict checks with file:line:key, discovery, URL profiles and their copy."""

from __future__ import annotations

import os

import pytest

from hfenv import persist, profile
from hfenv.profile import ProfileError, key_line, locate, parse_profile, profile_variables

from hubserver import HUB_FILES, server_tls

FULL = """\
name = "Vision Lab"
contact = "hf-admin@lab.example.edu"

[endpoints]
order = ["lab", "hf-mirror", "hf"]
lab = "https://hf.lab.example.edu/"
choose = "first"

[cache]
hub = "/data/hf-cache"
shared = true

[network]
ca_bundle = "/etc/ssl/certs/lab-ca.pem"
xet = "off"
offline = false

[token]
third_party = "never"

[git]
route = true

[fallback]
modelscope = true
"""


def test_the_spec_example_parses_to_every_setting():
    p = parse_profile(FULL, "lab.toml")
    assert p.name == "Vision Lab" and p.contact == "hf-admin@lab.example.edu"
    assert p.order == ("lab", "hf-mirror", "hf") and p.urls == {"lab": "https://hf.lab.example.edu"}
    assert p.choose == "first" and p.cache_hub == "/data/hf-cache" and p.cache_shared
    assert p.ca_bundle == "/etc/ssl/certs/lab-ca.pem" and p.xet == "off" and not p.offline
    assert p.third_party == "never" and p.git_route and p.modelscope
    assert p.candidates({"hf": "https://huggingface.co", "hf-mirror": "https://hf-mirror.com"}) == [
        ("lab", "https://hf.lab.example.edu"), ("hf-mirror", "https://hf-mirror.com"), ("hf", "https://huggingface.co")]


def test_an_empty_profile_is_every_default():
    p = parse_profile("", "empty.toml")
    assert p.order == () and p.choose == "fastest" and p.third_party == "allow" and p.cache_hub is None


def test_the_init_template_is_a_valid_profile():
    assert parse_profile(profile.TEMPLATE, "t.toml").order == ()


@pytest.mark.parametrize("text, line, key, why", [
    ('name = "x"\ncolour = "red"\n', 2, "colour", "unknown key"),
    ('[endpoints]\norder = ["hf"]\n\n[cache]\nhub = "/x"\nsize = 3\n', 6, "cache.size", "unknown key"),
    ('[caches]\nhub = "/x"\n', 1, "caches", "unknown key"),
    ('[cache]\nshared = "yes"\nhub = "/x"\n', 2, "cache.shared", "must be true or false, not a string"),
    ('[network]\noffline = 1\n', 2, "network.offline", "must be true or false, not an integer"),
    ('name = 3\n', 1, "name", "must be a string"),
    ('[endpoints]\n\nlab = "ftp://x.example"\n', 3, "endpoints.lab", "scheme 'ftp' is not allowed"),
    ('[endpoints]\n"bad name" = "https://x.example"\n', 2, "endpoints.bad name", "is not allowed"),
    ('[endpoints]\nlab = "https://user:pw@x.example"\n', 2, "endpoints.lab", "userinfo"),
    ('[endpoints]\nchoose = "first"\norder = ["lab"]\n', 3, "endpoints.order", "neither in the catalog"),
    ('[endpoints]\norder = ["hf", "hf"]\n', 2, "endpoints.order", "twice"),
    ('[endpoints]\nchoose = "random"\n', 2, "endpoints.choose", "not one of fastest, first"),
    ('[cache]\nhub = "data/hf"\n', 2, "cache.hub", "relative"),
    ('[network]\nca_bundle = "lab-ca.pem"\n', 2, "network.ca_bundle", "relative"),
    ('[network]\nxet = "maybe"\n', 2, "network.xet", "not one of auto, on, off"),
    ('[token]\nthird_party = "sometimes"\n', 2, "token.third_party", "not one of never, allow"),
    ('[cache]\nshared = true\n', 2, "cache.shared", "needs [cache] hub"),
    ('cache = 3\n', 1, "cache", "must be a table"),
    ('endpoints.choose = "x"\n', 1, "endpoints.choose", "not one of"),
])
def test_bad_profiles_name_file_line_and_key(text, line, key, why):
    with pytest.raises(ProfileError) as info:
        parse_profile(text, "/etc/hfenv/profile.toml")
    exc = info.value
    assert (exc.line, exc.key) == (line, key), str(exc)
    assert why in exc.why
    assert str(exc).startswith(f"/etc/hfenv/profile.toml:{line}: {key}: ")


def test_invalid_toml_names_the_line():
    with pytest.raises(ProfileError) as info:
        parse_profile('name = "x"\n[cache\n', "p.toml")
    assert info.value.line == 2 and "not valid TOML" in str(info.value)


def test_key_line_finds_keys_in_their_own_table_only():
    text = '[a]\nhub = 1\n[cache]\n# hub = "/old"\n  hub = "/x"\n'
    assert key_line(text, "cache", "hub") == 5
    assert key_line(text, "a", "hub") == 2
    assert key_line(text, "cache", "missing") == 3  # the table's header, at least
    assert key_line(text, None, "nothing") is None


# ---- variables ------------------------------------------------------------------------


def test_variables_the_profile_implies():
    p = parse_profile(FULL, "lab.toml")
    pairs = dict(profile_variables(p, "https://hf.lab.example.edu"))
    assert pairs == {"HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
                     "SSL_CERT_FILE": "/etc/ssl/certs/lab-ca.pem", "REQUESTS_CA_BUNDLE": "/etc/ssl/certs/lab-ca.pem"}
    # The official Hub (by origin, not by string) keeps the token.
    assert "HF_HUB_DISABLE_IMPLICIT_TOKEN" not in dict(profile_variables(p, "HTTPS://huggingface.co:443/"))
    assert dict(profile_variables(p, None, fallback=True))["USE_MODELSCOPE_HUB"] == "1"
    assert dict(profile_variables(p, None, fallback=True))["VLLM_USE_MODELSCOPE"] == "true"
    assert "HF_HUB_DISABLE_XET" not in dict(profile_variables(p, None))  # network.xet: setup --xet's default
    assert dict(profile_variables(parse_profile("[network]\noffline = true\n", "x"), None)) == {"HF_HUB_OFFLINE": "1"}
    assert profile_variables(None, "https://hf-mirror.com") == []


# ---- discovery ------------------------------------------------------------------------


@pytest.fixture
def machine_root(tmp_path, monkeypatch):
    root = tmp_path / "root"
    (root / "etc" / "hfenv").mkdir(parents=True)
    monkeypatch.setattr(persist, "SYSTEM_ROOT", root)
    return root


def test_discovery_order_first_found_wins(machine_root, monkeypatch):
    machine = machine_root / "etc" / "hfenv" / "profile.toml"
    user = profile.user_profile_path()
    assert locate().source is None
    machine.write_text("")
    assert (locate().source, locate().why) == (str(machine), "the machine's profile")
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text("")
    assert locate().source == str(user)
    monkeypatch.setenv("HFENV_PROFILE", "/srv/env.toml")
    assert locate().source == "/srv/env.toml" and "HFENV_PROFILE" in locate().why
    assert locate("/flag.toml").source == "/flag.toml"
    assert locate("/flag.toml", no_profile=True).source is None
    assert [exists for _, exists in locate().looked] == [True, True]


def test_windows_machine_profile_is_under_programdata():
    path = profile.machine_profile_path(windows=True, env={"ProgramData": "D:\\PD"})
    assert str(path).replace("\\", "/").endswith("D:/PD/hfenv/profile.toml")


def test_local_reads_are_capped_and_regular_only(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text("#" * (64 * 1024 + 1))
    with pytest.raises(ProfileError, match="larger than 64 KiB"):
        profile.read_local(str(big))
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    with pytest.raises(ProfileError, match="FIFO"):
        profile.read_local(str(fifo))
    with pytest.raises(ProfileError, match="no such file"):
        profile.read_local(str(tmp_path / "none.toml"))


# ---- URL profiles ---------------------------------------------------------------------


def _profile_hub(serve, tls_ca, text: bytes):
    files = {**HUB_FILES, "lab/profile": {"profile.toml": text}}
    return serve("hub", tls=server_tls(tls_ca), files=files)


@pytest.fixture
def trust(ca_bundle, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_bundle))
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return ca_bundle


def test_url_profile_is_fetched_checked_and_copied(serve, tls_ca, trust):
    hub = _profile_hub(serve, tls_ca, FULL.encode())
    url = f"{hub.url}/lab/profile/resolve/main/profile.toml"  # a same-origin 307 on the way
    loaded = profile.load(locate(url))
    assert loaded.profile.name == "Vision Lab" and loaded.profile.source == url
    assert "origin 127.0.0.1" in loaded.note
    assert profile.copy_path(url).read_text() == FULL
    hub.stop()
    again = profile.load(locate(url))  # unreachable now: the copy stands in, and says so
    assert again.profile.order == ("lab", "hf-mirror", "hf")
    assert "could not be fetched" in again.note and str(profile.copy_path(url)) in again.note


def test_url_profile_refusals(serve, tls_ca, trust):
    with pytest.raises(ProfileError, match="https"):
        profile.load(locate("http://127.0.0.1:9/p.toml"))
    big = _profile_hub(serve, tls_ca, b"#" * (64 * 1024 + 10))
    with pytest.raises(ProfileError, match="larger than 64 KiB"):
        profile.load(locate(f"{big.url}/lab/profile/resolve/main/profile.toml"))
    bad = _profile_hub(serve, tls_ca, b"[cache]\nhub = 'rel'\n")
    url = f"{bad.url}/lab/profile/resolve/main/profile.toml"
    with pytest.raises(ProfileError) as info:
        profile.load(locate(url))
    assert str(info.value).startswith(f"{url}:2: cache.hub:")
    assert not profile.copy_path(url).exists()  # a bad profile is never kept
    away = serve("redirect", tls=server_tls(tls_ca), redirect_to="https://elsewhere.example")
    with pytest.raises(ProfileError, match="another origin"):
        profile.load(locate(f"{away.url}/p.toml"))
    missing = serve("status", tls=server_tls(tls_ca), status=404)
    with pytest.raises(ProfileError, match="answered 404"):
        profile.load(locate(f"{missing.url}/profile.toml"))
