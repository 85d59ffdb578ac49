"""Build a tiny BERT encoder in our converted format (tokenizer + normalisation map), in seconds.

Random weights, a 4,000-piece Unigram vocabulary learnt from the bundled corpus: enough to exercise
every code path of the encoder families without the real 470 MB model.
"""

from __future__ import annotations

import json
from pathlib import Path


def build_tiny_encoder(directory: Path, texts: list[str], seed: int = 0) -> Path:
    import torch
    from tokenizers import Tokenizer
    from tokenizers.models import Unigram
    from tokenizers.pre_tokenizers import Metaspace
    from tokenizers.trainers import UnigramTrainer
    from transformers import BertConfig, BertModel

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(Unigram())
    tokenizer.pre_tokenizer = Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
    trainer = UnigramTrainer(
        vocab_size=4000,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
        unk_token="<unk>",
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    tokenizer.save(str(directory / "tokenizer.json"))
    (directory / "normalisation.json").write_text(
        json.dumps({"bos": 0, "pad": 1, "eos": 2, "unk": 3, "map": {"10": [32], "9": [32]}})
    )
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(directory)
    return directory
