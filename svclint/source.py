"""Source text and position arithmetic.

Everything inside svclint addresses text by *offset* (index of a code point in the decoded
text, BOM removed). Humans want 1-based line:column, LSP clients want 0-based lines and
UTF-16 columns; this module is the one place that converts between them, using the LSP
definition of a line break (``\\r\\n``, ``\\r`` or ``\\n``).
"""

from __future__ import annotations

import bisect
import codecs
import operator
from dataclasses import dataclass, field
from itertools import accumulate

from .records import frozen_record

BINARY_SNIFF_BYTES = 8192

# The byte order marks a YAML stream may start with (UTF-32 first: its little-endian mark begins
# with UTF-16's): the encoding reported for it, and the codec for the bytes after the mark.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"),
)


@frozen_record
class Position:
    """A point in a source: offset plus 0-based line and column (code points and UTF-16)."""

    offset: int
    line: int
    column: int
    column_utf16: int


class DecodeError(Exception):
    """The bytes of a file are not text svclint can read; ``offset`` is where it went wrong."""

    def __init__(self, message: str, text_before: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.text_before = text_before


def decode(data: bytes) -> tuple[str, str]:
    """Decode file bytes to text; returns (text, encoding). Raises DecodeError.

    YAML streams are UTF-8, UTF-16 or UTF-32, told apart by a byte order mark. A NUL byte in
    the first few kilobytes of a BOM-less file means it is binary, not YAML.
    """
    for bom, encoding, codec in BYTE_ORDER_MARKS:
        if data.startswith(bom):
            body = data[len(bom):]
            try:
                return body.decode(codec), encoding
            except UnicodeDecodeError as exc:
                raise DecodeError(
                    f"file starts with a {encoding.upper()} byte order mark but is not valid "
                    f"{encoding.upper()} (byte {len(bom) + exc.start})",
                    body[: exc.start].decode(codec, errors="replace"),
                ) from None
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        unmarked = _unmarked_unicode(data)
        if unmarked:
            raise DecodeError(f"the file looks like {unmarked} text without a byte order mark, which kubectl "
                              "cannot read; save it as UTF-8")
        raise DecodeError("binary file (contains NUL bytes); a manifest must be UTF-8 text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", errors="replace")
        raise DecodeError(
            f"invalid UTF-8 byte 0x{data[exc.start]:02x}; save the file as UTF-8", before
        ) from None


def _unmarked_unicode(data: bytes) -> str | None:
    """UTF-16 or UTF-32 without a BOM, told by where the NULs of ASCII characters fall (the YAML
    spec's detection table; kubectl and go-yaml do not use it, so such a file is an error)."""
    head = data[:512]
    head = head[: len(head) // 4 * 4]
    if len(head) < 4:
        return None
    for name, width, position in (("UTF-32BE", 4, 3), ("UTF-32LE", 4, 0), ("UTF-16BE", 2, 1), ("UTF-16LE", 2, 0)):
        units = [head[start : start + width] for start in range(0, len(head), width)]
        ascii_units = sum(1 for unit in units if unit[position] != 0
                          and all(byte == 0 for index, byte in enumerate(unit) if index != position))
        if ascii_units >= len(units) * 0.9:
            return name
    return None


def encode_like(text: str, original: bytes) -> bytes:
    """``text`` as bytes in the encoding, and with the byte order mark, of ``original``: what a
    fix writes back, so only the edited characters differ."""
    for bom, _, codec in BYTE_ORDER_MARKS:
        if original.startswith(bom):
            return bom + text.encode(codec, "surrogatepass")
    return text.encode("utf-8", "surrogatepass")  # an editor's buffer may hold a lone surrogate


@dataclass(slots=True)
class Source:
    """One text to lint: its display path, its text, and a lazily built line index."""

    path: str
    text: str
    encoding: str = "utf-8"
    _line_starts: list[int] | None = field(default=None, repr=False, compare=False)
    _counted: int = field(default=0, repr=False, compare=False)  # positions found without the index

    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = line_starts(self.text)
        return self._line_starts

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def position(self, offset: int) -> Position:
        """Position of ``offset`` (clamped into the text)."""
        offset = max(0, min(offset, len(self.text)))
        if self._line_starts is None and self._counted < _COUNTED_POSITIONS:
            # A file with a finding or two: counting the line breaks before the offset costs
            # less than indexing every line. Only where every break is "\n" (see line_starts).
            text = self.text
            if self._counted == 0 and "\r" in text:
                self._counted = _COUNTED_POSITIONS
            else:
                self._counted += 1
                start = text.rfind("\n", 0, offset) + 1
                return Position(offset, text.count("\n", 0, start), offset - start, utf16_length(text[start:offset]))
        starts = self.line_starts
        line = bisect.bisect_right(starts, offset) - 1
        # An offset between "\r" and "\n" belongs to the end of the line, not a new one.
        column = offset - starts[line]
        prefix = self.text[starts[line] : offset]
        return Position(offset, line, column, utf16_length(prefix))

    def offset_of(self, line: int, column: int) -> int:
        """Offset of a 0-based (line, code-point column), clamped to the line's end."""
        starts = self.line_starts
        line = max(0, min(line, len(starts) - 1))
        end = self.line_end(line)
        return min(starts[line] + max(0, column), end)

    def character(self, position: Position, encoding: str = "utf-16") -> int:
        """``position``'s column in the code units of an LSP position encoding
        (``utf-16``, the protocol's default, ``utf-32`` = code points, or ``utf-8``)."""
        if encoding == "utf-16":
            return position.column_utf16
        if encoding == "utf-32":
            return position.column
        start = self.line_starts[position.line]
        return len(self.text[start : position.offset].encode("utf-8", "surrogatepass"))

    def offset_at(self, line: int, character: int, encoding: str = "utf-16") -> int:
        """Offset of an LSP position (0-based line, ``character`` in ``encoding`` units), clamped
        into the line; a character inside a multi-unit code point lands on that code point."""
        if line >= self.line_count:
            return len(self.text)
        start = self.line_starts[max(0, line)]
        end = self.line_end(max(0, line))
        if encoding == "utf-32":
            return min(start + max(0, character), end)
        units = 0
        offset = start
        while offset < end and units < character:
            code = ord(self.text[offset])
            units += (2 if code > 0xFFFF else 1) if encoding == "utf-16" else _utf8_units(code)
            offset += 1
        return offset

    def line_end(self, line: int) -> int:
        """Offset just past the last character of ``line`` (before its line break)."""
        starts = self.line_starts
        end = starts[line + 1] if line + 1 < len(starts) else len(self.text)
        while end > starts[line] and self.text[end - 1] in "\r\n":
            end -= 1
        return end

    def line_text(self, line: int) -> str:
        return self.text[self.line_starts[line] : self.line_end(line)]


_COUNTED_POSITIONS = 8  # then the line index: a search per position would cost more


def line_starts(text: str) -> list[int]:
    """Offsets at which each line starts; breaks are ``\\r\\n``, ``\\r`` and ``\\n`` (as LSP)."""
    if "\r" not in text:
        # line i starts after the lengths of lines 0..i-1 and their i breaks (all in C: fast)
        lines = text.split("\n")
        return [0, *map(operator.add, accumulate(map(len, lines[:-1])), range(1, len(lines)))]
    starts = [0]
    append = starts.append
    length = len(text)
    index = 0
    while index < length:
        char = text[index]
        if char == "\n":
            append(index + 1)
        elif char == "\r":
            if index + 1 < length and text[index + 1] == "\n":
                index += 1
            append(index + 1)
        index += 1
    return starts


def _utf8_units(code: int) -> int:
    return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4


def utf16_length(text: str) -> int:
    """Number of UTF-16 code units in ``text`` (astral characters count twice)."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)
