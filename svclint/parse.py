"""YAML text -> documents of nodes that keep their source offsets.

The composer consumes *events*, which both libyaml (through PyYAML's C binding) and ruamel.yaml
(pure Python, the reference) produce with the same shape and the same marks. Most manifests skip
it: libyaml's own composer builds the same nodes faster (the fast path, below).
Scalars are resolved the way Kubernetes resolves them (go-yaml v2 via sigs.k8s.io/yaml, YAML 1.1
style: ``yes``/``on`` are booleans, ``0755`` is octal), not the way either Python library would.

Nothing here raises on bad input: YAML errors, duplicate keys, alias bombs and runaway nesting
become :class:`ParseProblem` records, and parsing resumes at the next document marker.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .diagnostics import Span

ScalarValue = str | int | float | bool | None


class Node:
    __slots__ = ("anchor", "end", "start", "tag")

    def __init__(self, start: int, end: int, tag: str | None, anchor: str | None) -> None:
        self.start = start
        self.end = end
        self.tag = tag
        self.anchor = anchor

    @property
    def span(self) -> Span:
        return Span(self.start, self.end)


class Scalar(Node):
    """A scalar; ``text`` as written (unescaped), ``value`` as Kubernetes would read it."""

    __slots__ = ("style", "text", "value")

    def __init__(
        self, start: int, end: int, tag: str | None, anchor: str | None,
        text: str, style: str, value: ScalarValue,
    ) -> None:
        self.start = start  # not super().__init__(): one call less on the hottest constructor
        self.end = end
        self.tag = tag
        self.anchor = anchor
        self.text = text
        self.style = style
        self.value = value

    @property
    def plain(self) -> bool:
        return self.style == ""

    @property
    def content_span(self) -> Span:
        """The span of the text inside the quotes (the whole span for other styles)."""
        if self.style in ("'", '"'):
            return Span(self.start + 1, self.end - 1)
        return self.span

    def __repr__(self) -> str:
        return f"Scalar({self.value!r}@{self.start})"


class Mapping(Node):
    """A mapping. ``pairs`` as written; ``fields`` the JSON view (merge keys applied, last wins)."""

    __slots__ = ("fields", "flow", "pairs")

    def __init__(self, start: int, end: int, tag: str | None, anchor: str | None, flow: bool,
                 pairs: list[tuple[Node, Node]] | None = None) -> None:
        self.start = start
        self.end = end
        self.tag = tag
        self.anchor = anchor
        self.flow = flow
        self.pairs: list[tuple[Node, Node]] = [] if pairs is None else pairs
        self.fields: dict[str, tuple[Node, Node]] = {}

    def get(self, key: str) -> Node | None:
        pair = self.fields.get(key)
        return pair[1] if pair is not None else None

    def key_node(self, key: str) -> Node | None:
        pair = self.fields.get(key)
        return pair[0] if pair is not None else None

    def __repr__(self) -> str:
        return f"Mapping({list(self.fields)}@{self.start})"


class Sequence(Node):
    __slots__ = ("flow", "items")

    def __init__(self, start: int, end: int, tag: str | None, anchor: str | None, flow: bool,
                 items: list[Node] | None = None) -> None:
        self.start = start
        self.end = end
        self.tag = tag
        self.anchor = anchor
        self.flow = flow
        self.items: list[Node] = [] if items is None else items

    def __repr__(self) -> str:
        return f"Sequence({len(self.items)}@{self.start})"


@dataclass(slots=True)
class Document:
    """One document of a stream; ``root`` is None for an empty document."""

    index: int
    root: Node | None


@dataclass(slots=True)
class ParseProblem:
    """Something wrong with the YAML itself; ``kind`` names the rule family that reports it."""

    kind: str
    message: str
    span: Span
    related: list[tuple[Span, str]] = field(default_factory=list)


@dataclass(slots=True)
class ParsedStream:
    documents: list[Document]
    problems: list[ParseProblem]


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Bounds that keep hostile input from exhausting time or memory."""

    max_depth: int = 200
    max_alias_expansion: int = 100_000
    max_documents: int = 100_000


# --- scalar resolution (go-yaml v2, as used by sigs.k8s.io/yaml) ---------------------------

_PLAIN_CONSTANTS: dict[str, ScalarValue] = {}
for _words, _value in (
    ("y Y yes Yes YES true True TRUE on On ON", True),
    ("n N no No NO false False FALSE off Off OFF", False),
    ("~ null Null NULL", None),
    (".nan .NaN .NAN", math.nan),
    (".inf .Inf .INF +.inf +.Inf +.INF", math.inf),
    ("-.inf -.Inf -.INF", -math.inf),
):
    for _word in _words.split():
        _PLAIN_CONSTANTS[_word] = _value
_PLAIN_CONSTANTS[""] = None

_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
_DIGITS = {2: "01", 8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}


def _go_parse_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64), falling back to ParseUint, as go-yaml v2 does."""
    sign = 1
    body = text
    if body[:1] in "+-":
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if not body:
        return None
    base = 10
    prefix = body[:2].lower()
    if prefix in ("0x", "0o", "0b"):
        base = {"0x": 16, "0o": 8, "0b": 2}[prefix]
        body = body[2:]
    elif len(body) > 1 and body[0] == "0":
        base = 8
        body = body[1:]
    if not body or any(char not in _DIGITS[base] for char in body):
        return None
    value = sign * int(body, base)
    if _INT64_MIN <= value <= _INT64_MAX:
        return value
    if text[0] not in "+-" and value <= _UINT64_MAX:
        return value
    return None


def resolve_plain(text: str) -> ScalarValue:
    """The value of an untagged plain scalar as Kubernetes' YAML decoder reads it."""
    if text in _PLAIN_CONSTANTS:
        return _PLAIN_CONSTANTS[text]
    first = text[0]
    if first in "+-0123456789":
        plain = text.replace("_", "")
        number = _go_parse_int(plain)
        if number is not None:
            return number
        if _YAML_FLOAT.fullmatch(plain):
            return float(plain)
        return text
    if first == "." and _YAML_FLOAT.fullmatch(text):
        return float(text)
    return text


_CORE_TAG = "tag:yaml.org,2002:"


def resolve_scalar(text: str, style: str, tag: str | None) -> ScalarValue:
    """Resolve a scalar given its text, style ('' for plain) and explicit tag."""
    if tag is None or tag == "!":
        if style == "" and tag is None:
            return resolve_plain(text)
        return text
    if tag.startswith(_CORE_TAG):
        short = tag[len(_CORE_TAG) :]
        if short in ("int", "float", "bool", "null"):
            value = resolve_plain(text)
            if short == "null" and value is None:
                return None
            if short == "bool" and isinstance(value, bool):
                return value
            if short == "int" and isinstance(value, int) and not isinstance(value, bool):
                return value
            if short == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
    return text


def json_key(node: Node) -> str | None:
    """The JSON object key a YAML key becomes (sigs.k8s.io/yaml); None if it cannot be one."""
    if not isinstance(node, Scalar):
        return None
    value = node.value
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- event sources -----------------------------------------------------------------------------

EventSource = Callable[[str], Iterable[Any]]


def _libyaml_events(text: str) -> Iterable[Any]:
    from yaml._yaml import CParser

    return iter(CParser(text).get_event, None)  # not yaml.parse(): no Python generator per event


def _ruamel_events(text: str) -> Iterable[Any]:
    from ruamel.yaml import YAML

    events: Iterable[Any] = YAML(typ="safe", pure=True).parse(text)
    return events


@cache
def available_backends() -> tuple[str, ...]:
    try:
        import yaml

        if getattr(yaml, "__with_libyaml__", False):
            return ("libyaml", "ruamel")
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        pass
    return ("ruamel",)


def event_source(backend: str = "auto") -> EventSource:
    """The event parser of a backend; "libyaml-events" is libyaml without the composer fast path."""
    if backend == "auto":
        backend = available_backends()[0]
    return {"libyaml": _libyaml_events, "libyaml-events": _libyaml_events, "ruamel": _ruamel_events}[backend]


_KINDS: dict[type, str] = {}


class _PlainValues(dict[str, ScalarValue]):
    """Plain scalars repeat (keys above all): each text's value is resolved once per process."""

    KEPT = 100_000

    def __missing__(self, text: str) -> ScalarValue:
        value = resolve_plain(text)
        if len(self) < self.KEPT:
            self[text] = value
        return value


_PLAIN_VALUES = _PlainValues()


def _event_kind(event: Any) -> str:
    kind = _KINDS.get(type(event))
    if kind is None:
        kind = type(event).__name__.removesuffix("Event")
        _KINDS[type(event)] = kind
    return kind


# --- libyaml's composer (the fast path) -------------------------------------------------------
#
# PyYAML's C extension composes whole documents in C, calling back only to make each node. Its
# node classes are globals of yaml._yaml: swapped, while PYYAML_C_LOCK is held, for factories
# of *our* nodes, it builds the same trees as _Composer does from events, at twice the speed.
# It knows nothing of our limits or of YAML 1.1 resolution, so it takes only what it does exactly
# like _Composer: streams without aliases, anchors and tags (the regex below; the scalar factory
# resolves), small enough to compose whole, nesting no deeper than max-depth. Anything else, and
# any error, goes to the event composer, which reports it. tests/test_fast_path.py holds the
# two to the same trees and findings.

_FAST_PATH_MAX_CHARS = 1_000_000  # composed whole before the first document is yielded
_FAST_PATH_MAX_DEPTH = 1_000  # libyaml's composer recurses on the C stack: keep it shallow

# Held while yaml._yaml makes svclint nodes: any other use of PyYAML's C loader in this process
# (registry.load_yaml) takes it too, or it would get our nodes.
PYYAML_C_LOCK = threading.Lock()


def _may_hold_node_properties(text: str) -> bool:
    """Whether an alias, anchor or tag may start somewhere in ``text`` (`*`, `&` or `!` at the
    start of a token); most manifests have none of the three characters at all."""
    for indicator in "*&!":
        at = text.find(indicator)
        while at != -1:
            if at == 0 or text[at - 1] in " \t\r\n[]{},":
                return True
            at = text.find(indicator, at + 1)
    return False


class _FastPathDeclined(Exception):
    """Something the fast path does not reproduce exactly (too deep); the event composer runs."""


class _Composition:
    """What the node factories of the composition under way share (one at a time: the lock)."""

    mappings: list[Mapping] = []  # noqa: RUF012 - in the order they start, for building fields children first
    depth = 0
    max_depth = 0


def _fast_scalar(tag: Any, text: str, start_mark: Any, end_mark: Any, style: str) -> Scalar:
    value = _PLAIN_VALUES[text] if not style else text  # style: "" for plain scalars
    return Scalar(start_mark.index, end_mark.index, None, None, text, style, value)


def _fast_mapping(tag: Any, pairs: list[tuple[Node, Node]], start_mark: Any, end_mark: Any, flow: bool | None) -> Mapping:
    _descend()
    node = Mapping(start_mark.index, start_mark.index, None, None, bool(flow), pairs)  # libyaml goes on to fill pairs
    _Composition.mappings.append(node)
    return node


def _fast_sequence(tag: Any, items: list[Node], start_mark: Any, end_mark: Any, flow: bool | None) -> Sequence:
    _descend()
    node = Sequence(start_mark.index, start_mark.index, None, None, bool(flow), items)
    return node


def _descend() -> None:
    """A collection opens: one level deeper (``_end_at`` comes back up)."""
    _Composition.depth += 1
    if _Composition.depth > _Composition.max_depth:
        raise _FastPathDeclined


def _end_at(node: Mapping | Sequence, mark: Any) -> None:
    """libyaml's composer sets ``end_mark`` on a collection once its last child is made."""
    node.end = mark.index
    _Composition.depth -= 1


Mapping.end_mark = Sequence.end_mark = property(None, _end_at)  # type: ignore[attr-defined]


@cache
def _node_parser() -> Any:
    """PyYAML's C parser with its resolver left out (our scalar factory resolves), or None."""
    try:
        import yaml._yaml as cyaml
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        return None
    if not all(hasattr(cyaml, name) for name in ("ScalarNode", "MappingNode", "SequenceNode", "CParser")):
        return None  # pragma: no cover - a PyYAML unlike 5.x and 6.x

    class NodeParser(cyaml.CParser):
        # Called for every node, their results unused (our factories take no tag): any C
        # callable of the right arity does, and costs less than a Python function.
        resolve = staticmethod(slice)  # (kind, value, implicit)
        descend_resolver = staticmethod(slice)  # (parent, index)
        ascend_resolver = staticmethod(tuple)  # ()

    return cyaml, NodeParser


def _fast_documents(text: str, limits: ParseLimits, problems: list[ParseProblem]) -> list[Document] | None:
    """All documents of ``text`` by libyaml's composer, or None where it does not apply."""
    if len(text) > _FAST_PATH_MAX_CHARS or limits.max_depth > _FAST_PATH_MAX_DEPTH or _may_hold_node_properties(text):
        return None
    found = _node_parser()
    if found is None:
        return None  # pragma: no cover
    cyaml, parser_class = found
    documents: list[Document] = []
    fields_problems: list[ParseProblem] = []
    with PYYAML_C_LOCK:
        originals = cyaml.ScalarNode, cyaml.MappingNode, cyaml.SequenceNode
        cyaml.ScalarNode, cyaml.MappingNode, cyaml.SequenceNode = _fast_scalar, _fast_mapping, _fast_sequence
        _Composition.depth, _Composition.max_depth = 0, limits.max_depth
        try:
            parser = parser_class(text)
            while parser.check_node():
                if len(documents) >= limits.max_documents:
                    return None
                documents.append(Document(len(documents), parser.get_node()))
            for mapping in reversed(_Composition.mappings):  # children first (no aliases: each node once)
                build_fields(mapping, fields_problems)
        except Exception:  # a YAML error, too deep: the event composer reports it
            return None
        finally:
            cyaml.ScalarNode, cyaml.MappingNode, cyaml.SequenceNode = originals
            _Composition.mappings.clear()
    problems.extend(fields_problems)
    return documents


# --- the composer ------------------------------------------------------------------------------

_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)
_TEMPLATE_LINE = re.compile(
    r"^[ \t-]*\{\{-?\s*(?:if|else|end|range|with|define|include|template|block|/\*|\$|\.Values|\.Release|\.Chart|\.Capabilities|toYaml)\b"
    r"|\{\{-?\s*(?:\.Values|\.Release|\.Chart|\.Capabilities|include\s|template\s|toYaml\s|tpl\s)"
    r"|^[ \t]*\{%-?\s*(?:if|for|endif|endfor|set|macro|block)\b",
    re.MULTILINE,
)
_TEMPLATE_OPEN = re.compile(r"\{\{|\{%")


class _DocumentAborted(Exception):
    """The stream passed max-documents; parsing stops there."""


class _DocumentAbandoned(Exception):
    """A document nests past max-depth: the rest of it is skipped unread, since some scanners
    (ruamel.yaml's, in flow collections) slow down with every level still open."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


class _Composer:
    def __init__(self, limits: ParseLimits, problems: list[ParseProblem]) -> None:
        self.limits = limits
        self.problems = problems

    def compose(self, events: Iterator[Any], base: int, first_index: int) -> Iterator[Document]:
        """Documents from ``events``, each as soon as it ends; marks are offset by ``base``.
        Exceptions propagate."""
        index = first_index
        stack: list[Mapping | Sequence] = []
        pending_keys: list[Node | None] = []
        sizes: list[int] = []
        anchors: dict[str, Node] = {}
        anchor_sizes: dict[str, int] = {}
        open_anchors: set[str] = set()
        root: Node | None = None
        root_size = 0
        doc_start = base
        aborted = False
        limits = self.limits

        def attach(node: Node, size: int) -> None:
            nonlocal root, root_size
            if not stack:
                root, root_size = node, size
                return
            parent = stack[-1]
            sizes[-1] += size
            if isinstance(parent, Sequence):
                parent.items.append(node)
            elif pending_keys[-1] is None:
                pending_keys[-1] = node
            else:
                key = pending_keys[-1]
                assert key is not None
                parent.pairs.append((key, node))
                pending_keys[-1] = None

        kinds = _KINDS
        plain_values = _PLAIN_VALUES
        for event in events:
            kind = kinds.get(type(event)) or _event_kind(event)
            if kind == "Scalar":  # the hot path (three events in four): attach() written out
                if aborted:
                    continue
                style = event.style or ""
                tag = event.tag
                text = event.value
                if style or tag is not None:
                    value = resolve_scalar(text, style, str(tag) if tag is not None else None)
                else:
                    value = plain_values[text]
                node: Node = Scalar(base + event.start_mark.index, base + event.end_mark.index,
                                    str(tag) if tag is not None else None, event.anchor, text, style, value)
                if event.anchor is not None:
                    anchors[event.anchor] = node
                    anchor_sizes[event.anchor] = 1
                if not stack:
                    root, root_size = node, 1
                    continue
                parent = stack[-1]
                sizes[-1] += 1
                if type(parent) is Sequence:
                    parent.items.append(node)
                elif pending_keys[-1] is None:
                    pending_keys[-1] = node
                else:
                    parent.pairs.append((pending_keys[-1], node))  # type: ignore[union-attr]
                    pending_keys[-1] = None
            elif kind in ("MappingStart", "SequenceStart"):
                if aborted:
                    continue
                if len(stack) >= limits.max_depth:
                    at = base + event.start_mark.index
                    self.problems.append(ParseProblem(
                        "limit", f"nesting deeper than {limits.max_depth} levels; the document is not linted "
                        "(raise limits.max-depth in the config if this is intended)",
                        Span(at, base + event.end_mark.index),
                    ))
                    yield Document(index, None)
                    raise _DocumentAbandoned(at)
                flow = bool(event.flow_style)
                tag = str(event.tag) if event.tag is not None else None
                start = base + event.start_mark.index
                container: Mapping | Sequence = (
                    Mapping(start, start, tag, event.anchor, flow) if kind == "MappingStart"
                    else Sequence(start, start, tag, event.anchor, flow)
                )
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
                stack.append(container)
                pending_keys.append(None)
                sizes.append(1)
            elif kind in ("MappingEnd", "SequenceEnd"):
                if aborted:
                    continue
                container = stack.pop()
                pending_keys.pop()
                size = sizes.pop()
                container.end = base + event.end_mark.index
                if isinstance(container, Mapping):
                    build_fields(container, self.problems)
                if container.anchor is not None:
                    open_anchors.discard(container.anchor)
                    anchors[container.anchor] = container
                    anchor_sizes[container.anchor] = size
                attach(container, size)
            elif kind == "Alias":
                if aborted:
                    continue
                span = Span(base + event.start_mark.index, base + event.end_mark.index)
                target = anchors.get(event.anchor)
                if target is None or event.anchor in open_anchors:
                    why = "refers to itself" if event.anchor in open_anchors else "has no anchor defined before it"
                    self.problems.append(ParseProblem("syntax", f"alias *{event.anchor} {why}", span))
                    attach(Scalar(span.start, span.end, None, None, "", "", None), 1)
                    continue
                attach(target, anchor_sizes[event.anchor])
                if root_size + sum(sizes) > limits.max_alias_expansion:
                    self.problems.append(ParseProblem(
                        "limit", f"aliases expand this document past {limits.max_alias_expansion} nodes "
                        "(an alias bomb?); the document is not linted",
                        span,
                    ))
                    aborted = True
            elif kind == "DocumentStart":
                root, root_size, aborted = None, 0, False
                stack.clear()
                pending_keys.clear()
                sizes.clear()
                anchors.clear()
                anchor_sizes.clear()
                open_anchors.clear()
                doc_start = base + event.start_mark.index
            elif kind == "DocumentEnd":
                if index >= limits.max_documents:
                    self.problems.append(ParseProblem(
                        "limit", f"more than {limits.max_documents} documents in one stream; the rest are not linted",
                        Span(doc_start, doc_start),
                    ))
                    raise _DocumentAborted
                yield Document(index, None if aborted else root)
                index += 1
                root = None  # the caller may be done with it: do not keep it alive


def build_fields(mapping: Mapping, problems: list[ParseProblem]) -> None:
    """Fill ``mapping.fields`` (the JSON view) from its pairs: merge keys applied, later keys win,
    duplicate and non-string keys reported."""
    fields = mapping.fields
    merged: dict[str, tuple[Node, Node]] = {}
    for pair in mapping.pairs:
        key, value = pair
        key_value = key.value if isinstance(key, Scalar) else None
        json_name = key_value if type(key_value) is str else json_key(key)
        if json_name == "<<" and isinstance(key, Scalar) and key.plain and key.tag is None:
            sources = value.items if isinstance(value, Sequence) else [value]
            for source in sources:
                if isinstance(source, Mapping):
                    for name, pair in source.fields.items():
                        merged.setdefault(name, pair)
                else:
                    problems.append(ParseProblem(
                        "syntax", "a merge key (<<) takes a mapping or a list of mappings", source.span
                    ))
            continue
        if json_name is None:
            problems.append(ParseProblem(
                "key-type", "a mapping key must be a string (Kubernetes manifests are JSON objects)",
                key.span,
            ))
            continue
        previous = fields.get(json_name)
        if previous is not None:
            problems.append(ParseProblem(
                "duplicate-key",
                f"duplicate key `{json_name}`; the API server rejects it (the first is at the related location)",
                key.span,
                [(previous[0].span, f"first `{json_name}`")],
            ))
        fields[json_name] = pair  # the pair itself: a tuple less to make, and to free
    for name, pair in merged.items():
        fields.setdefault(name, pair)


def _error_span(exc: Exception, text: str) -> tuple[int, str]:
    """Offset and one-line message of a YAML library exception."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    offset = getattr(mark, "index", None)
    if offset is None:
        offset = getattr(exc, "position", None)
    if not isinstance(offset, int):
        offset = len(text)
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    message = str(problem)
    if context and getattr(exc, "problem", None):
        message = f"{message} ({context})"
    return min(max(offset, 0), len(text)), message


def template_start(text: str) -> int | None:
    """Offset of the first template expression if the text is a Helm/Go/Jinja template."""
    if "{{" not in text and "{%" not in text:
        return None
    match = _TEMPLATE_LINE.search(text)
    if match is None:
        return None
    inner = _TEMPLATE_OPEN.search(text, match.start())
    return inner.start() if inner else match.start()


def looks_like_json(text: str) -> bool:
    stripped = text.lstrip(" \t\r\n")
    return stripped[:1] in ("{", "[")


def parse(text: str, *, backend: str = "auto", limits: ParseLimits | None = None) -> ParsedStream:
    """Parse a YAML (or JSON) stream into documents; never raises on bad input."""
    problems: list[ParseProblem] = []
    documents = list(iter_documents(text, problems, backend=backend, limits=limits))
    return ParsedStream(documents, problems)


def iter_documents(text: str, problems: list[ParseProblem], *, backend: str = "auto",
                   limits: ParseLimits | None = None) -> Iterator[Document]:
    """The documents of a stream one at a time, so a caller that is done with each can let it go
    (a 10 MB file is 600 MB of nodes at once); problems are appended to ``problems`` as found."""
    limits = limits or ParseLimits()
    template_at = template_start(text)
    if template_at is not None:
        problems.append(ParseProblem(
            "template",
            "this file is a template (Helm/Go `{{ }}` syntax), not a manifest; render it first: "
            "`helm template RELEASE CHART | svclint check -`",
            Span(template_at, template_at + 2),
        ))
        return
    # Raw tabs in valid JSON are only ever whitespace, which YAML rejects in places. Replacing
    # them keeps the length, so every offset stays true to the original text.
    parse_text = text.replace("\t", " ") if looks_like_json(text) else text
    if (backend == "libyaml" or (backend == "auto" and available_backends()[0] == "libyaml")):
        documents = _fast_documents(parse_text, limits, problems)
        if documents is not None:
            yield from documents
            return
    events = event_source(backend)
    composer = _Composer(limits, problems)
    base = 0
    count = 0
    while True:
        chunk = parse_text[base:] if base else parse_text
        try:
            for document in composer.compose(iter(events(chunk)), base, count):
                count += 1
                yield document
            break
        except _DocumentAborted:
            break
        except _DocumentAbandoned as abandoned:
            resume = _resume_point(parse_text, abandoned.offset, base)
            if resume is None:
                break
            base = resume
        except RecursionError:
            problems.append(ParseProblem("limit", "the document nests too deeply to parse", Span(base, base)))
            break
        except Exception as exc:  # YAML library errors of every kind
            local, message = _error_span(exc, chunk)
            offset = base + local
            line_start = parse_text.rfind("\n", 0, offset) + 1
            if "expected <document start>" in message and _after_document_end(parse_text, line_start) and line_start > base:
                # YAML 1.2 (and ruamel.yaml) allow a bare document after `...`; libyaml, being
                # YAML 1.1, wants `---`. Read it as a new stream so both parsers agree.
                base = line_start
                continue
            problems.append(_syntax_problem(text, offset, message))
            resume = _resume_point(parse_text, offset, base)
            if resume is None:
                break
            base = resume


def _resume_point(text: str, offset: int, base: int) -> int | None:
    """Where parsing resumes after a broken document: the next document marker, which may sit
    on the line of ``offset`` itself; after an end marker (`...`), the line that follows it."""
    line_start = text.rfind("\n", 0, offset) + 1
    marker = _DOCUMENT_MARKER.search(text, max(line_start, base + 1))
    if marker is None:
        return None
    if not text.startswith("...", marker.start()):
        return marker.start()
    next_line = text.find("\n", marker.start())
    return None if next_line == -1 else next_line + 1


def _after_document_end(text: str, line_start: int) -> bool:
    """Whether the last line before ``line_start`` that is not blank or a comment is `...`."""
    end = line_start
    while end > 0:
        start = text.rfind("\n", 0, end - 1) + 1
        line = text[start:end].strip()
        if line and not line.startswith("#"):
            return line == "..." or line.startswith("... ")
        end = start
    return False


def _syntax_problem(text: str, offset: int, message: str) -> ParseProblem:
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end == -1 else line_end
    line = text[line_start:line_end]
    previous_start = text.rfind("\n", 0, max(line_start - 1, 0)) + 1
    near_template = _TEMPLATE_OPEN.search(text, previous_start, line_end)
    indent = len(line) - len(line.lstrip(" \t"))
    if "\t" in line[:indent] or (offset < len(text) and text[offset] == "\t" and offset - line_start <= indent):
        tab = line_start + line.index("\t")
        return ParseProblem(
            "tab-indentation",
            "tab character in indentation; YAML allows only spaces there: indent with spaces",
            Span(tab, tab + 1),
        )
    if near_template is not None:
        at = near_template.start()
        return ParseProblem(
            "template",
            "template syntax (`{{ }}`) makes this invalid YAML; render it first: "
            "`helm template RELEASE CHART | svclint check -`",
            Span(at, at + 2),
        )
    end = offset + 1 if offset < len(text) and text[offset] not in "\r\n" else offset
    return ParseProblem("syntax", f"invalid YAML: {message}", Span(offset, end))


def nodes(stream: ParsedStream | Document) -> Iterator[Node]:
    """Every node of the stream's (or one document's) documents, once each (an alias is not
    walked again)."""
    documents = [stream] if isinstance(stream, Document) else stream.documents
    todo: list[Node] = [document.root for document in documents if document.root is not None]
    seen: set[int] = set()
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, Sequence):
            todo.extend(node.items)
        elif isinstance(node, Mapping):
            for key, value in node.pairs:
                todo.extend((key, value))


def to_data(node: Node | None) -> Any:
    """Plain JSON-like data of a node (for tests and fixes); aliases are followed."""
    if node is None:
        return None
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Sequence):
        return [to_data(item) for item in node.items]
    assert isinstance(node, Mapping)
    return {name: to_data(value) for name, (_, value) in node.fields.items()}
