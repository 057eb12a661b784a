"""The marker block in a startup file, edited as bytes (no I/O here).

Everything hfenv writes into a file it shares with the user is one block
between a begin and an end marker line (SPEC 5). The rules are strict so that
an edit never guesses:

- a marker counts only at the start of a line, optionally followed by
  whitespace (a CRLF line's ``\\r`` included); a UTF-8 BOM before a marker on
  the first line is allowed;
- a file holds at most one block; duplicate, nested or unbalanced markers raise
  :class:`BlockError` naming the file and the 1-based line numbers;
- every byte outside the block is kept, and ``remove_block(set_block(x)) == x``
  byte for byte for every ``x`` without a block.

The separator rule that makes appending reversible: a block is appended to a
non-empty file after exactly one extra line ending (which ends an unterminated
last line, or leaves a blank line before the block), and removing a block that
ends the file strips exactly one such line ending before it.
"""

from __future__ import annotations

from .record import Record


def _(message: str) -> str:
    """hfenv.i18n's `_`, imported only when a message is worded (this module is on `hfenv shell`'s fast path)."""
    from .i18n import _ as translate

    return translate(message)

_BOM = b"\xef\xbb\xbf"
UTF8_BOM = _BOM
_TRAILING_SPACE = b" \t\r\f\v"


class Markers(Record):
    """The begin and end marker lines of a block (ASCII, without line ending)."""

    begin: str
    end: str


# The block markers of every file format that takes # comments; a shell whose files differ
# names its own (hfenv.shells.Shell.block_markers).
HASH_MARKERS = Markers("# >>> hfenv >>>", "# <<< hfenv <<<")


class BlockError(ValueError):
    """Markers that hfenv will not edit around; the message names the file and lines."""

    def __init__(self, label: str, lines: tuple[int, ...], problem: str):
        self.label = label
        self.lines = lines
        super().__init__(_("{path}: {problem}; fix the hfenv markers by hand, then run hfenv again").format(
            path=label, problem=problem))


class _Span(Record):
    start: int  # offset of the begin marker line (after a BOM on line 1)
    end: int  # offset just past the end marker line and its line ending
    newline: bytes  # the line ending of the begin marker line


def _is_marker(line: bytes, marker: bytes) -> bool:
    return line.startswith(marker) and not line[len(marker):].strip(_TRAILING_SPACE)


def _marker_lines(data: bytes, marker: bytes):
    """Yield (line number, line start, line end incl. its b"\\n", newline) of each marker line."""
    pos = data.find(marker)
    while pos >= 0:
        at_line_start = pos == 0 or data[pos - 1] == 0x0A or (pos == len(_BOM) and data.startswith(_BOM))
        cut = data.find(b"\n", pos)
        line_end = len(data) if cut < 0 else cut
        if at_line_start and _is_marker(data[pos:line_end], marker):
            newline = b"\r\n" if data[line_end - 1:line_end] == b"\r" else b"\n"
            yield data.count(b"\n", 0, pos) + 1, pos, line_end + (cut >= 0), newline
        pos = data.find(marker, pos + 1)


def _scan(data: bytes, markers: Markers, label: str) -> _Span | None:
    # Searching for the markers (rather than walking every line) keeps multi-MB files fast.
    begins = list(_marker_lines(data, markers.begin.encode("ascii")))
    ends = list(_marker_lines(data, markers.end.encode("ascii")))
    if not begins and not ends:
        return None
    b_lines = tuple(b[0] for b in begins)
    e_lines = tuple(e[0] for e in ends)
    if len(begins) > 1 or len(ends) > 1:
        raise BlockError(
            label, tuple(sorted(b_lines + e_lines)),
            _("more than one hfenv block: {begin} on {begin_lines}, {end} on {end_lines}").format(
                begin=repr(markers.begin), begin_lines=_on_lines(b_lines),
                end=repr(markers.end), end_lines=_on_lines(e_lines)),
        )
    if not ends:
        raise BlockError(label, b_lines, _("{begin} on line {line} has no closing {end}").format(
            begin=repr(markers.begin), line=b_lines[0], end=repr(markers.end)))
    if not begins:
        raise BlockError(label, e_lines, _("{end} on line {line} has no opening {begin}").format(
            end=repr(markers.end), line=e_lines[0], begin=repr(markers.begin)))
    (b_line, b_start, _end, newline), (e_line, _start, e_end, _nl) = begins[0], ends[0]
    if e_line < b_line:
        raise BlockError(
            label, (e_line, b_line),
            _("{end} on line {end_line} comes before {begin} on line {begin_line}").format(
                end=repr(markers.end), end_line=e_line, begin=repr(markers.begin), begin_line=b_line),
        )
    return _Span(b_start, e_end, newline)


def _on_lines(numbers: tuple[int, ...]) -> str:
    if not numbers:
        return _("no line")
    if len(numbers) == 1:
        return _("line {line}").format(line=numbers[0])
    return _("lines {lines} and {last}").format(lines=", ".join(map(str, numbers[:-1])), last=numbers[-1])


def dominant_newline(data: bytes, default: bytes = b"\n") -> bytes:
    """b"\\r\\n" when most line endings in data are CRLF, b"\\n" when most are LF, else default."""
    crlf = data.count(b"\r\n")
    lf = data.count(b"\n") - crlf
    if crlf == 0 and lf == 0:
        return default
    return b"\r\n" if crlf > lf else b"\n"


def is_bom_only(data: bytes) -> bool:
    """True for b"" and for a UTF-8 byte order mark alone."""
    return data in (b"", _BOM)


def find_block(data: bytes, markers: Markers, label: str) -> tuple[int, int] | None:
    """Byte offsets (start, end) of the block, its last line ending included; None if absent.

    Raises BlockError for duplicate, nested or unbalanced markers.
    """
    span = _scan(data, markers, label)
    return None if span is None else (span.start, span.end)


def render_block(body: bytes, markers: Markers, newline: bytes = b"\n") -> bytes:
    """The block holding body, every line ended with newline (body's own endings normalised)."""
    lines = body.replace(b"\r\n", b"\n").split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    for line in lines:
        if _is_marker(line, markers.begin.encode("ascii")) or _is_marker(line, markers.end.encode("ascii")):
            raise ValueError(_("the block body contains a marker line: {line}").format(line=repr(line)))
    out = [markers.begin.encode("ascii"), *lines, markers.end.encode("ascii")]
    return b"".join(line + newline for line in out)


def set_block(data: bytes, body: bytes, markers: Markers, label: str, *, newline: bytes = b"\n",
              at_start: bool = False, match_file: bool = True) -> bytes:
    """data with its block holding body: replaced in place, else appended at the end.

    The block uses the line ending already in use: the existing block's, else the
    file's dominant one, else ``newline`` (for a file without any line ending).
    With ``match_file=False`` it always uses ``newline``: POSIX shells read the
    \r of a CRLF line as part of the value, so their blocks stay LF in any file.
    ``at_start`` puts a new block first instead (after a BOM), with no separator,
    so that removing it gives the file back as well: nothing above it can stop
    the shell early (Debian's ~/.bashrc returns at once when not interactive).
    """
    span = _scan(data, markers, label)
    if span is not None:
        block = render_block(body, markers, span.newline if match_file else newline)
        if not data[:span.end].endswith(b"\n"):
            # The old block ended the file without a line ending: keep it that way.
            block = block[: -len(span.newline)]
        return data[:span.start] + block + data[span.end:]
    eol = dominant_newline(data, newline) if match_file else newline
    block = render_block(body, markers, eol)
    if not data:
        return block
    if at_start:
        head = _BOM if data.startswith(_BOM) else b""
        return head + block + data[len(head):]
    # Exactly one separator line ending; remove_block strips exactly this one.
    return data + eol + block


def remove_block(data: bytes, markers: Markers, label: str) -> bytes:
    """data without its block (unchanged if it has none); the inverse of set_block."""
    span = _scan(data, markers, label)
    if span is None:
        return data
    before, after = data[:span.start], data[span.end:]
    if not after and before.endswith(span.newline):
        # The block ends the file, so it was appended: drop set_block's separator too.
        before = before[: -len(span.newline)]
    return before + after
