"""Evaluation: reports per language for any model loaded through the registry."""
