"""The marker block editor: strict marker rules, every outside byte kept, exact inverses."""

from __future__ import annotations

import itertools
import random

import pytest

from hfenv.blocks import (
    HASH_MARKERS,
    BlockError,
    Markers,
    dominant_newline,
    find_block,
    remove_block,
    render_block,
    set_block,
)

from plans import POWERSHELL_MARKERS

M = HASH_MARKERS
BEGIN, END = b"# >>> hfenv >>>", b"# <<< hfenv <<<"
BODY = b"export HF_ENDPOINT='https://hf-mirror.com'\n"
OTHER = b"export HF_ENDPOINT='https://huggingface.co'\nexport HF_HUB_CACHE='/data/hf'\n"
BLOCK = BEGIN + b"\n" + BODY + END + b"\n"


def setb(data: bytes, body: bytes = BODY, **kw) -> bytes:
    return set_block(data, body, M, "~/.bashrc", **kw)


def rm(data: bytes) -> bytes:
    return remove_block(data, M, "~/.bashrc")


def find(data: bytes):
    return find_block(data, M, "~/.bashrc")


# --- appending ----------------------------------------------------------------


@pytest.mark.parametrize(
    "before, after",
    [
        (b"", BLOCK),
        (b"alias ll='ls -l'\n", b"alias ll='ls -l'\n\n" + BLOCK),
        (b"alias ll='ls -l'", b"alias ll='ls -l'\n" + BLOCK),
        (b"\n", b"\n\n" + BLOCK),
        (b"a\n\n\n", b"a\n\n\n\n" + BLOCK),
        (b"\xef\xbb\xbf", b"\xef\xbb\xbf\n" + BLOCK),
        (b"caf\xe9 \xff\xfe\n", b"caf\xe9 \xff\xfe\n\n" + BLOCK),
    ],
    ids=["empty", "final-newline", "no-final-newline", "only-newline", "blank-lines", "bom", "latin1"],
)
def test_append(before, after):
    assert setb(before) == after
    assert rm(after) == before


def test_append_to_crlf_file_uses_crlf():
    before = b"rem one\r\nrem two\r\n"
    after = setb(before)
    assert after == before + b"\r\n" + BLOCK.replace(b"\n", b"\r\n")
    assert rm(after) == before


def test_append_to_crlf_file_without_final_newline():
    before = b"one\r\ntwo"
    after = setb(before)
    assert after == b"one\r\ntwo\r\n" + BLOCK.replace(b"\n", b"\r\n")
    assert rm(after) == before


def test_mixed_line_endings_follow_the_majority():
    assert setb(b"a\r\nb\r\nc\n").endswith(END + b"\r\n")
    assert setb(b"a\r\nb\nc\n").endswith(END + b"\n")
    assert setb(b"a\r\nb\n").endswith(END + b"\n")  # a tie is LF


def test_newline_option_only_for_files_without_line_endings():
    assert setb(b"", newline=b"\r\n") == BLOCK.replace(b"\n", b"\r\n")
    assert setb(b"x", newline=b"\r\n") == b"x\r\n" + BLOCK.replace(b"\n", b"\r\n")
    assert setb(b"x\n", newline=b"\r\n") == b"x\n\n" + BLOCK


def test_lone_cr_at_end_is_kept():
    before = b"x\r"
    assert rm(setb(before)) == before
    assert rm(setb(before, newline=b"\r\n")) == before


def test_append_keeps_every_byte_before():
    before = bytes(range(256)).replace(b"\n", b"")
    after = setb(before)
    assert after.startswith(before)
    assert rm(after) == before


# --- the block's body -----------------------------------------------------------


def test_body_line_endings_are_normalised_to_the_file():
    assert setb(b"", b"a=1\r\nb=2\r\n") == BEGIN + b"\na=1\nb=2\n" + END + b"\n"
    crlf = setb(b"x\r\n", b"a=1\nb=2\n")
    assert crlf == b"x\r\n\r\n" + BEGIN + b"\r\na=1\r\nb=2\r\n" + END + b"\r\n"


def test_body_without_final_newline_and_empty_body():
    assert setb(b"", b"a=1") == BEGIN + b"\na=1\n" + END + b"\n"
    assert setb(b"", b"") == BEGIN + b"\n" + END + b"\n"


@pytest.mark.parametrize("line", [BEGIN, END, END + b"  "])
def test_body_with_a_marker_line_is_refused(line):
    with pytest.raises(ValueError, match="marker"):
        setb(b"", b"a=1\n" + line + b"\nb=2\n")


def test_render_block():
    assert render_block(b"a\n", POWERSHELL_MARKERS, b"\r\n") == b"#region hfenv\r\na\r\n#endregion hfenv\r\n"


# --- replacing ------------------------------------------------------------------


def test_replace_in_place_keeps_surroundings():
    head = b"# my bashrc\nexport PATH=$HOME/bin:$PATH\n"
    tail = b"alias gs='git status'\n# the end"
    data = head + BLOCK + tail
    new = setb(data, OTHER)
    assert new == head + BEGIN + b"\n" + OTHER + END + b"\n" + tail
    assert setb(new, BODY) == data


def test_replace_is_idempotent():
    data = setb(b"x\n")
    assert setb(data) == data


def test_replace_keeps_the_blocks_own_line_ending():
    data = b"a\r\nb\r\nc\r\n" + BLOCK  # LF block in a CRLF file (hand-made)
    assert setb(data, OTHER) == b"a\r\nb\r\nc\r\n" + BEGIN + b"\n" + OTHER + END + b"\n"
    crlf_block = BLOCK.replace(b"\n", b"\r\n")
    assert setb(b"x\n" + crlf_block, OTHER) == b"x\n" + BEGIN + b"\r\n" + OTHER.replace(b"\n", b"\r\n") + END + b"\r\n"


def test_replace_keeps_a_missing_final_newline_after_the_end_marker():
    data = b"x\n" + BEGIN + b"\nold\n" + END
    assert setb(data, b"new\n") == b"x\n" + BEGIN + b"\nnew\n" + END


def test_replace_block_after_bom_on_line_one():
    data = b"\xef\xbb\xbf" + BLOCK + b"rest\n"
    assert find(data) == (3, 3 + len(BLOCK))
    assert setb(data, OTHER) == b"\xef\xbb\xbf" + BEGIN + b"\n" + OTHER + END + b"\n" + b"rest\n"
    assert rm(data) == b"\xef\xbb\xbfrest\n"


# --- finding and removing ---------------------------------------------------------


def test_find_block_offsets():
    data = b"a\n" + BLOCK + b"b\n"
    assert find(data) == (2, 2 + len(BLOCK))
    assert find(b"a\n" + BEGIN + b"\n" + END) == (2, 2 + len(BEGIN) + 1 + len(END))
    assert find(b"no block here\n") is None
    assert find(b"") is None


def test_remove_block_in_the_middle_takes_only_the_block():
    assert rm(b"a\n\n" + BLOCK + b"b\n") == b"a\n\nb\n"


def test_remove_without_block_is_identity():
    for data in (b"", b"a", b"a\n", b"\r\n\xff"):
        assert rm(data) == data


def test_remove_whole_file_block():
    assert rm(BLOCK) == b""
    assert rm(b"\n" + BLOCK) == b""  # an existing empty file (see writers)


# --- what counts as a marker ------------------------------------------------------------


@pytest.mark.parametrize(
    "begin_line",
    [BEGIN, BEGIN + b"  ", BEGIN + b"\t", BEGIN + b"\r", BEGIN + b" \r"],
    ids=["exact", "spaces", "tab", "cr", "space-cr"],
)
def test_markers_may_have_trailing_whitespace(begin_line):
    data = b"a\n" + begin_line + b"\nbody\n" + END + b"\r\n" + b"z\n"
    assert find(data) == (2, len(data) - 2)


@pytest.mark.parametrize(
    "line",
    [b" " + BEGIN, b"\t" + BEGIN, b"x" + BEGIN, BEGIN + b" extra", BEGIN + b">", b"echo '" + BEGIN + b"'",
     BEGIN.upper()],
)
def test_not_a_marker(line):
    data = b"a\n" + line + b"\n"
    assert find(data) is None
    assert rm(setb(data)) == data


def test_powershell_markers():
    ps = b"Set-Alias ll Get-ChildItem\r\n"
    out = set_block(ps, b"$env:HF_ENDPOINT = 'https://hf-mirror.com'\n", POWERSHELL_MARKERS, "profile.ps1")
    assert out == ps + b"\r\n#region hfenv\r\n$env:HF_ENDPOINT = 'https://hf-mirror.com'\r\n#endregion hfenv\r\n"
    assert remove_block(out, POWERSHELL_MARKERS, "profile.ps1") == ps
    # The other marker style is ordinary text for this one.
    assert find_block(out, HASH_MARKERS, "profile.ps1") is None
    assert find_block(BLOCK, POWERSHELL_MARKERS, "x") is None


def test_custom_markers():
    m = Markers("// >>> x >>>", "// <<< x <<<")
    assert set_block(b"", b"a\n", m, "f") == b"// >>> x >>>\na\n// <<< x <<<\n"


# --- bad markers --------------------------------------------------------------


@pytest.mark.parametrize(
    "lines, expect_lines, words",
    [
        ([b"a", BEGIN, b"b"], (2,), "line 2 has no closing"),
        ([b"a", b"b", END], (3,), "line 3 has no opening"),
        ([END, b"x", BEGIN], (1, 3), "line 1 comes before"),
        ([BEGIN, b"x", END, b"y", BEGIN, b"z", END], (1, 3, 5, 7), "lines 1 and 5"),
        ([BEGIN, BEGIN, b"x", END, END], (1, 2, 4, 5), "more than one"),
        ([BEGIN, BEGIN, END], (1, 2, 3), "more than one"),
        ([BEGIN, END, END], (1, 2, 3), "lines 2 and 3"),
        ([b"a", BEGIN], (2,), "has no closing"),
    ],
    ids=["begin-only", "end-only", "end-first", "two-blocks", "nested", "two-begins", "two-ends", "begin-at-eof"],
)
def test_bad_markers_name_file_and_lines(lines, expect_lines, words):
    data = b"\n".join(lines) + b"\n"
    for op in (find, rm, setb, lambda d: set_block(d, b"", M, "~/.bashrc")):
        with pytest.raises(BlockError) as info:
            op(data)
        err = info.value
        assert err.label == "~/.bashrc"
        assert err.lines == expect_lines
        assert str(err).startswith("~/.bashrc: ")
        assert words in str(err)
        for n in expect_lines:
            assert str(n) in str(err)


def test_bad_markers_in_crlf_and_unterminated_last_line():
    with pytest.raises(BlockError, match=r"line 3 has no opening"):
        find(b"a\r\nb\r\n" + END)
    with pytest.raises(BlockError, match=r"line 2 has no closing"):
        find(b"a\r\n" + BEGIN + b"\r\n")


def test_dominant_newline():
    assert dominant_newline(b"") == b"\n"
    assert dominant_newline(b"abc", b"\r\n") == b"\r\n"
    assert dominant_newline(b"a\r\nb\r\nc\n") == b"\r\n"
    assert dominant_newline(b"a\r\nb\n") == b"\n"
    assert dominant_newline(b"a\r") == b"\n"


# --- properties -------------------------------------------------------------------------

# Atoms chosen to hit every rule: line endings of each kind, a lone CR, a BOM,
# bytes that are not UTF-8, markers and near-miss markers.
ATOMS = [b"a", b"\n", b"\r\n", b"\r", b" ", b"\xef\xbb\xbf", b"\xff", BEGIN, END, BEGIN[:-1], b"#"]
BODIES = [b"", b"x=1\n", b"x=2", b"a\r\nb\r\n", b"\n\n", b"\xff\xfe\n"]


def check_properties(x: bytes, rng: random.Random) -> None:
    a, b = rng.choice(BODIES), rng.choice(BODIES)
    newline = rng.choice([b"\n", b"\r\n"])
    try:
        span = find(x)
    except BlockError:
        # Invalid markers: every operation refuses rather than guess.
        for op in (rm, lambda d: setb(d, a)):
            with pytest.raises(BlockError):
                op(x)
        return
    xa = setb(x, a, newline=newline)
    assert setb(xa, a, newline=newline) == xa, x  # idempotent
    assert setb(xa, b, newline=newline) == setb(x, b, newline=newline), x  # last one wins, in place
    start, end = find(xa)
    if span is None:
        assert rm(xa) == x, x  # exact inverse
        assert xa[: len(x)] == x, x  # appended: every old byte kept
        assert end == len(xa)
    else:
        assert (xa[:start], xa[end:]) == (x[: span[0]], x[span[1]:]), x  # replaced in place
        assert rm(xa) == rm(x), x
    assert find(rm(xa)) is None


@pytest.mark.slow
def test_properties_exhaustive_small_files():
    rng = random.Random(4)
    count = 0
    for n in range(5):
        for combo in itertools.product(ATOMS, repeat=n):
            check_properties(b"".join(combo), rng)
            count += 1
    assert count == sum(len(ATOMS) ** n for n in range(5))


def test_properties_random_files():
    rng = random.Random(20240401)
    weights = [8, 4, 3, 1, 2, 1, 1, 1, 1, 1, 1]
    for _ in range(3000):
        x = b"".join(rng.choices(ATOMS, weights, k=rng.randrange(0, 40)))
        check_properties(x, rng)


def test_properties_random_files_with_a_block():
    rng = random.Random(7)
    plain = [b"a", b"\n", b"\r\n", b"\r", b" ", b"\xff", b"#"]
    for _ in range(1500):
        head = b"".join(rng.choices(plain, k=rng.randrange(0, 12)))
        tail = b"".join(rng.choices(plain, k=rng.randrange(0, 12)))
        head += rng.choice([b"\n", b"\r\n"]) if head else b""
        nl = rng.choice([b"\n", b"\r\n"])
        block = render_block(rng.choice(BODIES), M, nl)
        if not tail and rng.random() < 0.3:
            block = block[: -len(nl)]
        check_properties(head + block + tail, rng)


@pytest.mark.parametrize("data", [b"", b"a\r\nb\r\n", b"a\r\nb", b"\r\n", b"x\ny\r\n"])
def test_lf_only_block_in_crlf_file_is_reversible(data):
    """match_file=False (POSIX shells): the block is LF whatever the file uses, and reset is exact."""
    out = set_block(data, b"export A='1'\n", HASH_MARKERS, "f", match_file=False)
    start, _ = find_block(out, HASH_MARKERS, "f")
    assert b"\r" not in out[start:]
    assert remove_block(out, HASH_MARKERS, "f") == data
    again = set_block(out, b"export A='2'\n", HASH_MARKERS, "f", match_file=False)
    assert b"\r" not in again[start:] and remove_block(again, HASH_MARKERS, "f") == data
