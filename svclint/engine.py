"""The engine: sources in, diagnostics out. One pure function that the CLI, the language server
and the tests all call.

``lint(files, context=...)`` reports findings only for ``files``; cross-resource checks read the
index of ``files`` plus ``context`` (pre-commit passes changed files, the repository is context).
"""

from __future__ import annotations

import gc
import os
import re
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from . import __version__
from .checks import (
    INPUT_CHECK,
    OBJECT_CHECKS,
    SET_CHECKS,
    Finding,
    ObjectCheck,
    ObjectContext,
    Params,
    SetContext,
    gate,
)
from .config import Config
from .diagnostics import Diagnostic, Fix, Range, Related, Severity, Span, TextEdit
from .index import ALWAYS_NEEDED, Index, Summary, needs, summarize
from .kustomize import is_kustomization, patch_paths
from .model import KubeObject, objects_of
from .parse import Mapping, Node, ParseProblem, Scalar, iter_documents, nodes
from .parse import Sequence as SequenceNode
from .registry import Rule, builtin_rules
from .schema import KubeSchema, load, newest_version
from .source import DecodeError, Source, decode
from .suppress import Suppressions, scan

if TYPE_CHECKING:
    from .cache import ReportCache, StoredReport

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
    size: int | None = None  # bytes on disk, when ``data`` holds only the head of an oversized file
    partial: bool = False  # a Kustomize patch: partial objects (set by the engine, see kustomize.py)
    signature: tuple[int, int, int, int] | None = None  # (size, mtime, ctime, inode) once settled (discover.py)
    deferred: bool = False  # not read yet: ``data`` is read when needed (see ``loaded``)

    def loaded(self, config: Config) -> InputFile:
        """This file with its bytes read, if they were deferred."""
        if not self.deferred:
            return self
        from .discover import read

        item = read(self.path, self.explicit, config)
        return replace(item, partial=True) if self.partial else item


@dataclass(slots=True)
class LintResult:
    """The findings of a run; ``sources`` holds the text of every file a finding or a related
    location points into (renderers draw markers and LSP positions from them)."""

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
    gate: tuple[str, ...] = ()  # object rules: fields of which an object must hold one (checks.gate)


_GateTree = dict[str, "tuple[int, _GateTree]"]  # key -> (the bit of the path ending here, or 0; the keys below)
_Run = tuple[ActiveRule, ObjectCheck, Params]


@dataclass(slots=True)
class DispatchPlan:
    """The object rules of one type, arranged so that an object's gates are read in one walk.

    Each distinct gate path has a bit; ``mask`` walks the object's own keys against ``tree`` and
    sets the bit of every gate path the object holds. The rules to run depend on the mask alone
    and are worked out once per mask: objects of a repository hold few distinct sets of fields."""

    rules: tuple[tuple[int, ActiveRule], ...]  # (the bits of the rule's gate paths, 0 = always runs)
    tree: _GateTree
    _runs: dict[int, tuple[_Run, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, rules: Iterable[ActiveRule]) -> DispatchPlan:
        bits: dict[str, int] = {}
        tree: _GateTree = {}
        arranged = []
        for active in rules:
            mask = 0
            for path in active.gate:
                if path not in bits:
                    bits[path] = 1 << len(bits)
                    *parents, last = path.split(".")
                    level = tree
                    for key in parents:
                        level = level.setdefault(key, (0, {}))[1]
                    below = level.get(last, (0, {}))[1]
                    level[last] = (bits[path], below)
                mask |= bits[path]
            arranged.append((mask, active))
        return cls(tuple(arranged), tree)

    def mask(self, node: Mapping) -> int:
        """The bits of the gate paths ``node`` holds (as ``KubeObject.get`` finds them)."""
        mask = 0
        todo = [(node, self.tree)]
        while todo:
            mapping, tree = todo.pop()
            fields = mapping.fields
            held = [key for key in fields if key in tree] if len(fields) < len(tree) else [key for key in tree if key in fields]
            for key in held:
                bit, below = tree[key]
                mask |= bit
                if below:
                    child = fields[key][1]
                    if type(child) is Mapping:
                        todo.append((child, below))
        return mask

    def runs(self, mask: int) -> tuple[_Run, ...]:
        """The rules to run on an object with ``mask``: those that always run, and those whose
        gate names a field it holds."""
        found = self._runs.get(mask)
        if found is None:
            found = tuple((active, OBJECT_CHECKS[active.rule.check], active.rule.params)
                          for gate_mask, active in self.rules if not gate_mask or gate_mask & mask)
            if len(self._runs) < 4096:  # a bound against a stream of objects each unlike the last
                self._runs[mask] = found
        return found


@dataclass(slots=True)
class RuleSet:
    """The rules a configuration turns on, grouped the way the engine dispatches them."""

    input: dict[str, ActiveRule] = field(default_factory=dict)
    object: list[ActiveRule] = field(default_factory=list)
    set: list[ActiveRule] = field(default_factory=list)
    internal: ActiveRule | None = None
    _plans: dict[tuple[str, bool], DispatchPlan] = field(default_factory=dict)

    def plan(self, type_key: str, partial: bool) -> DispatchPlan:
        """The object rules that apply to objects of ``type_key`` (``apps/v1/Deployment``); of
        a Kustomize patch's (``partial``), only those that read patches."""
        found = self._plans.get((type_key, partial))
        if found is None:
            found = self._plans[type_key, partial] = DispatchPlan.of(
                active for active in self.object if active.rule.applies_to(type_key) and (active.rule.patches or not partial))
        return found

    def forget_plans(self) -> None:
        """After ``object`` or a rule's gate changed (tests open every gate)."""
        self._plans.clear()

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
            active = ActiveRule(rule, severity, gate(rule.check, rule.params) if rule.check in OBJECT_CHECKS else ())
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


def lint(
    files: Sequence[InputFile],
    *,
    config: Config | None = None,
    context: Sequence[InputFile] = (),
    rules: RuleSet | None = None,
    backend: str = "auto",
    jobs: int = 1,
    cache: ReportCache | None = None,
) -> LintResult:
    """Lint ``files``; ``context`` files join the cross-resource index but are not reported.

    ``jobs`` > 1 spreads big runs over forked processes; ``cache`` (see ``cache.py``) supplies
    the reports of files whose content it has seen. Neither changes the result."""
    with _collector_paused():
        return _lint(files, config=config, context=context, rules=rules, backend=backend, jobs=jobs, cache=cache)


# Set by a process that exits (os._exit) right after its run: each run's working data is kept
# instead of being freed object by object as ``lint`` returns (0.08 s after 50,000 documents).
_KEPT_UNTIL_EXIT: list[object] | None = None


def exit_after_run() -> None:
    """Declare that this process exits right after its run, leaving the OS to free its memory."""
    global _KEPT_UNTIL_EXIT
    _KEPT_UNTIL_EXIT = []


class _InInputOrder:
    """Hands reports, arriving in any order by position, to ``consume`` in position order;
    a position whose report is None (a context file left out) is passed over."""

    def __init__(self, consume: Callable[[FileReport], None]) -> None:
        self.consume = consume
        self.waiting: dict[int, FileReport | None] = {}
        self.next = 0

    def arrived(self, position: int, report: FileReport | None) -> None:
        self.waiting[position] = report
        while self.next in self.waiting:
            ready = self.waiting.pop(self.next)
            self.next += 1
            if ready is not None:
                self.consume(ready)

    def complete(self, count: int) -> bool:
        return self.next == count and not self.waiting


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
    jobs: int = 1,
    cache: ReportCache | None = None,
) -> LintResult:
    config = config or Config()
    rules = rules or RuleSet.build(config)
    reported_paths_in_order = list(dict.fromkeys(item.path for item in files))
    reported_paths = set(reported_paths_in_order)
    inputs = _mark_patches([*files, *(item for item in context if item.path not in reported_paths)], config)
    # A deferred file is read unless the cache knows it by its status (then it is read only if a
    # finding needs its text): a warm run of a large repository reads next to nothing.
    inputs = [item if cache is not None and cache.knows(item) else item.loaded(config) for item in inputs]
    diagnose = [index < len(files) for index in range(len(inputs))]
    by_path = {item.path: item for item in inputs}
    sources: dict[str, Source] = {}

    def source_of(path: str) -> Source | None:
        if path not in sources and path in by_path:
            sources[path] = _decode(by_path[path], config)[0]
        return sources.get(path)

    run = cache.get_run(inputs, diagnose) if cache is not None else None
    if run is not None:
        _read_sources(run.diagnostics, source_of)
        return LintResult(run.diagnostics, sources, len(files), run.objects, run.documents, tuple(reported_paths_in_order))
    schema = load(config.kubernetes_version or newest_version())
    index = Index(report_paths=frozenset(reported_paths))
    # Indexed as the reports arrive (between this process's own shares of a parallel run), in
    # input order all the same: hints break ties by the order objects were indexed.
    def add_to_index(report: FileReport) -> None:
        if report.unparsed:
            index.add_unparsed(report.path)
        for summary in report.summaries:
            index.add_summary(summary)

    in_order = _InInputOrder(add_to_index)
    reports, analysed_sources = _analyse_all(inputs, diagnose, rules, schema, config, backend, jobs, cache, in_order.arrived)
    assert in_order.complete(len(inputs))
    sources.update(analysed_sources)
    if cache is not None:
        cache.write_ahead()  # the reports' rows, by a forked process while the cross-checks run
    diagnostics: list[Diagnostic] = []
    documents = objects = 0
    for report in reports[: len(files)]:
        documents += report.documents
        objects += report.objects
        diagnostics.extend(report.diagnostics or ())
    set_context = SetContext(index, schema, config)
    for active in rules.set:
        try:
            findings = list(SET_CHECKS[active.rule.check](set_context, active.rule.params))
        except Exception as exc:  # one broken check must not stop the others
            findings = []
            first = source_of(reported_paths_in_order[0]) if reported_paths_in_order else None
            diagnostics.extend(_internal(rules, f"in rule {active.rule.id} ({active.rule.name})", exc, first, 0))
        for finding in findings:
            path = finding.path
            if path is None or path not in reported_paths or source_of(path) is None:
                continue
            for related_path, _, _ in finding.related:
                source_of(related_path)
            diagnostics.append(_diagnostic(active, finding, sources[path], sources))
    diagnostics = _suppress(diagnostics, reports[: len(files)], config)
    diagnostics.sort(key=lambda diagnostic: diagnostic.sort_key)
    _read_sources(diagnostics, source_of)  # files analysed by workers come back without text
    if cache is not None:
        from .cache import RunRecord

        cache.put_run(inputs, diagnose, RunRecord(diagnostics, documents, objects))
    if _KEPT_UNTIL_EXIT is not None:
        _KEPT_UNTIL_EXIT.append((inputs, reports, index, set_context))
    return LintResult(diagnostics, sources, len(files), objects, documents, tuple(reported_paths_in_order))


def _read_sources(diagnostics: list[Diagnostic], source_of: Callable[[str], Source | None]) -> None:
    for diagnostic in diagnostics:
        source_of(diagnostic.path)
        for related in diagnostic.related:
            source_of(related.path)


def _mark_patches(inputs: list[InputFile], config: Config) -> list[InputFile]:
    """The inputs, with the files that kustomizations among them name as patches marked partial."""
    kustomizations = [(item.path, _decode(item, config)[0].text) for item in inputs if is_kustomization(item.path)]
    patches = patch_paths(kustomizations) if kustomizations else set()
    if not patches:
        return inputs
    return [replace(item, partial=True) if os.path.normpath(item.path) in patches else item for item in inputs]


@dataclass
class FileReport:
    """What one file adds to a run: its own findings, the summaries cross-checks read, and what
    suppresses findings in it. No parse tree and no text, so it can be cached and sent between
    processes; a run rebuilds the index from these alone."""

    path: str
    diagnostics: list[Diagnostic] | None  # before suppression; None: read as context only
    summaries: list[Summary]
    unparsed: bool  # a template or broken YAML: its objects may be missing from the summaries
    documents: int
    objects: int
    suppressions: Suppressions
    ignored: list[tuple[int, int, frozenset[str]]]  # objects' svclint.io/ignore annotations


def analyse(item: InputFile, rules: RuleSet, schema: KubeSchema, config: Config, backend: str, *,
            diagnose: bool) -> tuple[FileReport, Source | None]:
    """One file, alone: parse it, run the per-file rules (when ``diagnose``), summarise its objects.

    A bug in svclint that escapes the per-rule guards (in the parser, the model, a summary)
    costs this file alone: it becomes an internal-error finding here and the run goes on."""
    try:
        return _analyse(item, rules, schema, config, backend, diagnose=diagnose)
    except Exception as exc:  # MemoryError and RecursionError included
        source = _decode(item, config)[0]
        diagnostics = _internal(rules, "while analysing this file", exc, source, 0) if diagnose else None
        return FileReport(item.path, diagnostics, [], True, 0, 0, Suppressions(), []), source


def _analyse(item: InputFile, rules: RuleSet, schema: KubeSchema, config: Config, backend: str, *,
             diagnose: bool) -> tuple[FileReport, Source | None]:
    source, problem = _decode(item, config)
    if problem is not None:
        diagnostics = _file_diagnostics(_FileFindings(source, [problem]), item, rules) if diagnose else None
        return FileReport(item.path, diagnostics, [], False, 0, 0, Suppressions(), []), source
    found = _FileFindings(source, [])
    text = source.text
    summaries: list[Summary] = []
    ignored: list[tuple[int, int, frozenset[str]]] = []
    string_spans: list[tuple[int, int]] = []
    wants_spans = diagnose and "svclint:" in text  # only suppression comments need them
    documents = objects = 0
    # Document by document: each parse tree is dropped once its findings and summaries are made.
    for document in iter_documents(text, found.problems, backend=backend, limits=config.limits):
        documents += 1
        if wants_spans:
            string_spans += ((node.start, node.end) for node in nodes(document) if isinstance(node, Scalar) and node.style)
        for obj in objects_of(item.path, document):
            if not isinstance(obj, KubeObject):
                found.not_objects.append(obj)
                continue
            objects += 1
            if not item.partial:  # a patch's objects are fragments of others, not objects of their own
                summaries.append(summarize(obj, config.default_namespace, text))
            if obj.ignored_rules:
                ignored.append((obj.node.start, obj.node.end, obj.ignored_rules))
            if diagnose:
                _object_diagnostics(obj, found, item, rules, schema, config)
    diagnostics = _file_diagnostics(found, item, rules) if diagnose else None
    suppressions = scan(source, lambda: string_spans) if diagnose else Suppressions()
    unparsed = any(problem.kind in ("template", "syntax") for problem in found.problems)
    return FileReport(item.path, diagnostics, summaries, unparsed, documents, objects, suppressions, ignored), source


def _analyse_all(inputs: list[InputFile], diagnose: list[bool], rules: RuleSet, schema: KubeSchema, config: Config,
                 backend: str, jobs: int, cache: ReportCache | None,
                 arrived: Callable[[int, FileReport | None], None]) -> tuple[list[FileReport], dict[str, Source]]:
    """Every file's report: from the cache, else analysed here or, for big runs, by ``jobs``
    forked workers (each takes a share of the files; the reports come back pickled).

    The reported files come first; then, of the context files the cache knows, only those that
    offer something the reported files' cross-checks need (index.needs) are loaded at all."""
    reports: list[FileReport | None] = [None] * len(inputs)
    sources: dict[str, Source] = {}
    reported = [position for position in range(len(inputs)) if diagnose[position]]
    context = [position for position in range(len(inputs)) if not diagnose[position]]
    _fill(reported, reports, sources, inputs, diagnose, rules, schema, config, backend, jobs, cache, arrived)
    if cache is not None and context:
        needed = set(ALWAYS_NEEDED)
        for position in reported:
            for summary in reports[position].summaries:  # type: ignore[union-attr]
                needed |= needs(summary)
        left_out = cache.irrelevant([inputs[position] for position in context], needed)
        for position in context:
            if inputs[position].path in left_out:
                arrived(position, None)
        context = [position for position in context if inputs[position].path not in left_out]
    _fill(context, reports, sources, inputs, diagnose, rules, schema, config, backend, jobs, cache, arrived)
    return [report for report in reports if report is not None], sources


def _fill(positions: list[int], reports: list[FileReport | None], sources: dict[str, Source], inputs: list[InputFile],
          diagnose: list[bool], rules: RuleSet, schema: KubeSchema, config: Config, backend: str, jobs: int,
          cache: ReportCache | None, arrived: Callable[[int, FileReport | None], None]) -> None:
    """The reports of the files at ``positions``: cached, or analysed (and then cached); each is
    passed to ``arrived`` as soon as it is made."""
    if cache is not None:
        for position in positions:
            reports[position] = report = cache.get(inputs[position], diagnose[position])
            if report is not None:
                arrived(position, report)
    todo = [position for position in positions if reports[position] is None]
    forms: dict[int, StoredReport] = {}
    if jobs > 1 and len(todo) > 1 and sum(_size(inputs[position]) for position in todo) >= PARALLEL_MIN_BYTES:
        keep = cache is not None
        for position, report, form in _analyse_in_workers(inputs, diagnose, todo, rules, schema, config, backend, jobs, keep):
            reports[position] = report
            arrived(position, report)
            if form is not None:
                forms[position] = form
    else:
        for position in todo:
            report, source = analyse(inputs[position], rules, schema, config, backend, diagnose=diagnose[position])
            reports[position] = report
            arrived(position, report)
            if source is not None:
                sources[inputs[position].path] = source
    if cache is not None:
        for position in todo:
            cache.put(inputs[position], reports[position], forms.get(position))  # type: ignore[arg-type]


PARALLEL_MIN_BYTES = 2_000_000  # below this, starting workers costs more than it saves
SHARES_PER_JOB = 16  # the finer the shares, the closer the processes finish together


def _analyse_in_workers(inputs: list[InputFile], diagnose: list[bool], todo: list[int], rules: RuleSet, schema: KubeSchema,
                        config: Config, backend: str, jobs: int, keep: bool,
                        ) -> Iterator[tuple[int, FileReport, StoredReport | None]]:
    """The files at ``todo``, shared by this process and ``jobs`` - 1 forked workers (see
    parallel.py). With ``keep`` (a cache), a worker sends each report as its stored form alone
    (the cache keeps it as it is; the report is read back from it); this process's own reports
    are pickled for the cache later, by its writer (``ReportCache.write_ahead``)."""
    from .cache import restored, stored
    from .parallel import run_shares, shares_of

    def work(share: Sequence[int], in_worker: bool) -> list[tuple[FileReport | None, StoredReport | None]]:
        out: list[tuple[FileReport | None, StoredReport | None]] = []
        with _collector_paused():
            for position in share:
                report = analyse(inputs[position], rules, schema, config, backend, diagnose=diagnose[position])[0]
                form = stored(report) if keep and in_worker else None  # this process's are pickled by the cache's writer
                out.append((None if in_worker and form is not None else report, form))
        return out

    for position, (report, form) in run_shares(shares_of(todo, jobs * SHARES_PER_JOB), work, jobs - 1):
        if report is None:
            assert form is not None
            report = restored(inputs[position].path, form.context, form.full)
        assert report is not None
        yield position, report, form


def _size(item: InputFile) -> int:
    if item.data is not None:
        return len(item.data)
    return item.signature[0] if item.signature is not None else 0


def _decode(item: InputFile, config: Config) -> tuple[Source, ParseProblem | None]:
    """A file's text, or why it has none (unreadable, over the size limit, not UTF-8/16/32)."""
    item = item.loaded(config)
    data = item.data
    if item.error is not None or data is None:
        return Source(item.path, ""), ParseProblem("unreadable", item.error or "cannot read file", Span(0, 0))
    size = item.size if item.size is not None else len(data)
    if size > config.max_file_size:
        return Source(item.path, ""), ParseProblem(
            "limit", f"file is {size:,} bytes, over the limit of {config.max_file_size:,} "
            "(raise limits.max-file-size in the config to lint it)", Span(0, 0))
    if isinstance(data, str):
        return Source(item.path, data.removeprefix("\ufeff"), "utf-8"), None
    try:
        text, encoding = decode(data)
    except DecodeError as exc:
        at = len(exc.text_before)
        return Source(item.path, exc.text_before), ParseProblem("unreadable", exc.message, Span(at, at))
    return Source(item.path, text, encoding), None


@dataclass(slots=True)
class _FileFindings:
    """What one file's analysis gathers while its documents stream past. Findings that depend on
    the whole file (is it a manifest at all?) wait here as small records until its end."""

    source: Source
    problems: list[ParseProblem]
    not_objects: list[Node] = field(default_factory=list)
    untyped: list[tuple[Span, str]] = field(default_factory=list)  # objects without apiVersion/kind
    typed: bool = False  # some object names its apiVersion or kind
    diagnostics: list[Diagnostic] = field(default_factory=list)


# A walked file that never names apiVersion or kind is someone else's YAML or JSON (a CI config,
# a tsconfig.json with comments): its syntax is not our business. Unreadable or oversized files
# are reported whatever they hold, since svclint could not look inside.
_TYPE_META_KEY = re.compile(r"""["']?\b(?:apiVersion|kind)["']?[ \t]*:""")
_ALWAYS_REPORTED = frozenset({"unreadable", "limit"})


def _object_diagnostics(obj: KubeObject, found: _FileFindings, item: InputFile, rules: RuleSet,
                        schema: KubeSchema, config: Config) -> None:
    """The per-object rules on one object (or, lacking apiVersion/kind, a record of that)."""
    if "apiVersion" in obj.node.fields or "kind" in obj.node.fields:
        found.typed = True
    missing = [name for name in ("apiVersion", "kind") if not _is_string(obj.node.get(name))]
    if missing:
        found.untyped.append((_type_meta_span(obj, missing), _type_meta_message(obj, missing)))
        return
    source = found.source
    ctx = ObjectContext(obj, schema, config, source.text)
    plan = rules.plan(obj.type_key, item.partial)
    for active, check, params in plan.runs(plan.mask(obj.node)):
        try:
            for finding in check(ctx, params):
                found.diagnostics.append(_diagnostic(active, finding, source, {source.path: source}))
        except Exception as exc:  # one broken rule must not stop the others
            rule = active.rule
            found.diagnostics.extend(_internal(rules, f"in rule {rule.id} ({rule.name})", exc, source, obj.node.start))


def _file_diagnostics(found: _FileFindings, item: InputFile, rules: RuleSet) -> list[Diagnostic]:
    """A file's findings once all its documents are read: YAML problems, non-objects and objects
    without type, judged by whether the file is a manifest at all, then the objects' findings."""
    source = found.source
    out: list[Diagnostic] = []
    sources = {source.path: source}

    def emit(problem: str, at: Span, message: str, related: list[tuple[str, Span, str]] | None = None) -> None:
        active = rules.input.get(problem)
        if active is not None:
            out.append(_diagnostic(active, Finding(at, {"detail": message}, related=related or []), source, sources))

    # kustomize reads a kustomization.yaml without apiVersion and kind: not a manifest unless it says so
    manifest_like = (item.explicit and not is_kustomization(item.path)) or found.typed
    mentions_kubernetes = manifest_like or _TYPE_META_KEY.search(source.text) is not None
    for problem in found.problems:
        if mentions_kubernetes or problem.kind in _ALWAYS_REPORTED:
            emit(problem.kind, problem.span, problem.message, [(source.path, span, text) for span, text in problem.related])
    if not manifest_like:
        return out
    for node in () if item.partial else found.not_objects:  # a JSON 6902 patch is a list of operations
        what = "a list" if isinstance(node, SequenceNode) else f"the scalar `{node.text}`" if isinstance(node, Scalar) else "not a mapping"
        emit("not-an-object", node.span, f"a manifest document must be a mapping with apiVersion, kind and metadata, not {what}")
    for span, message in found.untyped:
        emit("missing-type-meta", span, message)
    return out + found.diagnostics


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


def _internal(rules: RuleSet, where: str, exc: Exception, source: Source | None, offset: int) -> list[Diagnostic]:
    """An exception inside svclint as an SVC900 finding: what failed, where in our code, and a
    plea to report it; the caller goes on with the other rules and files."""
    active = rules.internal
    if active is None or source is None:
        return []
    frames = traceback.extract_tb(exc.__traceback__)
    place = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}, " if frames else ""
    text = str(exc)
    detail = (
        f"internal error {where}: {type(exc).__name__}: {text[:200] + '...' if len(text) > 200 else text} "
        f"[{place}svclint {__version__}]; the other rules and files still ran. "
        "Please report this with the manifest that caused it"
    )
    offset = min(offset, len(source.text))
    return [_diagnostic(active, Finding(Span(offset, min(offset + 1, len(source.text))), {"detail": detail}),
                        source, {source.path: source})]


def _suppress(diagnostics: list[Diagnostic], reports: list[FileReport], config: Config) -> list[Diagnostic]:
    """Drop findings turned off by comments, ``svclint.io/ignore`` annotations or per-file-ignores."""
    comments = {report.path: report.suppressions for report in reports}
    annotated = {report.path: report.ignored for report in reports}
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
