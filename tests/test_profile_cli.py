"""`hfenv profile init|check|show`: the command-line surface of the lab profile."""

from __future__ import annotations

import json

from hfenv import persist, profile

from conftest import run


def test_init_writes_a_valid_template_and_never_over_a_file(tmp_path):
    target = tmp_path / "lab" / "profile.toml"
    result = run("profile", "init", str(target))
    assert result.exit_code == 0 and target.read_text() == profile.TEMPLATE
    target.write_text("# mine\n")
    again = run("profile", "init", str(target))
    assert again.exit_code == 1 and str(target) in again.output
    assert target.read_text() == "# mine\n"
    assert run("profile", "check", str(target)).exit_code == 0


def test_init_default_is_the_users_profile():
    assert run("profile", "init").exit_code == 0
    assert profile.user_profile_path().read_text() == profile.TEMPLATE
    shown = json.loads(run("profile", "show", "--json").output)
    assert shown["source"] == str(profile.user_profile_path()) and "user" in shown["why"]


def test_check_prints_effective_settings_or_exit_2_with_file_line_key(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('[endpoints]\norder = ["hf-mirror", "hf"]\nchoose = "first"\n')
    result = run("profile", "check", str(good))
    assert result.exit_code == 0
    assert 'endpoints.order = ["hf-mirror", "hf"]' in result.output and 'endpoints.choose = "first"' in result.output
    data = json.loads(run("profile", "check", str(good), "--json").output)
    assert data["settings"]["endpoints"]["choose"] == "first"
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "lab"\n\n[token]\nthird_party = "sometimes"\n')
    result = run("profile", "check", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:4: token.third_party: 'sometimes' is not one of never, allow" in result.output
    assert "Traceback" not in result.output


def test_check_without_any_profile_is_exit_2():
    result = run("profile", "check")
    assert result.exit_code == 2 and "no profile to check" in result.output


def test_show_says_which_and_why(tmp_path, monkeypatch):
    root = tmp_path / "root"
    (root / "etc" / "hfenv").mkdir(parents=True)
    machine = root / "etc" / "hfenv" / "profile.toml"
    machine.write_text('name = "Vision Lab"\n')
    monkeypatch.setattr(persist, "SYSTEM_ROOT", root)
    result = run("profile", "show")
    assert result.exit_code == 0 and f"in effect: {machine} (the machine's profile)" in result.output
    assert 'name = "Vision Lab"' in result.output
    other = tmp_path / "other.toml"
    other.write_text('name = "Other"\n')
    data = json.loads(run("profile", "show", "--json", env={"HFENV_PROFILE": str(other)}).output)
    assert data["source"] == str(other) and data["settings"]["name"] == "Other"
    assert [p["present"] for p in data["looked"]] == [False, True, False, True]
    data = json.loads(run("profile", "show", "--json", "--no-profile").output)
    assert data["source"] is None and "--no-profile" in data["why"]
    data = json.loads(run("profile", "show", "--json", "--root", str(tmp_path / "none")).output)
    assert data["source"] is None


def test_show_of_a_broken_profile_is_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[cache]\nhub = 3\n")
    result = run("profile", "show", "--profile", str(bad))
    assert result.exit_code == 2 and f"{bad}:2: cache.hub: must be a string" in result.output


def test_check_a_url_profile_reports_its_origin(tmp_path, serve, tls_ca, ca_bundle, monkeypatch):
    from hubserver import HUB_FILES, server_tls

    monkeypatch.setenv("SSL_CERT_FILE", str(ca_bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_bundle))
    hub = serve("hub", tls=server_tls(tls_ca), files={**HUB_FILES, "lab/p": {"p.toml": b'name = "Lab"\n'}})
    url = f"{hub.url}/lab/p/resolve/main/p.toml"
    result = run("profile", "check", url)
    assert result.exit_code == 0 and f"{url}: valid" in result.output and "origin 127.0.0.1" in result.output
    hub.stop()
    result = run("profile", "check", url)  # check judges the URL itself, never the kept copy
    assert result.exit_code == 2 and "cannot fetch it" in result.output
