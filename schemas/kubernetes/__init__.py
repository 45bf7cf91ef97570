"""Kubernetes object schemas derived by scripts/derive_schemas.py."""
