"""Renderers: one per output format, each a function of the lint result to text."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from ..engine import LintResult

Renderer = Callable[[LintResult, TextIO, bool], None]


def renderer(name: str) -> Renderer:
    if name == "json":
        from .json import render as render_json

        return render_json
    if name == "sarif":
        from .sarif import render as render_sarif

        return render_sarif
    if name == "github":
        from .github import render as render_github

        return render_github
    if name == "junit":
        from .junit import render as render_junit

        return render_junit
    from .text import render as render_text

    return render_text

