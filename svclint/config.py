"""Configuration: `.svclint.yaml` or `[tool.svclint]` in pyproject.toml, validated by schema."""

from __future__ import annotations

import fnmatch
import functools
import ipaddress
import json
import os
import re
import sys
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .diagnostics import Severity
from .labels import LabelSelector, parse_selector
from .parse import ParseLimits

CONFIG_FILES = (".svclint.yaml", ".svclint.yml")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(Exception):
    """The configuration is invalid; the CLI exits 2 with this message."""


@dataclass(frozen=True)
class Config:
    kubernetes_version: str | None = None  # None: the newest shipped
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict, hash=False)
    fail_on: Severity = Severity.ERROR
    node_port_range: tuple[int, int] = (30000, 32767)
    service_cidrs: tuple[Network, ...] = ()
    namespaces: tuple[str, ...] = ()
    default_namespace: str = "default"
    exclude: tuple[str, ...] = ()
    context: tuple[str, ...] | None = None  # globs of the cross-check context; None: the repository
    external_selectors: tuple[LabelSelector, ...] = ()
    external_namespaces: tuple[str, ...] = ("kube-system",)
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    limits: ParseLimits = field(default_factory=ParseLimits)
    max_file_size: int = 10 * 1024 * 1024
    root: Path | None = None  # the folder globs are relative to
    file: Path | None = None

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **{key: value for key, value in changes.items() if value is not None})

    def ignored_in(self, path: str) -> set[str]:
        """Rules that per-file-ignores turns off for ``path``."""
        out: set[str] = set()
        if not self.per_file_ignores:
            return out
        relative = self.relative(path)
        for pattern, rules in self.per_file_ignores.items():
            if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(Path(relative).name, pattern):
                out.update(rules)
        return out

    def context_matches(self, base: Path) -> list[Path]:
        """The files and folders the ``context:`` globs name, relative to the config's folder
        (else ``base``); empty when ``context`` is unset or ``[]``."""
        root = self.root or base
        return sorted({path for pattern in self.context or () for path in root.glob(pattern)})

    def excluded(self, path: str) -> bool:
        if not self.exclude:
            return False
        relative = self.relative(path)
        return any(
            fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative, pattern.rstrip("/") + "/*")
            or any(fnmatch.fnmatch(part, pattern) for part in Path(relative).parts)
            for pattern in self.exclude
        )

    def external(self, namespace: str, selector: dict[str, str]) -> bool:
        """Whether the config says pods in ``namespace`` or with these labels are made outside
        the manifests (by an operator, a Helm chart elsewhere, a controller)."""
        return self.external_namespace(namespace) or any(external.matches(selector) for external in self.external_selectors)

    def external_namespace(self, namespace: str) -> bool:
        return _any_of(self.external_namespaces).match(namespace) is not None

    def relative(self, path: str) -> str:
        if self.root is None:
            return path
        try:
            return Path(os.path.realpath(path)).relative_to(os.path.realpath(self.root)).as_posix()
        except (ValueError, OSError):
            return path


@functools.lru_cache(maxsize=64)
def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regular expression for a set of shell patterns (asked once per Service)."""
    return re.compile("|".join(f"(?:{fnmatch.translate(pattern)})" for pattern in patterns) or "(?!)")


def parse_node_port_range(text: str) -> tuple[int, int]:
    try:
        low_text, high_text = text.split("-")
        low, high = int(low_text), int(high_text)
    except ValueError:
        raise ConfigError(f"node port range {text!r} is not of the form 30000-32767") from None
    if not 0 < low <= high <= 65535:
        raise ConfigError(f"node port range {text!r} must satisfy 1 <= low <= high <= 65535")
    return low, high


def parse_cidrs(text: str) -> tuple[Network, ...]:
    networks = []
    for part in text.split(","):
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=True))
        except ValueError as exc:
            raise ConfigError(f"service cluster IP range {part.strip()!r}: {exc}") from None
    if len(networks) > 2 or (len(networks) == 2 and networks[0].version == networks[1].version):
        raise ConfigError("service cluster IP range: give one CIDR, or one IPv4 and one IPv6 CIDR")
    return tuple(networks)


def config_schema() -> dict[str, Any]:
    text = resources.files("svclint.builtin_schemas").joinpath("config.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def from_data(data: Any, *, root: Path | None = None, file: Path | None = None) -> Config:
    """Build a Config from parsed data, validating it first."""
    import jsonschema

    where = str(file) if file else "configuration"
    if data is None:
        data = {}
    errors = sorted(jsonschema.Draft202012Validator(config_schema()).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        path = ".".join(str(part) for part in first.path) or "(top level)"
        raise ConfigError(f"{where}: {path}: {first.message}")
    limits = data.get("limits") or {}
    from .schema import versions

    version = data.get("kubernetes-version")
    if version is not None and version not in versions():
        raise ConfigError(f"{where}: kubernetes-version {version} is not one of {', '.join(versions())}")
    return Config(
        kubernetes_version=version,
        select=tuple(data.get("select") or ()),
        ignore=tuple(data.get("ignore") or ()),
        severity=dict(data.get("severity") or {}),
        fail_on=Severity.parse(data.get("fail-on", "error")),
        node_port_range=parse_node_port_range(data["service-node-port-range"]) if "service-node-port-range" in data else (30000, 32767),
        service_cidrs=parse_cidrs(data["service-cluster-ip-range"]) if "service-cluster-ip-range" in data else (),
        namespaces=tuple(data.get("namespaces") or ()),
        default_namespace=data.get("default-namespace", "default"),
        exclude=tuple(data.get("exclude") or ()),
        context=tuple(data["context"]) if "context" in data else None,
        external_selectors=tuple(_selector(text, where) for text in data.get("external-selectors") or ()),
        external_namespaces=tuple(data["external-namespaces"]) if "external-namespaces" in data else ("kube-system",),
        per_file_ignores={key: tuple(value) for key, value in (data.get("per-file-ignores") or {}).items()},
        limits=ParseLimits(
            max_depth=limits.get("max-depth", 200),
            max_alias_expansion=limits.get("max-alias-expansion", 100_000),
            max_documents=limits.get("max-documents", 100_000),
        ),
        max_file_size=limits.get("max-file-size", 10 * 1024 * 1024),
        root=root,
        file=file,
    )


def _selector(text: str, where: str) -> LabelSelector:
    try:
        return parse_selector(text)
    except ValueError as exc:
        raise ConfigError(f"{where}: external-selectors: {exc}") from None


def load_file(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if path.name == "pyproject.toml":
        data = _toml(text, path).get("tool", {}).get("svclint", {})
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    return from_data(data, root=path.parent, file=path)


def _toml(text: str, path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def discover(start: Path) -> Path | None:
    """The nearest config file at or above ``start``: .svclint.yaml, or a pyproject.toml with [tool.svclint]."""
    folder = start if start.is_dir() else start.parent
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        for name in CONFIG_FILES:
            if (candidate / name).is_file():
                return candidate / name
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                if "[tool.svclint" in pyproject.read_text(encoding="utf-8"):
                    return pyproject
            except (OSError, UnicodeDecodeError):
                pass
    return None
