"""svclint: lint Kubernetes Service manifests and the workloads they select."""

__version__ = "0.1.0"

# The rule catalog (generated from rules/ by scripts/gen_docs.py); findings link here.
DOCS_URL = "https://github.com/svclint/svclint/blob/main/docs/rules.md"
