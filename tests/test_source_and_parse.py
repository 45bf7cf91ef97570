"""Position arithmetic and the parser, with property tests: no input makes them raise, offsets
round-trip, and the libyaml and ruamel backends build the same documents."""

from __future__ import annotations

import json
import math

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from svclint.parse import Mapping, Scalar, nodes, parse, resolve_plain, to_data
from svclint.source import DecodeError, Source, decode, line_starts, utf16_length

texts = st.text(alphabet=st.sampled_from(list("ab:- \n\r\t{}[]'\"#&*!|>é😀0")), max_size=200)


@given(st.text(max_size=300))
def test_position_and_offset_round_trip(text: str) -> None:
    source = Source("x", text)
    for offset in range(0, len(text) + 1, max(1, len(text) // 25)):
        position = source.position(offset)
        assert 0 <= position.line < source.line_count
        assert source.offset_of(position.line, position.column) == offset or text[offset - 1 : offset] == "\r"


@given(texts, st.lists(st.integers(0, 210), min_size=1, max_size=12))
def test_positions_before_and_after_the_line_index_agree(text: str, offsets: list[int]) -> None:
    """A Source answers its first few positions by counting line breaks, then from its index."""
    indexed = Source("x", text)
    assert indexed.line_count >= 1  # builds the index
    counted = Source("x", text)
    for offset in offsets:
        assert counted.position(offset) == indexed.position(offset), offset


@given(st.text(max_size=200))
def test_line_starts_match_lsp_line_breaks(text: str) -> None:
    expected = [0]
    index = 0
    while index < len(text):
        if text[index] == "\r" and text[index + 1 : index + 2] == "\n":
            index += 1
            expected.append(index + 1)
        elif text[index] in "\r\n":
            expected.append(index + 1)
        index += 1
    assert line_starts(text) == expected


@given(st.text(max_size=200), st.data())
def test_lsp_characters_round_trip_in_every_encoding(text: str, data: st.DataObject) -> None:
    source = Source("f.yaml", text)
    offset = data.draw(st.integers(0, len(text)))
    position = source.position(offset)
    line = source.line_text(position.line)[: position.column]
    for encoding, codec in (("utf-8", "utf-8"), ("utf-16", "utf-16-le"), ("utf-32", "utf-32-le")):
        character = source.character(position, encoding)
        assert character == len(line.encode(codec, "surrogatepass")) // {"utf-8": 1, "utf-16": 2, "utf-32": 4}[encoding]
        if position.offset <= source.line_end(position.line):
            assert source.offset_at(position.line, character, encoding) == position.offset
    # positions past the end of a line or the file are clamped, never raise
    assert source.offset_at(position.line, 10**6) == source.line_end(position.line)
    assert source.offset_at(source.line_count + 3, 0) == len(text)


@given(st.text(max_size=100))
def test_utf16_length(text: str) -> None:
    assert utf16_length(text) == len(text.encode("utf-16-le")) // 2


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_parser_never_raises_and_spans_stay_inside(text: str) -> None:
    for backend in ("libyaml", "ruamel"):
        stream = parse(text, backend=backend)
        for problem in stream.problems:
            assert 0 <= problem.span.start <= problem.span.end <= len(text)
        for document in stream.documents:
            for node in nodes(document):
                assert 0 <= node.start <= node.end <= len(text)


def _walk(node: object) -> list[object]:
    out = [node]
    if isinstance(node, Mapping):
        for key, value in node.pairs:
            out += _walk(key) + _walk(value)
    elif hasattr(node, "items") and isinstance(node.items, list):
        for item in node.items:
            out += _walk(item)
    return out


printable = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8)  # YAML forbids control characters
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | printable,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(printable, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, st.booleans(), st.sampled_from(["\n", "\r\n"]))
def test_backends_agree(value: object, flow: bool, newline: str) -> None:
    """libyaml (the fast path) and ruamel build the same documents with the same spans."""
    text = yaml.safe_dump({"v": value, "w": [value]}, default_flow_style=flow, allow_unicode=True).replace("\n", newline)
    fast = parse(text, backend="libyaml")
    slow = parse(text, backend="ruamel")
    assert fast.problems == slow.problems == []
    assert [to_data(d.root) for d in fast.documents] == [to_data(d.root) for d in slow.documents]

    def spans(root: object) -> list[tuple[int, int]]:
        # An empty value has no text; the libraries place it before or after trailing blanks.
        return [(n.start, n.end) for n in _walk(root) if not (isinstance(n, Scalar) and n.text == "" and n.plain)]

    for a, b in zip(fast.documents, slow.documents, strict=False):
        assert spans(a.root) == spans(b.root)


@given(json_values)
def test_json_documents_parse_to_their_data(value: object) -> None:
    # Raw UTF-8: libyaml (like go-yaml) rejects JSON surrogate-pair escapes such as \\ud800.
    text = json.dumps({"v": value}, indent=2, ensure_ascii=False)
    stream = parse(text)
    assert stream.problems == []
    assert to_data(stream.documents[0].root) == {"v": value}


@given(json_values)
def test_scalar_spans_point_at_their_text(value: object) -> None:
    text = yaml.safe_dump({"v": value}, default_flow_style=False, allow_unicode=True)
    stream = parse(text)
    for node in _walk(stream.documents[0].root):
        if isinstance(node, Scalar) and node.style in ("", "'", '"') and node.text:
            written = text[node.start : node.end]
            assert node.text in written or node.style or "\n" in written


@pytest.mark.parametrize(("text", "value"), [
    ("yes", True), ("on", True), ("Off", False), ("y", True), ("~", None), ("null", None),
    ("0755", 493), ("0x1F", 31), ("0o17", 15), ("0b101", 5), ("1_000", 1000), ("080", 80.0),
    ("1.0", 1.0), ("1e3", 1000.0), (".5", 0.5), ("-12", -12), ("+12", 12), ("12abc", "12abc"),
    ("18446744073709551615", 18446744073709551615), ("99999999999999999999", 1e20), ("http", "http"),
])
def test_kubernetes_scalar_resolution(text: str, value: object) -> None:
    assert resolve_plain(text) == value


def test_special_floats() -> None:
    assert math.isnan(resolve_plain(".nan"))  # type: ignore[arg-type]
    assert resolve_plain("-.inf") == -math.inf


def test_quoted_scalars_stay_strings() -> None:
    stream = parse("a: '80'\nb: \"yes\"\nc: !!str 5\nd: !!int '7'\n")
    assert to_data(stream.documents[0].root) == {"a": "80", "b": "yes", "c": "5", "d": 7}


def test_syntax_error_resumes_at_next_document() -> None:
    stream = parse("a: 1\n---\nb: [\n---\nc: 3\n")
    assert [to_data(d.root) for d in stream.documents] == [{"a": 1}, {"c": 3}]
    assert [p.kind for p in stream.problems] == ["syntax"]


def test_duplicate_keys_report_both_positions() -> None:
    stream = parse("a: 1\nb: 2\na: 3\n")
    (problem,) = stream.problems
    assert problem.kind == "duplicate-key" and problem.span.start == 10
    assert problem.related[0][0].start == 0


def test_merge_keys_and_aliases() -> None:
    stream = parse("base: &b {p: 1, q: 2}\nderived:\n  <<: *b\n  q: 3\n")
    assert to_data(stream.documents[0].root)["derived"] == {"p": 1, "q": 3}


def test_yaml11_keys_become_json_strings_as_in_kubernetes() -> None:
    # go-yaml v2 reads `y`, `on` and `no` as booleans, and sigs.k8s.io/yaml turns such keys into
    # "true"/"false" when it converts the document to JSON.
    stream = parse("y: 1\nno: 3\n")
    assert to_data(stream.documents[0].root) == {"true": 1, "false": 3}
    assert [p.kind for p in parse("y: 1\non: 2\n").problems] == ["duplicate-key"]
    assert stream.problems == []


def test_depth_limit() -> None:
    stream = parse("a: " + "[" * 500 + "]" * 500)
    assert [p.kind for p in stream.problems] == ["limit"]


@pytest.mark.parametrize(("data", "encoding"), [
    ("a: é\n".encode(), "utf-8"),
    (b"\xef\xbb\xbfa: 1\n", "utf-8-sig"),
    ("a: é\n".encode("utf-16"), "utf-16"),
])
def test_decode(data: bytes, encoding: str) -> None:
    text, found = decode(data)
    assert found == encoding and not text.startswith("\ufeff")


@pytest.mark.parametrize("data", [b"a: \xff\n", b"\x00\x01binary"])
def test_decode_errors(data: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(data)
