"""The model registry: immutable versions, aliases, integrity checks. Imports only the core."""

from narrascope.model_registry.registry import Registry, default_root

__all__ = ["Registry", "default_root"]
