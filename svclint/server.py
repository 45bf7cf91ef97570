"""``svclint server``: a language server over stdio (pygls).

The server calls the same ``lint()`` as the CLI, in process. Each workspace root has its config
(the nearest ``.svclint.yaml`` or ``pyproject.toml``) and its manifests on disk as the
cross-check context. The open documents of a root are linted together, from their unsaved text,
a short while after the last edit (debounced), so a Service and the Deployment it selects
check each other while both are being edited. Files svclint would skip in a directory walk
(CI configs, Helm values) get no diagnostics.

Features: diagnostics (with related locations and rule links), code actions (each fix, a
fix-all, and "disable this rule" comments), and hover with the schema's documentation for the
field under the cursor. Positions follow the encoding negotiated with the client.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from . import __version__
from .config import CONFIG_FILES, Config, ConfigError, discover, load_file
from .diagnostics import Diagnostic, Range
from .discover import EXTENSIONS, read, repository_root, walk
from .engine import InputFile, LintResult, lint
from .model import path_at, string_value
from .parse import Mapping, Scalar, nodes, parse
from .schema import load, newest_version
from .source import Position, Source

DEBOUNCE_SECONDS = 0.3
CONFIG_NAMES = frozenset({*CONFIG_FILES, "pyproject.toml"})
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.svclint"
logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Root:
    """A workspace root: its config and the manifests on disk (loaded on first use)."""

    path: Path
    config: Config | None = None
    config_error: str | None = None
    disk: dict[str, InputFile] | None = None  # replaced whole, never mutated: lint threads read it
    pending: asyncio.Task[None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def load_config(self) -> Config:
        if self.config is None:
            try:
                found = discover(self.path)
                self.config, self.config_error = (load_file(found) if found else Config(root=self.path)), None
            except ConfigError as exc:
                self.config, self.config_error = Config(root=self.path), str(exc)
        return self.config

    def context_files(self) -> dict[str, InputFile]:
        """The manifests cross-checks read: config ``context:`` globs, else the whole root."""
        if self.disk is None:
            config = self.load_config()
            if config.context is not None:
                paths = [str(path) for path in config.context_matches(self.path)]
            else:
                paths = [str(self.path)]
            self.disk = {os.path.realpath(path): read(path, False, config) for path, _ in walk(paths, config)}
        return self.disk


class SvclintServer(LanguageServer):
    def __init__(self, debounce: float = DEBOUNCE_SECONDS) -> None:
        super().__init__("svclint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.debounce = debounce
        self.roots: dict[Path, Root] = {}

    # --- documents and roots ----------------------------------------------------------------

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or "utf-16")

    def root_of(self, path: str) -> Root:
        """The innermost workspace folder holding ``path``, else its git work tree."""
        folders = [Path(to_fs_path(folder.uri) or "/").resolve() for folder in self.workspace.folders.values()]
        if self.workspace.root_path:
            folders.append(Path(self.workspace.root_path).resolve())
        real = Path(path).resolve()
        holding = [folder for folder in folders if folder == real or folder in real.parents]
        top = max(holding, key=lambda folder: len(folder.parts)) if holding else repository_root(real.parent)
        if top not in self.roots:
            self.roots[top] = Root(top)
        return self.roots[top]

    def open_documents(self, root: Root) -> list[tuple[str, str, str, int | None]]:
        """(uri, path, text, version) of the open documents in ``root``."""
        out = []
        for uri, document in list(self.workspace.text_documents.items()):
            path = document_path(uri)
            if self.root_of(path) is root:
                out.append((uri, path, document.source, document.version))
        return out

    def schedule(self, root: Root, delay: float) -> None:
        """Lint ``root``'s open documents after ``delay`` seconds without another change."""
        if root.pending is not None:
            root.pending.cancel()
        root.pending = asyncio.get_running_loop().create_task(self._lint_later(root, delay))

    async def _lint_later(self, root: Root, delay: float) -> None:
        await asyncio.sleep(delay)
        documents = self.open_documents(root)
        try:
            published = await asyncio.to_thread(self.diagnose, root, documents)
        except Exception as exc:  # keep serving: report, and try again on the next change
            logger.exception("svclint failed")
            self.window_log_message(types.LogMessageParams(types.MessageType.Error, f"svclint failed: {exc!r}; please report it"))
            return
        if root.config_error:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"svclint: {root.config_error}"))
        for uri, version, diagnostics in published:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, diagnostics, version))

    def diagnose(self, root: Root, documents: list[tuple[str, str, str, int | None]]) -> list[tuple[str, int | None, list[types.Diagnostic]]]:
        """Lint the open documents of ``root`` together, the rest of it as context (a worker thread)."""
        with root.lock:
            config = root.load_config()
            disk = root.context_files()
            linted = [(uri, path, version) for uri, path, _, version in documents if not config.excluded(path)]
            files = [InputFile(path, text, None, explicit=False) for uri, path, text, _ in documents if not config.excluded(path)]
            open_paths = {os.path.realpath(path) for _, path, _, _ in documents}
            context = [item for real, item in disk.items() if real not in open_paths]
            result = lint(files, config=config, context=context) if files else None
        by_path: dict[str, list[types.Diagnostic]] = {}
        if result is not None:
            for diagnostic in result.diagnostics:
                by_path.setdefault(diagnostic.path, []).append(to_lsp(diagnostic, result, self.encoding))
        excluded = [(uri, version) for uri, path, _, version in documents if config.excluded(path)]
        return [(uri, version, by_path.get(path, [])) for uri, path, version in linted] + [(uri, version, []) for uri, version in excluded]

    def disk_changed(self, path: str) -> None:
        """A file changed on disk (saved, created, deleted): refresh it in its root's context."""
        root = self.root_of(path)
        if Path(path).name in CONFIG_NAMES:
            with root.lock:
                root.config = root.disk = None
            self.schedule(root, 0)
            return
        if root.disk is None or not path.lower().endswith(EXTENSIONS):
            return
        config = root.load_config()
        disk = dict(root.disk)
        if os.path.isfile(path) and not config.excluded(path):
            disk[os.path.realpath(path)] = read(path, False, config)
        else:
            disk.pop(os.path.realpath(path), None)
        root.disk = disk
        self.schedule(root, self.debounce)


def document_path(uri: str) -> str:
    """The file system path of a document (an ``untitled:`` buffer keeps its URI as its name)."""
    return (to_fs_path(uri) or uri) if uri.startswith("file:") else uri


def lsp_position(source: Source | None, position: Position, encoding: str) -> types.Position:
    character = source.character(position, encoding) if source is not None else position.column_utf16
    return types.Position(position.line, character)


def lsp_range(source: Source | None, value: Range, encoding: str) -> types.Range:
    return types.Range(lsp_position(source, value.start, encoding), lsp_position(source, value.end, encoding))


def to_lsp(diagnostic: Diagnostic, result: LintResult, encoding: str) -> types.Diagnostic:
    """A finding as an LSP diagnostic: the shape of ``--format json``, in the session's encoding."""
    source = result.sources.get(diagnostic.path)
    related = [
        types.DiagnosticRelatedInformation(
            types.Location(from_fs_path(os.path.abspath(item.path)) or item.path,
                           lsp_range(result.sources.get(item.path), item.range, encoding)),
            item.message,
        )
        for item in diagnostic.related
    ]
    return types.Diagnostic(
        range=lsp_range(source, diagnostic.range, encoding),
        message=diagnostic.message,
        severity=types.DiagnosticSeverity(int(diagnostic.severity)),
        code=diagnostic.rule_id,
        code_description=types.CodeDescription(diagnostic.docs_url) if diagnostic.docs_url else None,
        source="svclint",
        related_information=related or None,
        data={"ruleName": diagnostic.rule_name, "fixable": diagnostic.fix is not None},
    )


# --- code actions ---------------------------------------------------------------------------

_DISABLE_NEXT_LINE = re.compile(r"^(\s*#\s*svclint:\s*disable-next-line\s*=\s*)([A-Za-z0-9_, \t-]+?)\s*$")


def code_actions(server: SvclintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    document = server.workspace.get_text_document(uri)
    path = document_path(uri)
    root = server.root_of(path)
    config = root.load_config()
    encoding = server.encoding
    # Fixes come from the file alone (no cross-resource rule offers one), so this stays fast.
    result = lint([InputFile(path, document.source, None, explicit=False)], config=config)
    source = result.sources.get(path) or Source(path, document.source)
    start = source.offset_at(params.range.start.line, params.range.start.character, encoding)
    end = source.offset_at(params.range.end.line, params.range.end.character, encoding)
    wanted = params.context.only
    actions: list[types.CodeAction] = []

    def allowed(kind: str) -> bool:
        return not wanted or any(kind == only or kind.startswith(f"{only}.") for only in wanted)

    if allowed(types.CodeActionKind.QuickFix):
        for diagnostic in result.diagnostics:
            fix = diagnostic.fix
            if fix is None or diagnostic.range.end.offset < start or diagnostic.range.start.offset > end:
                continue
            edits = [types.TextEdit(lsp_range(source, edit.range, encoding), edit.new_text) for edit in fix.edits]
            actions.append(types.CodeAction(
                title=f"{fix.title} ({diagnostic.rule_id})" + ("" if fix.safe else " [unsafe: review]"),
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[to_lsp(diagnostic, result, encoding)],
                is_preferred=fix.safe,
                edit=types.WorkspaceEdit(changes={uri: edits}),
            ))
        seen: set[tuple[int, str]] = set()
        for reported in params.context.diagnostics:
            code = str(reported.code or "")
            if reported.source != "svclint" or not code or (reported.range.start.line, code) in seen:
                continue
            seen.add((reported.range.start.line, code))
            for title, edit in disable_edits(source, reported.range.start.line, code, encoding):
                actions.append(types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[reported],
                                                edit=types.WorkspaceEdit(changes={uri: [edit]})))
    if allowed(FIX_ALL_KIND) and any(diagnostic.fix is not None and diagnostic.fix.safe for diagnostic in result.diagnostics):
        from .autofix import fix_files

        run = fix_files([InputFile(path, document.source, None, explicit=False)], config=config, unsafe=False)
        if run.fixed:
            whole = types.Range(types.Position(0, 0), lsp_position(source, source.position(len(source.text)), encoding))
            actions.append(types.CodeAction(title="svclint: fix all safe problems", kind=FIX_ALL_KIND,
                                            edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(whole, run.fixed[0].after)]})))
    return actions


def disable_edits(source: Source, line: int, rule_id: str, encoding: str) -> list[tuple[str, types.TextEdit]]:
    """"Disable RULE on this line" (a comment on the line before, or added to one already there)
    and "for this file". None when the line starts inside a multi-line scalar, where a comment
    line would become text."""
    if line >= source.line_count:
        return []
    line_start = source.line_starts[line]
    stream = parse(source.text)
    if any(isinstance(node, Scalar) and node.start < line_start < node.end for node in nodes(stream)):
        return []
    newline = "\r\n" if "\r\n" in source.text else "\n"
    actions = []
    previous = source.line_text(line - 1) if line > 0 else ""
    existing = _DISABLE_NEXT_LINE.match(previous)
    if existing:
        at = lsp_position(source, source.position(source.line_end(line - 1)), encoding)
        edit = types.TextEdit(types.Range(at, at), f",{rule_id}")
    else:
        text = source.line_text(line)
        indent = text[: len(text) - len(text.lstrip(" "))]
        edit = types.TextEdit(types.Range(types.Position(line, 0), types.Position(line, 0)),
                              f"{indent}# svclint: disable-next-line={rule_id}{newline}")
    actions.append((f"Disable {rule_id} for this line", edit))
    actions.append((f"Disable {rule_id} for this file", types.TextEdit(
        types.Range(types.Position(0, 0), types.Position(0, 0)), f"# svclint: disable-file={rule_id}{newline}")))
    return actions


# --- hover ----------------------------------------------------------------------------------


def hover(server: SvclintServer, params: types.HoverParams) -> types.Hover | None:
    """The schema's documentation of the field under the cursor, for the kinds svclint knows."""
    document = server.workspace.get_text_document(params.text_document.uri)
    source = Source(document.uri, document.source)
    encoding = server.encoding
    offset = source.offset_at(params.position.line, params.position.character, encoding)
    config = server.root_of(document_path(document.uri)).load_config()
    schema = load(config.kubernetes_version or newest_version())
    for parsed in parse(source.text).documents:
        root = parsed.root
        if not isinstance(root, Mapping) or not root.start <= offset <= root.end:
            continue
        api_version, kind = string_value(root.get("apiVersion")), string_value(root.get("kind"))
        type_name = schema.type_name(api_version, kind) if api_version and kind else None
        located = path_at(root, offset)
        if type_name is None or located is None:
            return None
        path, key = located
        doc = schema.field_doc(type_name, path)
        if doc is None:
            return None
        dotted = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")
        lines = [f"**`{dotted}`**: {doc.type_text} ({kind}, {api_version})", "", doc.description]
        if doc.enum:
            lines += ["", "One of: " + ", ".join(f"`{value}`" for value in doc.enum)]
        return types.Hover(
            types.MarkupContent(types.MarkupKind.Markdown, "\n".join(lines)),
            lsp_range(source, Range(source.position(key.start), source.position(key.end)), encoding),
        )
    return None


# --- wiring ---------------------------------------------------------------------------------


def create_server(debounce: float = DEBOUNCE_SECONDS) -> SvclintServer:
    server = SvclintServer(debounce)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: SvclintServer, params: types.InitializedParams) -> None:
        watching = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
        if watching and watching.dynamic_registration:
            options = types.DidChangeWatchedFilesRegistrationOptions(
                [types.FileSystemWatcher(glob_pattern="**/*.{yaml,yml,json,toml}")])
            await ls.client_register_capability_async(types.RegistrationParams(
                [types.Registration("svclint-watch", types.WORKSPACE_DID_CHANGE_WATCHED_FILES, options)]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SvclintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(ls.root_of(document_path(params.text_document.uri)), 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SvclintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(ls.root_of(document_path(params.text_document.uri)), ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SvclintServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.disk_changed(document_path(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SvclintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))
        root = ls.root_of(document_path(uri))
        ls.schedule(root, ls.debounce)  # its copy on disk is context again for the others

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: SvclintServer, params: types.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            ls.disk_changed(document_path(change.uri))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]))
    def actions(ls: SvclintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return code_actions(ls, params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: SvclintServer, params: types.HoverParams) -> types.Hover | None:
        return hover(ls, params)

    return server


def serve(debounce: float = DEBOUNCE_SECONDS) -> None:
    create_server(debounce).start_io()
