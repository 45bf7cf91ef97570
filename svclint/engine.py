"""The engine: sources in, diagnostics out. One pure function that the CLI, the language server
and the tests all call.

``lint(files, context=...)`` reports findings only for ``files``; cross-resource checks read the
index of ``files`` plus ``context`` (pre-commit passes changed files, the repository is context).
"""

from __future__ import annotations

import gc
import re
import traceback
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from . import __version__
from .checks import INPUT_CHECK, OBJECT_CHECKS, SET_CHECKS, Finding, ObjectContext, SetContext
from .config import Config
from .diagnostics import Diagnostic, Fix, Range, Related, Severity, Span, TextEdit
from .index import Index
from .model import KubeObject, objects_of
from .parse import Node, ParsedStream, ParseProblem, Scalar, nodes, parse
from .parse import Sequence as SequenceNode
from .registry import Rule, builtin_rules
from .schema import KubeSchema, load, newest_version
from .source import DecodeError, Source, decode
from .suppress import scan

INTERNAL_RULE_ID = "SVC900"


@dataclass(slots=True)
class InputFile:
    """A file to lint: its display path and bytes (or text), or why it could not be read.

    ``explicit`` is False for files found by walking a directory: those are skipped quietly
    when nothing in them looks like a Kubernetes object (CI configs, Helm values, ...).
    """

    path: str
    data: bytes | str | None
    error: str | None = None
    explicit: bool = True


@dataclass(slots=True)
class LintResult:
    diagnostics: list[Diagnostic]
    sources: dict[str, Source]
    files: int
    objects: int
    documents: int
    reported_paths: tuple[str, ...] = ()

    def count(self, severity: Severity) -> int:
        return sum(1 for diagnostic in self.diagnostics if diagnostic.severity == severity)


@dataclass(slots=True)
class ActiveRule:
    rule: Rule
    severity: Severity


@dataclass(slots=True)
class RuleSet:
    """The rules a configuration turns on, grouped the way the engine dispatches them."""

    input: dict[str, ActiveRule] = field(default_factory=dict)
    object: list[ActiveRule] = field(default_factory=list)
    set: list[ActiveRule] = field(default_factory=list)
    internal: ActiveRule | None = None

    @classmethod
    def build(cls, config: Config, rules: Iterable[Rule] | None = None) -> RuleSet:
        catalog = tuple(rules) if rules is not None else builtin_rules()
        ruleset = cls()
        for rule in catalog:
            if not _enabled(rule, config):
                continue
            severity = rule.severity
            override = config.severity.get(rule.id) or config.severity.get(rule.name)
            if override == "off":
                continue
            if override:
                severity = Severity.parse(override)
            active = ActiveRule(rule, severity)
            if rule.check == INPUT_CHECK:
                ruleset.input[rule.params["problem"]] = active
                if rule.params["problem"] == "internal":
                    ruleset.internal = active
            elif rule.check in SET_CHECKS:
                ruleset.set.append(active)
            else:
                ruleset.object.append(active)
        return ruleset


def _matches(rule: Rule, selector: str) -> bool:
    selector = selector.strip()
    return rule.id.startswith(selector.upper()) or rule.name == selector or selector.upper() == "ALL"


def _enabled(rule: Rule, config: Config) -> bool:
    if rule.check == INPUT_CHECK and rule.params.get("problem") == "internal":
        return True  # an internal error is never hidden
    if config.select and not any(_matches(rule, selector) for selector in config.select):
        return False
    return not any(_matches(rule, selector) for selector in config.ignore)


@dataclass(slots=True)
class _File:
    input: InputFile
    source: Source | None
    stream: ParsedStream | None
    objects: list[KubeObject]
    not_objects: list[Node]
    problems: list[ParseProblem]


def lint(
    files: Sequence[InputFile],
    *,
    config: Config | None = None,
    context: Sequence[InputFile] = (),
    rules: RuleSet | None = None,
    backend: str = "auto",
) -> LintResult:
    """Lint ``files``; ``context`` files join the cross-resource index but are not reported."""
    with _collector_paused():
        return _lint(files, config=config, context=context, rules=rules, backend=backend)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Parsing makes millions of small acyclic objects; the cyclic garbage collector would walk
    them again and again for nothing (a third of the run). Paused for the run, then restored."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _lint(
    files: Sequence[InputFile],
    *,
    config: Config | None,
    context: Sequence[InputFile],
    rules: RuleSet | None,
    backend: str,
) -> LintResult:
    config = config or Config()
    rules = rules or RuleSet.build(config)
    schema = load(config.kubernetes_version or newest_version())
    reported = [_read(item, config, backend) for item in files]
    reported_paths_in_order = list(dict.fromkeys(item.input.path for item in reported))
    reported_paths = set(reported_paths_in_order)
    context_files = [_read(item, config, backend) for item in context if item.path not in reported_paths]
    diagnostics: list[Diagnostic] = []
    sources: dict[str, Source] = {}
    index = Index(report_paths=frozenset(reported_paths))
    for item in (*reported, *context_files):
        if item.source is not None:
            sources[item.input.path] = item.source
        text = item.source.text if item.source is not None else ""
        if any(problem.kind in ("template", "syntax") for problem in item.problems):
            index.add_unparsed(item.input.path)
        for obj in item.objects:
            index.add(obj, config.default_namespace, text)
    documents = objects = 0
    for item in reported:
        documents += len(item.stream.documents) if item.stream else 0
        objects += len(item.objects)
        diagnostics.extend(_file_diagnostics(item, rules, schema, config))
    set_context = SetContext(index, schema, config)
    for active in rules.set:
        try:
            findings = list(SET_CHECKS[active.rule.check](set_context, active.rule.params))
        except Exception as exc:  # one broken check must not stop the others
            findings = []
            diagnostics.extend(_internal(rules, active.rule, exc, next(iter(sources.values()), None), 0))
        for finding in findings:
            path = finding.path
            if path is None or path not in reported_paths or path not in sources:
                continue
            diagnostics.append(_diagnostic(active, finding, sources[path], sources))
    diagnostics = _suppress(diagnostics, reported, config)
    diagnostics.sort(key=lambda diagnostic: diagnostic.sort_key)
    return LintResult(diagnostics, sources, len(reported), objects, documents, tuple(reported_paths_in_order))


def _read(item: InputFile, config: Config, backend: str) -> _File:
    problems: list[ParseProblem] = []
    if item.error is not None or item.data is None:
        return _File(item, Source(item.path, ""), None, [], [], [ParseProblem("unreadable", item.error or "cannot read file", Span(0, 0))])
    data = item.data
    if len(data) > config.max_file_size:
        return _File(item, Source(item.path, ""), None, [], [], [ParseProblem(
            "limit", f"file is {len(data)} bytes, over the limit of {config.max_file_size} "
            "(raise limits.max-file-size in the config to lint it)", Span(0, 0))])
    if isinstance(data, bytes):
        try:
            text, encoding = decode(data)
        except DecodeError as exc:
            source = Source(item.path, exc.text_before)
            at = len(exc.text_before)
            return _File(item, source, None, [], [], [ParseProblem("unreadable", exc.message, Span(at, at))])
    else:
        text, encoding = data.removeprefix("\ufeff"), "utf-8"
    source = Source(item.path, text, encoding)
    stream = parse(text, backend=backend, limits=config.limits)
    problems.extend(stream.problems)
    found: list[KubeObject] = []
    not_objects: list[Node] = []
    for document in stream.documents:
        for obj in objects_of(item.path, document):
            if isinstance(obj, KubeObject):
                found.append(obj)
            else:
                not_objects.append(obj)
    return _File(item, source, stream, found, not_objects, problems)


# A walked file that never names apiVersion or kind is someone else's YAML or JSON (a CI config,
# a tsconfig.json with comments): its syntax is not our business. Unreadable or oversized files
# are reported whatever they hold, since svclint could not look inside.
_TYPE_META_KEY = re.compile(r"""["']?\b(?:apiVersion|kind)["']?[ \t]*:""")
_ALWAYS_REPORTED = frozenset({"unreadable", "limit"})


def _file_diagnostics(item: _File, rules: RuleSet, schema: KubeSchema, config: Config) -> list[Diagnostic]:
    source = item.source
    assert source is not None
    out: list[Diagnostic] = []
    sources = {source.path: source}

    def emit(problem: str, at: Span, message: str, related: list[tuple[str, Span, str]] | None = None) -> None:
        active = rules.input.get(problem)
        if active is not None:
            out.append(_diagnostic(active, Finding(at, {"detail": message}, related=related or []), source, sources))

    manifest_like = item.input.explicit or any(
        "apiVersion" in obj.node.fields or "kind" in obj.node.fields for obj in item.objects
    )
    mentions_kubernetes = manifest_like or _TYPE_META_KEY.search(source.text) is not None
    for problem in item.problems:
        if mentions_kubernetes or problem.kind in _ALWAYS_REPORTED:
            emit(problem.kind, problem.span, problem.message, [(source.path, span, text) for span, text in problem.related])
    if not manifest_like:
        return out
    for node in item.not_objects:
        what = "a list" if isinstance(node, SequenceNode) else f"the scalar `{node.text}`" if isinstance(node, Scalar) else "not a mapping"
        emit("not-an-object", node.span, f"a manifest document must be a mapping with apiVersion, kind and metadata, not {what}")
    for obj in item.objects:
        missing = [name for name in ("apiVersion", "kind") if not _is_string(obj.node.get(name))]
        if missing:
            emit("missing-type-meta", _type_meta_span(obj, missing), _type_meta_message(obj, missing))
            continue
        ctx = ObjectContext(obj, schema, config, source.text)
        type_key = obj.type_key
        for active in rules.object:
            rule = active.rule
            if not rule.applies_to(type_key):
                continue
            try:
                for finding in OBJECT_CHECKS[rule.check](ctx, rule.params):
                    out.append(_diagnostic(active, finding, source, sources))
            except Exception as exc:  # one broken rule must not stop the others
                out.extend(_internal(rules, rule, exc, source, obj.node.start))
    return out


def _is_string(node: Node | None) -> bool:
    return isinstance(node, Scalar) and isinstance(node.value, str) and bool(node.value)


def _type_meta_span(obj: KubeObject, missing: list[str]) -> Span:
    for name in missing:
        key = obj.node.key_node(name)
        if key is not None:
            value = obj.node.get(name)
            return value.span if value is not None else key.span
    first = obj.node.pairs[0][0] if obj.node.pairs else obj.node
    return first.span


def _type_meta_message(obj: KubeObject, missing: list[str]) -> str:
    present = [name for name in missing if name in obj.node.fields]
    if present:
        return f"`{present[0]}` must be a non-empty string (e.g. `apiVersion: v1`, `kind: Service`)"
    names = " and ".join(f"`{name}`" for name in missing)
    return f"missing {names}: every manifest names its type (e.g. `apiVersion: v1` and `kind: Service`)"


def _diagnostic(active: ActiveRule, finding: Finding, source: Source, sources: dict[str, Source]) -> Diagnostic:
    rule = active.rule
    span = finding.span
    related = tuple(
        Related(path, Range.of(sources[path], related_span), message)
        for path, related_span, message in finding.related
        if path in sources
    )
    fix = None
    if finding.fix is not None:
        fix = Fix(
            finding.fix.title,
            tuple(TextEdit(edit.span, Range.of(source, edit.span), edit.new_text) for edit in finding.fix.edits),
            finding.fix.safe,
        )
    return Diagnostic(
        rule_id=rule.id,
        rule_name=rule.name,
        severity=active.severity,
        message=rule.render(finding.args),
        path=source.path,
        range=Range.of(source, span),
        related=related,
        fix=fix,
        docs_url=rule.docs_url,
    )


def _internal(rules: RuleSet, rule: Rule, exc: Exception, source: Source | None, offset: int) -> list[Diagnostic]:
    active = rules.internal
    if active is None or source is None:
        return []
    where = traceback.extract_tb(exc.__traceback__)[-1]
    detail = (
        f"internal error in rule {rule.id} ({rule.name}): {type(exc).__name__}: {exc} "
        f"[{where.filename.rsplit('/', 1)[-1]}:{where.lineno}, svclint {__version__}]; the other rules still ran. "
        "Please report this with the manifest that caused it"
    )
    return [_diagnostic(active, Finding(Span(offset, offset + 1), {"detail": detail}), source, {source.path: source})]


def _suppress(diagnostics: list[Diagnostic], files: list[_File], config: Config) -> list[Diagnostic]:
    """Drop findings turned off by comments, ``svclint.io/ignore`` annotations or per-file-ignores."""
    comments = {
        item.input.path: scan(item.source, lambda item=item: _string_spans(item))  # type: ignore[misc]
        for item in files if item.source is not None
    }
    annotated = {
        item.input.path: [(obj.node.start, obj.node.end, obj.ignored_rules) for obj in item.objects if obj.ignored_rules]
        for item in files
    }
    kept = []
    for diagnostic in diagnostics:
        rule_keys = {diagnostic.rule_id, diagnostic.rule_name}
        if diagnostic.rule_id == INTERNAL_RULE_ID:
            kept.append(diagnostic)
            continue
        suppressions = comments.get(diagnostic.path)
        if suppressions and suppressions.suppressed(diagnostic.range.start.line, diagnostic.rule_id, diagnostic.rule_name):
            continue
        offset = diagnostic.range.start.offset
        if any(start <= offset <= end and (rule_keys & ignored or "all" in ignored)
               for start, end, ignored in annotated.get(diagnostic.path, ())):
            continue
        if rule_keys & config.ignored_in(diagnostic.path):
            continue
        kept.append(diagnostic)
    return kept


def _string_spans(item: _File) -> list[tuple[int, int]]:
    """Spans of quoted and block scalars, where ``#`` does not start a comment."""
    if item.stream is None:
        return []
    return [(node.start, node.end) for node in nodes(item.stream) if isinstance(node, Scalar) and node.style]
