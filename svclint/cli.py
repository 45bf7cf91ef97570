"""Command line: ``svclint check``, ``svclint rules``, ``svclint rule ID``.

Exit codes: 0 no finding at or above the failing severity (``--fail-on``, default error);
1 such findings; 2 usage, configuration or internal error.
"""

from __future__ import annotations

import contextlib
import enum
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TextIO

import typer

from . import __version__
from .config import Config, ConfigError, discover, load_file, parse_cidrs, parse_node_port_range
from .diagnostics import Severity

if TYPE_CHECKING:
    from .engine import InputFile, LintResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    name="svclint",
    help="Lint Kubernetes Service manifests and the workloads they select.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class OutputFormat(str, enum.Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"
    junit = "junit"


class RulesFormat(str, enum.Enum):
    text = "text"
    json = "json"


def default_format(out: TextIO) -> OutputFormat:
    """GitHub annotations inside GitHub Actions when the output is not a terminal; text otherwise."""
    in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
    return OutputFormat.github if in_actions and not getattr(out, "isatty", lambda: False)() else OutputFormat.text


class FailOn(str, enum.Enum):
    error = "error"
    warning = "warning"
    info = "info"
    hint = "hint"


class Parser(str, enum.Enum):
    auto = "auto"
    libyaml = "libyaml"
    ruamel = "ruamel"


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(f"svclint: error: {message}\n")
    return typer.Exit(EXIT_ERROR)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"svclint {__version__}\n")
        raise typer.Exit(EXIT_CLEAN)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """svclint: lint Kubernetes Service manifests and the workloads they select."""


def load_config(config_file: Path | None, paths: list[str]) -> Config:
    if config_file is not None:
        return load_file(config_file)
    start = next((Path(path) for path in paths if path != "-"), Path.cwd())
    found = discover(start if start.exists() else Path.cwd())
    return load_file(found) if found else Config(root=Path.cwd())


def use_color(choice: bool | None, out: TextIO) -> bool:
    if choice is not None:
        return choice
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(out, "isatty", lambda: False)())


@app.command()
def check(
    paths: Annotated[list[str] | None, typer.Argument(help="Files, directories (walked for *.yaml, *.yml, *.json) or - for stdin. Default: .")] = None,
    output_format: Annotated[OutputFormat | None, typer.Option("--format", "-f", help="Output format (default: text; github inside GitHub Actions when stdout is not a terminal).")] = None,
    output_file: Annotated[Path | None, typer.Option("--output-file", "-o", help="Write the report here instead of stdout.")] = None,
    config_file: Annotated[Path | None, typer.Option("--config", help="Config file (default: nearest .svclint.yaml or pyproject.toml [tool.svclint]).")] = None,
    kube_version: Annotated[str | None, typer.Option("--kube-version", help="Kubernetes minor version to lint for, e.g. 1.37 (default: newest shipped).")] = None,
    select: Annotated[list[str] | None, typer.Option("--select", help="Only these rules (id, id prefix or name); repeatable.")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Skip these rules (id, id prefix or name); repeatable.")] = None,
    fail_on: Annotated[FailOn | None, typer.Option("--fail-on", help="Lowest severity that makes the exit code 1 (default: error).")] = None,
    node_port_range: Annotated[str | None, typer.Option("--node-port-range", help="The API server's --service-node-port-range (default 30000-32767).")] = None,
    service_cidr: Annotated[str | None, typer.Option("--service-cidr", help="The API server's --service-cluster-ip-range (one CIDR, or two for dual-stack).")] = None,
    stdin_filename: Annotated[str | None, typer.Option("--stdin-filename", help="Name to report for input read from stdin.")] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings.")] = False,
    color: Annotated[bool | None, typer.Option("--color/--no-color", help="Colour output (default: on a terminal, unless NO_COLOR is set).")] = None,
    parser: Annotated[Parser, typer.Option("--parser", help="YAML event parser: libyaml (fast, default when available) or ruamel.")] = Parser.auto,
    fix: Annotated[bool, typer.Option("--fix", help="Apply safe fixes to the files (stdin: print the fixed text), then report what remains.")] = False,
    unsafe_fixes: Annotated[bool, typer.Option("--unsafe-fixes", help="With --fix or --diff, apply unsafe fixes too (they may change meaning: review them).")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print the fixes as a unified diff and write nothing; exit 1 if there is any.")] = False,
    context: Annotated[list[str] | None, typer.Option("--context", help="Files or directories that cross-resource checks read besides the files linted (findings are reported only for the files linted); repeatable. Default: config `context:`, else the git repository (or directory) svclint runs in.")] = None,
    no_context: Annotated[bool, typer.Option("--no-context", help="Cross-check only the files linted.")] = False,
    namespace: Annotated[str | None, typer.Option("--namespace", "-n", help="Namespace of objects that name none, as with kubectl apply -n (default: default).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the report cache.")] = False,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help="Where the report cache lives (default: $SVCLINT_CACHE_DIR, else ~/.cache/svclint).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=0, help="Processes for big runs (default 0: one per CPU; 1: none).")] = 0,
    force_exclude: Annotated[bool, typer.Option("--force-exclude", help="Apply the config's exclude globs to files named on the command line too (for pre-commit).")] = False,
    only_manifests: Annotated[bool, typer.Option("--only-manifests", help="Skip named files that hold no Kubernetes object quietly, as a directory walk does (for pre-commit, which passes every YAML and JSON file).")] = False,
) -> None:
    """Lint manifests and report findings."""
    gc.disable()  # one run, then exit: the cyclic collector would only re-walk the parse trees
    from .discover import read, read_stream, walk
    from .engine import exit_after_run, lint
    from .report import renderer
    from .schema import versions

    targets = paths or ["."]
    try:
        config = load_config(config_file, targets)
        overrides: dict[str, object] = {}
        if kube_version is not None:
            if kube_version.removeprefix("v") not in versions():
                raise ConfigError(f"--kube-version {kube_version}: svclint ships {', '.join(versions())}")
            overrides["kubernetes_version"] = kube_version.removeprefix("v")
        if select:
            overrides["select"] = tuple(part for item in select for part in item.split(",") if part)
        if ignore:
            overrides["ignore"] = config.ignore + tuple(part for item in ignore for part in item.split(",") if part)
        if fail_on is not None:
            overrides["fail_on"] = Severity.parse(fail_on.value)
        if node_port_range is not None:
            overrides["node_port_range"] = parse_node_port_range(node_port_range)
        if service_cidr is not None:
            overrides["service_cidrs"] = parse_cidrs(service_cidr)
        if namespace is not None:
            overrides["default_namespace"] = namespace
        config = config.with_overrides(**overrides)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    files: list[InputFile] = []
    deferrable = not (no_cache or fix or diff)  # the cache may spare reading files it knows
    for path, explicit in walk([target for target in targets if target != "-"], config, force_exclude=force_exclude):
        if not os.path.exists(path) and not os.path.islink(path) and explicit:
            raise _fail(f"{path}: no such file or directory")
        files.append(read(path, explicit and not only_manifests, config, defer=deferrable))
    stdin_path = stdin_filename or "-"
    if "-" in targets:
        files.append(read_stream(sys.stdin.buffer, stdin_path, True, config))
    linted = {_file_identity(item.path) for item in files}
    context_files = [
        read(os.path.normpath(path), False, config, defer=deferrable)
        for path, _ in walk(context_paths(context, no_context, config, targets), config)
        if _file_identity(path) not in linted
    ]
    if fix or diff:
        result = _fix(files, config, parser.value, unsafe=unsafe_fixes, diff=diff,
                      stdin_path=stdin_path if "-" in targets else None, context=context_files)
    else:
        cache = None
        if not no_cache:
            from .cache import ReportCache

            cache = ReportCache.open(cache_dir, config, parser.value, Path.cwd())
        if _EXITS_AFTER_COMMAND:
            exit_after_run()  # the OS frees the run's data at once
        result = lint(files, config=config, context=context_files, backend=parser.value,
                      jobs=jobs or os.cpu_count() or 1, cache=cache)
        if cache is not None:
            cache.save()
    stdin_fixed = fix and "-" in targets
    if output_format is None:
        output_format = default_format(sys.stderr if stdin_fixed else sys.stdout)
    render = renderer(output_format.value)
    if output_file is not None:
        with open(output_file, "w", encoding="utf-8") as handle:
            render(result, handle, False)
    elif stdin_fixed:  # stdout carries the fixed text; the report goes to stderr
        render(result, sys.stderr, output_format is OutputFormat.text and use_color(color, sys.stderr))
    else:
        render(result, sys.stdout, output_format is OutputFormat.text and use_color(color, sys.stdout))
    failing = any(diagnostic.severity <= config.fail_on for diagnostic in result.diagnostics)
    raise typer.Exit(EXIT_FINDINGS if failing and not exit_zero else EXIT_CLEAN)


def _file_identity(path: str) -> object:
    """What tells one file from another whatever the path (links, ``./``): device and inode."""
    if path == "-":
        return path
    try:
        status = os.stat(path)
    except OSError:
        return os.path.realpath(path)
    return (status.st_dev, status.st_ino)


def context_paths(given: list[str] | None, disabled: bool, config: Config, targets: list[str]) -> list[str]:
    """What cross-resource checks read besides the linted files: --context, else config
    `context:` globs, else the repository (or directory) svclint runs in, when the linted
    files are inside it (linting /tmp/x.yaml from a repository does not pull the repository in)."""
    if disabled:
        return []
    if given:
        return [os.path.normpath(path) for path in given]
    if config.context is not None:
        return sorted({os.path.relpath(path) for path in config.context_matches(Path.cwd())})
    from .discover import repository_root

    cwd = Path.cwd()
    root = repository_root(cwd)
    files = [Path(os.path.realpath(target)) for target in targets if target != "-"]
    if "-" in targets or any(path == root or root in path.parents for path in files):
        return [os.path.relpath(root, cwd)]
    return []


def _fix(files: list[InputFile], config: Config, backend: str, *, unsafe: bool, diff: bool,
         stdin_path: str | None, context: list[InputFile]) -> LintResult:
    """--fix / --diff: fix in memory, then print the diff or write the files (stdin: stdout)."""
    from .autofix import ChangedOnDisk, as_bytes, fix_files, unified_diff, write_atomically

    run = fix_files(files, config=config, backend=backend, unsafe=unsafe, context=context)
    count = sum(fixed.fixes for fixed in run.fixed)
    held = f" ({run.unsafe_left} more with --unsafe-fixes)" if run.unsafe_left else ""
    if diff:
        for fixed in run.fixed:
            sys.stdout.write(unified_diff(fixed))
        sys.stderr.write(f"Would fix {count} problem{'s' * (count != 1)} in {len(run.fixed)} file{'s' * (len(run.fixed) != 1)}{held}.\n")
        raise typer.Exit(EXIT_FINDINGS if run.fixed else EXIT_CLEAN)
    failures = []
    for fixed in run.fixed:
        if fixed.path == stdin_path:
            continue
        try:
            write_atomically(fixed)
        except (ChangedOnDisk, OSError) as exc:
            failures.append(str(exc))
    if stdin_path is not None:
        stdin_file = next(item for item in files if item.path == stdin_path)
        fixed_stdin = next((fixed for fixed in run.fixed if fixed.path == stdin_path), None)
        sys.stdout.buffer.write(fixed_stdin.data if fixed_stdin else as_bytes(stdin_file.data))
        sys.stdout.flush()
    sys.stderr.write(f"Fixed {count} problem{'s' * (count != 1)} in {len(run.fixed)} file{'s' * (len(run.fixed) != 1)}{held}.\n")
    for failure in failures:
        sys.stderr.write(f"svclint: error: {failure}\n")
    if failures:
        raise typer.Exit(EXIT_ERROR)
    return run.result


@app.command("rules")
def list_rules(
    output_format: Annotated[RulesFormat, typer.Option("--format", "-f", help="Output format.")] = RulesFormat.text,
) -> None:
    """List every rule: id, name, default severity, summary."""
    from .registry import builtin_rules

    rules = builtin_rules()
    if output_format is RulesFormat.json:
        import json

        json.dump([{"id": rule.id, "name": rule.name, "severity": rule.severity.label, "summary": rule.summary,
                    "fixable": rule.fixable, "docs": rule.docs_url} for rule in rules], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    width = max(len(rule.name) for rule in rules)
    for rule in rules:
        sys.stdout.write(f"{rule.id}  {rule.name:<{width}}  {rule.severity.label:<7}  {rule.summary}\n")


@app.command("server")
def language_server(
    debounce: Annotated[float, typer.Option("--debounce", help="Seconds to wait after an edit before linting again.")] = 0.3,
) -> None:
    """Run the language server on stdin/stdout (for editors: see the README)."""
    from .server import serve

    serve(debounce)


@app.command("rule")
def show_rule(rule_id: Annotated[str, typer.Argument(help="Rule id (SVC203) or name (invalid-session-affinity).")]) -> None:
    """Explain one rule, with a failing and a passing example."""
    from .registry import builtin_rules, find_rule

    rule = find_rule(builtin_rules(), rule_id)
    if rule is None:
        raise _fail(f"no rule {rule_id!r}; `svclint rules` lists them")
    sys.stdout.write(explain(rule))


def explain(rule: object) -> str:
    from .registry import Rule

    assert isinstance(rule, Rule)
    fail = rule.examples["fail"][0]
    lines = [
        f"{rule.id} {rule.name} ({rule.severity.label}{', fixable' if rule.fixable else ''})",
        "",
        rule.summary,
        "",
        "Why: " + rule.rationale,
        "",
        "Fix: " + rule.remediation,
    ]
    if rule.reference:
        lines += ["", "Kubernetes source: " + rule.reference]
    lines += ["", "Bad (reported at " + ", ".join(fail["expect"]) + "):", "", *("    " + line for line in fail["manifest"].rstrip("\n").split("\n"))]
    lines += ["", "Good:", "", *("    " + line for line in rule.examples["pass"][0].rstrip("\n").split("\n"))]
    lines += ["", f"Docs: {rule.docs_url}", ""]
    return "\n".join(lines)


# Set by main(), which ends the process with os._exit (_exit_now) after the command; not when
# the app is run in-process (tests' CliRunner).
_EXITS_AFTER_COMMAND = False


def main() -> None:
    """Console entry point: any unexpected exception is exit 2 with a one-line message."""
    global _EXITS_AFTER_COMMAND
    _EXITS_AFTER_COMMAND = True
    try:
        app()
    except SystemExit as exc:
        _exit_now(exc.code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # pragma: no cover - the last line of defence
        sys.stderr.write(f"svclint: internal error: {type(exc).__name__}: {exc}\nPlease report this.\n")
        sys.exit(EXIT_ERROR)


def _exit_now(code: object) -> NoReturn:
    """Exit once the output is flushed, without tearing the heap down object by object: after a
    large run that takes longer than the run's last steps, and the OS frees it all at once."""
    if code is not None and not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    with contextlib.suppress(BrokenPipeError, ValueError):  # the reader went away (`| head`), or closed it
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code or 0)
