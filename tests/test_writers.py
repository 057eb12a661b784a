"""Plans and their atomic application on real files in a temporary HOME."""

from __future__ import annotations

import fcntl
import hashlib
import os
import random
import select
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hfenv.blocks import HASH_MARKERS, BlockError, Markers, find_block, remove_block, set_block
from hfenv.writers import Change, Target, WriteError, apply, render_diff

from plans import POWERSHELL_MARKERS, apply_reset, apply_setup, plan_reset, plan_setup

HELPER = Path(__file__).with_name("_killhelper.py")
BODY = b"export HF_ENDPOINT='https://hf-mirror.com'\n"
OTHER = b"export HF_ENDPOINT='https://huggingface.co'\n"
BLOCK = b"# >>> hfenv >>>\n" + BODY + b"# <<< hfenv <<<\n"


@pytest.fixture
def lock(tmp_path):
    return tmp_path / "state" / "hfenv.lock"


def bash(path, **kw) -> Target:
    return Target("bash", Path(path), **kw)


def setup(targets, lock, body=BODY):
    return apply_setup(targets, lambda t: body, lock)


def actions(changes):
    return [c.action for c in changes]


def tree_hash(root: Path) -> str:
    """A hash of every name, type, mode, link target and content under root."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            h.update(f"{p}\0{st.st_mode:o}\0".encode())
            if stat.S_ISLNK(st.st_mode):
                h.update(os.readlink(p).encode())
            elif stat.S_ISREG(st.st_mode):
                h.update(Path(p).read_bytes())
    return h.hexdigest()


def temp_files(directory: Path) -> list[str]:
    return sorted(n for n in os.listdir(directory) if ".hfenv-" in n)


# --- idempotent, in place, reversible ---------------------------------------------------


def test_setup_creates_and_reset_deletes(isolated_home, lock):
    rc = isolated_home / ".bashrc"
    t = bash(rc)
    assert actions(plan_setup([t], {t: BODY})) == ["created"]
    assert actions(setup([t], lock)) == ["created"]
    assert rc.read_bytes() == BLOCK
    assert actions(plan_setup([t], {t: BODY})) == ["unchanged"]
    assert actions(apply_reset([t], lock)) == ["removed"]
    assert not rc.exists()
    assert actions(plan_reset([t])) == ["unchanged"]


def test_setup_twice_leaves_one_block(isolated_home, lock):
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"alias ll='ls -l'\n")
    t = bash(rc)
    assert actions(setup([t], lock)) == ["updated"]
    first = rc.read_bytes()
    assert actions(plan_setup([t], {t: BODY})) == ["unchanged"]
    assert actions(setup([t], lock)) == ["unchanged"]
    assert rc.read_bytes() == first
    assert first.count(b"# >>> hfenv >>>") == 1


def test_other_body_replaces_in_place(isolated_home, lock):
    rc = isolated_home / ".zshrc"
    head, tail = b"# mine\n", b"\n# >>> conda initialize >>>\nconda stuff\n# <<< conda initialize <<<\n"
    rc.write_bytes(head + BLOCK + tail)
    t = Target("zsh", rc)
    [change] = setup([t], lock, OTHER)
    assert change.action == "updated"
    assert rc.read_bytes() == head + BLOCK.replace(BODY, OTHER) + tail
    apply_reset([t], lock)
    assert rc.read_bytes() == head + tail


SEEDS = {
    "lf": b"# ~/.bashrc\nexport PATH=$HOME/bin:$PATH\n",
    "crlf": b"# ~/.bashrc\r\nexport PATH=$HOME/bin:$PATH\r\n",
    "no-final-newline": b"alias ll='ls -l'",
    "crlf-no-final-newline": b"a\r\nb",
    "not-utf8": b"# caf\xe9 \xff\xfe\x00 gbk:\xc4\xe3\xba\xc3\n",
    "bom": b"\xef\xbb\xbfecho hi\n",
    "only-newline": b"\n",
    "empty": b"",
}


@pytest.mark.parametrize("name", SEEDS)
def test_reset_after_setup_restores_byte_for_byte(isolated_home, lock, name):
    rc = isolated_home / ".bashrc"
    seed = SEEDS[name]
    rc.write_bytes(seed)
    t = bash(rc)
    setup([t], lock)
    data = rc.read_bytes()
    assert data.startswith(seed)
    assert data.count(b"# >>> hfenv >>>") == 1
    if b"\r\n" in seed:
        assert data.endswith(b"# <<< hfenv <<<\r\n")
    setup([t], lock, OTHER)
    assert actions(apply_reset([t], lock)) == ["updated"]  # an existing file is kept, even an empty one
    assert rc.read_bytes() == seed


def test_reset_without_block_changes_nothing(isolated_home, lock):
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"x\n")
    assert actions(apply_reset([bash(rc), bash(isolated_home / ".absent")], lock)) == ["unchanged", "unchanged"]
    assert rc.read_bytes() == b"x\n"
    assert not (isolated_home / ".absent").exists()


def test_user_lines_added_after_a_created_block_keep_the_file(isolated_home, lock):
    rc = isolated_home / ".profile"
    t = bash(rc)
    setup([t], lock)
    with open(rc, "ab") as f:
        f.write(b"export EDITOR=vi\n")
    assert actions(apply_reset([t], lock)) == ["updated"]
    assert rc.read_bytes() == b"export EDITOR=vi\n"


def test_crlf_new_file_with_newline_option(isolated_home, lock):
    profile = isolated_home / "Documents" / "PowerShell" / "profile.ps1"
    t = Target("powershell", profile, markers=POWERSHELL_MARKERS, newline=b"\r\n")
    setup([t], lock, b"$env:HF_ENDPOINT = 'https://hf-mirror.com'\n")
    expected = b"#region hfenv\r\n$env:HF_ENDPOINT = 'https://hf-mirror.com'\r\n#endregion hfenv\r\n"
    assert profile.read_bytes() == expected
    apply_reset([t], lock)
    assert not profile.exists()


# --- modes and owners ----------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o600, 0o755, 0o640, 0o4711])
def test_mode_is_kept(isolated_home, lock, mode):
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"x\n")
    os.chmod(rc, mode)
    t = bash(rc)
    setup([t], lock)
    assert stat.S_IMODE(rc.stat().st_mode) == mode
    apply_reset([t], lock)
    assert stat.S_IMODE(rc.stat().st_mode) == mode
    assert rc.read_bytes() == b"x\n"


def test_new_file_mode_follows_umask_or_target(isolated_home, lock):
    old = os.umask(0o027)
    try:
        setup([bash(isolated_home / "a")], lock)
        setup([bash(isolated_home / "b", mode=0o644)], lock)
    finally:
        os.umask(old)
    assert stat.S_IMODE((isolated_home / "a").stat().st_mode) == 0o640
    assert stat.S_IMODE((isolated_home / "b").stat().st_mode) == 0o644


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="changing owners needs root")
def test_owner_is_kept(isolated_home, lock):
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"x\n")
    os.chown(rc, 4321, 4322)
    setup([bash(rc)], lock)
    st = rc.stat()
    assert (st.st_uid, st.st_gid) == (4321, 4322)


# --- symlinks -----------------------------------------------------------------------


def test_symlink_stays_and_its_target_is_edited(isolated_home, lock):
    dotfiles = isolated_home / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "bashrc"
    real.write_bytes(b"# managed by stow\n")
    os.chmod(real, 0o600)
    rc = isolated_home / ".bashrc"
    rc.symlink_to(real)
    t = bash(rc)
    setup([t], lock)
    assert rc.is_symlink() and os.readlink(rc) == str(real)
    assert real.read_bytes() == b"# managed by stow\n\n" + BLOCK
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert temp_files(isolated_home) == [] and temp_files(dotfiles) == []
    apply_reset([t], lock)
    assert rc.is_symlink() and real.read_bytes() == b"# managed by stow\n"


def test_relative_symlink_chain(isolated_home, lock):
    (isolated_home / "dots" / "shell").mkdir(parents=True)
    real = isolated_home / "dots" / "shell" / "zshrc"
    real.write_bytes(b"setopt autocd\n")
    (isolated_home / "dots" / "zshrc").symlink_to("shell/zshrc")
    rc = isolated_home / ".zshrc"
    rc.symlink_to("dots/zshrc")
    before = tree_hash(isolated_home)
    setup([bash(rc)], lock)
    assert os.readlink(rc) == "dots/zshrc" and os.readlink(isolated_home / "dots" / "zshrc") == "shell/zshrc"
    assert real.read_bytes() == b"setopt autocd\n\n" + BLOCK
    apply_reset([bash(rc)], lock)
    assert tree_hash(isolated_home) == before


def test_dangling_symlink_gets_its_target_created(isolated_home, lock):
    (isolated_home / "dotfiles").mkdir()
    rc = isolated_home / ".bashrc"
    rc.symlink_to("dotfiles/bashrc")
    before = tree_hash(isolated_home)
    assert actions(setup([bash(rc)], lock)) == ["created"]
    assert rc.is_symlink() and (isolated_home / "dotfiles" / "bashrc").read_bytes() == BLOCK
    assert actions(apply_reset([bash(rc)], lock)) == ["removed"]
    assert rc.is_symlink() and not rc.exists()
    assert tree_hash(isolated_home) == before


def test_dangling_symlink_into_a_missing_directory_is_refused(isolated_home, lock):
    rc = isolated_home / ".bashrc"
    rc.symlink_to(isolated_home / "unmounted" / "dotfiles" / "bashrc")
    before = tree_hash(isolated_home)
    with pytest.raises(WriteError) as info:
        setup([bash(rc)], lock)
    assert info.value.path == rc
    assert "missing directory" in str(info.value)
    assert tree_hash(isolated_home) == before


def test_two_targets_resolving_to_one_file_get_one_block(isolated_home, lock):
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"x\n")
    (isolated_home / ".bash_profile").symlink_to(".bashrc")
    targets = [bash(rc), Target("bash-login", isolated_home / ".bash_profile")]
    assert actions(setup(targets, lock)) == ["updated", "unchanged"]
    assert rc.read_bytes() == b"x\n\n" + BLOCK
    assert actions(apply_reset(targets, lock)) == ["updated", "unchanged"]
    assert rc.read_bytes() == b"x\n"


@pytest.mark.parametrize("kind", ["dev-null", "directory"])
def test_only_regular_files_are_edited(isolated_home, lock, kind):
    rc = isolated_home / ".bashrc"
    if kind == "dev-null":
        rc.symlink_to(os.devnull)
    else:
        rc.mkdir()
    with pytest.raises(WriteError) as info:
        plan_setup([bash(rc)], {bash(rc): BODY})
    assert info.value.path == rc
    assert "regular file" in str(info.value)
    with pytest.raises(WriteError):
        setup([bash(rc)], lock)
    if kind == "dev-null":
        assert rc.is_symlink() and os.path.realpath(rc) == os.devnull


# --- owned files ---------------------------------------------------------------------


def test_owned_file_created_replaced_and_deleted(isolated_home, lock):
    confd = isolated_home / ".config" / "fish" / "conf.d"
    fish = Target("fish", confd / "hfenv.fish", owned=True)
    body = b"# >>> hfenv >>>\nset -gx HF_ENDPOINT 'https://hf-mirror.com'\n# <<< hfenv <<<\n"
    assert actions(setup([fish], lock, body)) == ["created"]
    assert fish.path.read_bytes() == body
    assert actions(setup([fish], lock, body)) == ["unchanged"]
    assert actions(setup([fish], lock, b"# >>> hfenv >>>\nset -gx HF_ENDPOINT x\n# <<< hfenv <<<\n")) == ["updated"]
    assert actions(apply_reset([fish], lock)) == ["removed"]
    assert not fish.path.exists()
    assert confd.is_dir()  # reset leaves directories: it cannot know who made them


# --- dry run and diff ----------------------------------------------------------------


def test_plan_and_diff_write_nothing(isolated_home):
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"caf\xe9\r\nlast line")
    (isolated_home / ".profile").write_bytes(b"x\n" + BLOCK)
    targets = [
        bash(rc),
        bash(isolated_home / ".profile"),
        Target("fish", isolated_home / ".config" / "fish" / "conf.d" / "hfenv.fish", owned=True),
    ]
    before = tree_hash(isolated_home)
    diffs = render_diff(plan_setup(targets, lambda t: OTHER))
    diffs += render_diff(plan_reset(targets))
    assert tree_hash(isolated_home) == before
    assert "caf\\xe9" in diffs
    assert "\\ No newline at end of file" in diffs
    assert "--- /dev/null\n+++ " + str(targets[2].path) in diffs
    assert "--- " + str(targets[1].path) + "\n+++ " + str(targets[1].path) in diffs


def test_diff_of_created_and_removed_files(isolated_home, lock):
    t = bash(isolated_home / ".bashrc")
    created = render_diff(plan_setup([t], {t: BODY}))
    assert created.startswith(f"--- /dev/null\n+++ {t.path}\n@@ -0,0 +1,3 @@\n+# >>> hfenv >>>\n")
    setup([t], lock)
    removed = render_diff(plan_reset([t]))
    assert removed.startswith(f"--- {t.path}\n+++ /dev/null\n@@ -1,3 +0,0 @@\n-# >>> hfenv >>>\n")
    assert render_diff(plan_setup([t], {t: BODY})) == ""


def test_diff_never_crashes_on_odd_bytes():
    t = bash("/nonexistent/x")
    change = Change(t, bytes(range(256)) * 3, b"\x00\r\n\x85\xe2\x80\xa8\n\xed\xa0\x80", "updated", lambda old: old)
    text = render_diff([change])
    text.encode("utf-8")  # printable as-is: no surrogates
    assert "\\x80" in text


# --- changes between plan and apply ---------------------------------------------------------


def test_apply_recomputes_from_fresh_content(isolated_home, lock):
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"a\n")
    t = bash(rc)
    plan = plan_setup([t], {t: BODY})
    rc.write_bytes(b"a\nb added meanwhile\n")
    setup([t], lock, OTHER)  # someone else's run, in between
    [done] = apply(plan, lock)
    assert done.action == "updated"
    assert rc.read_bytes() == b"a\nb added meanwhile\n\n" + BLOCK
    assert apply(plan, lock)[0].action == "unchanged"


def test_bad_markers_stop_before_anything_is_written(isolated_home, lock):
    good, bad = isolated_home / ".bashrc", isolated_home / ".profile"
    good.write_bytes(b"g\n")
    bad.write_bytes(b"p\n# >>> hfenv >>>\nx\n")
    targets = [bash(good), bash(bad)]
    before = tree_hash(isolated_home)
    with pytest.raises(BlockError) as info:
        setup(targets, lock)
    assert str(bad) in str(info.value) and "line 2" in str(info.value)
    assert tree_hash(isolated_home) == before
    plan = plan_setup(targets[:1], lambda t: BODY) + plan_setup([bash(isolated_home / ".x")], lambda t: BODY)
    (isolated_home / ".x").write_bytes(b"# <<< hfenv <<<\n")  # broken after planning
    before = tree_hash(isolated_home)
    with pytest.raises(BlockError, match=r"\.x: .*line 1"):
        apply(plan, lock)
    assert tree_hash(isolated_home) == before


# --- all or nothing ------------------------------------------------------------------------


def test_unwritable_second_target_rolls_back_the_first(isolated_home, lock):
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"mine\r\n")
    os.chmod(rc, 0o640)
    fish_dir = isolated_home / ".config" / "fish"
    new_file = fish_dir / "conf.d" / "hfenv.fish"
    # Tests run as root, which ignores permission bits: a regular file standing
    # where a directory must be created fails for everyone.
    blocker = isolated_home / "blocker"
    blocker.write_bytes(b"not a directory\n")
    third = isolated_home / ".profile"
    targets = [bash(rc), Target("fish", new_file, owned=True), bash(blocker / "sub" / "rc"), bash(third)]
    plan = plan_setup(targets, lambda t: BODY)
    assert actions(plan) == ["updated", "created", "created", "created"]
    before = tree_hash(isolated_home)
    with pytest.raises(WriteError) as info:
        apply(plan, lock)
    err = info.value
    assert err.path == blocker / "sub" / "rc"
    assert "not a directory" in err.reason.lower()
    assert str(blocker / "sub" / "rc") in str(err)
    assert err.unrestored == ()
    assert tree_hash(isolated_home) == before  # fish/ and conf.d/ created then removed again
    assert rc.read_bytes() == b"mine\r\n" and stat.S_IMODE(rc.stat().st_mode) == 0o640
    assert not fish_dir.exists() and not third.exists()


@pytest.fixture
def immutable(tmp_path):
    """chattr +i: even root cannot create files in such a directory."""
    marked = []
    probe = tmp_path / "chattr-probe"
    probe.mkdir()
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", probe], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here")
    subprocess.run(["chattr", "-i", probe], check=True)

    def mark(path: Path) -> None:
        subprocess.run(["chattr", "+i", path], check=True)
        marked.append(path)

    yield mark
    for path in marked:
        subprocess.run(["chattr", "-i", path], check=True)


def test_read_only_directory_rolls_back_reset(isolated_home, lock, immutable):
    """Reset removes one file and edits another, then meets an immutable directory."""
    created = isolated_home / ".profile"
    edited = isolated_home / ".bashrc"
    locked_dir = isolated_home / "ro"
    locked_dir.mkdir()
    locked = locked_dir / "rc"
    edited.write_bytes(b"e\n")
    locked.write_bytes(b"l\n")
    targets = [bash(created), bash(edited), bash(locked)]
    setup(targets, lock)
    os.chmod(created, 0o600)
    before = tree_hash(isolated_home)
    immutable(locked_dir)
    with pytest.raises(WriteError) as info:
        apply_reset(targets, lock)
    assert info.value.path == locked
    assert info.value.reason == "Operation not permitted"
    assert tree_hash(isolated_home) == before
    assert stat.S_IMODE(created.stat().st_mode) == 0o600


def test_lock_timeout(isolated_home, lock):
    lock.parent.mkdir(parents=True)
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        t0 = time.monotonic()
        with pytest.raises(WriteError, match="lock"):
            apply_setup([bash(isolated_home / ".bashrc")], lambda t: BODY, lock, timeout=0.2)
        assert time.monotonic() - t0 < 2
    assert not (isolated_home / ".bashrc").exists()


def test_stale_temp_files_are_cleaned(isolated_home, lock):
    rc = isolated_home / ".bashrc"
    stale = isolated_home / ".bashrc.hfenv-0123abcd"
    stale.write_bytes(b"half a file")
    unrelated = [isolated_home / ".bashrc.hfenv-notours", isolated_home / ".zshrc.hfenv-0123abcd"]
    for p in unrelated:
        p.write_bytes(b"keep")
    plan_setup([bash(rc)], lambda t: BODY)
    assert stale.exists()  # planning does not clean up
    setup([bash(rc)], lock)
    assert not stale.exists()
    assert all(p.exists() for p in unrelated)


def test_other_stores_plug_in_and_roll_back(isolated_home, lock):
    """A target that is not a file (the Windows environment) uses the same protocol."""

    class EnvStore:
        def __init__(self, fail: bool):
            self.values: dict[str, bytes] = {"PATH": b"C:\\bin"}
            self.fail = fail

        def key(self, target):
            return target.path.name

        def read(self, target):
            return self.values.get(target.path.name)

        def prepare(self, target):
            pass

        def write(self, target, new):
            name = target.path.name
            if self.fail:
                raise WriteError(target.path, "Access is denied")
            old = self.values.get(name)
            self.values[name] = new

            def undo():
                self.values[name] = old

            return undo

    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"x\n")
    ok = EnvStore(fail=False)
    env = Target("windows-user", Path("HKCU/Environment/HF_ENDPOINT"), owned=True, store=ok)
    assert actions(apply_setup([bash(rc), env], lambda t: b"https://hf-mirror.com", lock)) == ["updated", "created"]
    assert ok.values["HF_ENDPOINT"] == b"https://hf-mirror.com"
    apply_reset([bash(rc), env], lock)
    assert rc.read_bytes() == b"x\n" and ok.values.get("HF_ENDPOINT") is None

    bad = Target("windows-user", Path("HKCU/Environment/HF_ENDPOINT"), owned=True, store=EnvStore(fail=True))
    with pytest.raises(WriteError, match="Access is denied"):
        apply_setup([bash(rc), bad], lambda t: BODY, lock)
    assert rc.read_bytes() == b"x\n"


    class StuckStore(EnvStore):
        def write(self, target, new):
            super().write(target, new)

            def undo():
                raise WriteError(target.path, "The registry is locked")

            return undo

    stuck = Target("windows-user", Path("HKCU/Environment/HF_ENDPOINT"), owned=True, store=StuckStore(fail=False))
    with pytest.raises(WriteError) as info:
        apply_setup([stuck, bash(rc), bad], lambda t: BODY, lock)
    assert info.value.unrestored == ("HKCU/Environment/HF_ENDPOINT: The registry is locked",)
    assert "could not restore HKCU/Environment/HF_ENDPOINT: The registry is locked" in str(info.value)
    assert rc.read_bytes() == b"x\n"  # the file was still restored


# --- kill -9 and concurrent runs ---------------------------------------------------------------


def _user_content() -> bytes:
    line = b"export SOME_LONG_VARIABLE_NAME_%06d='a value with spaces and \xe4\xb8\xad\xe6\x96\x87'\n"
    return b"".join(line % i for i in range(50_000))  # ~4 MB


@pytest.mark.slow
def test_kill_at_random_moments_leaves_old_or_new(isolated_home, lock):
    rc = isolated_home / ".bashrc"
    seed = _user_content()
    rc.write_bytes(seed)
    a, b = "export HF_ENDPOINT=A\n", "export HF_ENDPOINT=B\n"
    expected = {
        seed: "original",
        set_block(seed, a.encode(), HASH_MARKERS, "rc"): "A",
        set_block(seed, b.encode(), HASH_MARKERS, "rc"): "B",
    }
    rng = random.Random(1234)
    seen = set()
    for _ in range(30):
        proc = subprocess.Popen(
            [sys.executable, str(HELPER), "loop", str(lock), str(rc), a, b],
            stdout=subprocess.PIPE,
        )
        try:
            ready, _, _ = select.select([proc.stdout], [], [], 20)
            assert ready and proc.stdout.readline() == b"go\n"
            time.sleep(rng.uniform(0, 0.25))
            assert proc.poll() is None, "the writer died on its own"
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        data = rc.read_bytes()
        assert data in expected, "torn file"
        seen.add(expected[data])
        temps = temp_files(isolated_home)
        assert len(temps) <= 1, temps  # at most the killed run's own; the next run cleans it
    assert seen & {"A", "B"}
    setup([bash(rc)], lock)
    assert temp_files(isolated_home) == []
    assert remove_block(rc.read_bytes(), HASH_MARKERS, "rc") == seed


@pytest.mark.slow
@pytest.mark.parametrize("same_body", [True, False], ids=["same-body", "different-bodies"])
def test_parallel_setups_converge(isolated_home, lock, same_body):
    seeded = isolated_home / ".bashrc"
    seed = b"# user content\r\nalias ll='ls -l'\r\n" * 200
    seeded.write_bytes(seed)
    fresh = isolated_home / ".config" / "sh" / "profile"
    go = isolated_home / "go"
    bodies = [f"export HF_ENDPOINT=https://m{0 if same_body else i}.example\n" for i in range(8)]
    procs = [
        subprocess.Popen([sys.executable, str(HELPER), "once", str(lock), str(go), body, "hfenv",
                          str(seeded), str(fresh)])
        for body in bodies
    ]
    time.sleep(0.3)
    go.write_bytes(b"")
    for p in procs:
        assert p.wait(timeout=60) == 0
    results = []
    for path, before in ((seeded, seed), (fresh, b"")):
        data = path.read_bytes()
        assert data.count(b"# >>> hfenv >>>") == 1 and data.count(b"# <<< hfenv <<<") == 1
        start, end = find_block(data, HASH_MARKERS, str(path))
        assert remove_block(data, HASH_MARKERS, str(path)) == before  # user content intact
        results.append(data[start:end].replace(b"\r\n", b"\n"))
    assert results[0] == results[1]  # both files from the same run
    assert results[0] in {b"# >>> hfenv >>>\n" + b.encode() + b"# <<< hfenv <<<\n" for b in bodies}
    assert temp_files(isolated_home) == [] and temp_files(fresh.parent) == []


@pytest.mark.slow
def test_parallel_edits_of_one_file_lose_nothing(isolated_home, lock):
    """Eight runs each add their own block to one file: planned from the same old
    bytes, they would overwrite each other; recomputed under the lock, all stay."""
    rc = isolated_home / ".bashrc"
    seed = b"# user content\n" * 500
    rc.write_bytes(seed)
    go = isolated_home / "go"
    tags = [f"tool{i}" for i in range(8)]
    procs = [
        subprocess.Popen([sys.executable, str(HELPER), "once", str(lock), str(go), f"X={tag}\n", tag, str(rc)])
        for tag in tags
    ]
    time.sleep(0.3)
    go.write_bytes(b"")
    for p in procs:
        assert p.wait(timeout=60) == 0
    data = rc.read_bytes()
    assert data.startswith(seed)
    for tag in tags:
        markers = Markers(f"# >>> {tag} >>>", f"# <<< {tag} <<<")
        span = find_block(data, markers, str(rc))
        assert span is not None, f"{tag}'s block was lost"
        start, end = span
        assert data[start:end] == f"# >>> {tag} >>>\nX={tag}\n# <<< {tag} <<<\n".encode()
