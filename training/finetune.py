"""Fine-tune the encoder with multi-label heads.

    narrascope train --config configs/finetuned.yaml --out artifacts/finetuned

Steps: 1. split off a seeded validation part (stratified by `Other`)  2. warm-start the heads with
logistic regressions on the frozen encoder's embeddings (so epoch 0 is the encoder_linear model)
3. train encoder + heads with BCE (pos_weight for rare labels), bf16 autocast where the CPU has
it, the word embeddings frozen by default  4. after each epoch: validation loss, a checkpoint
(resumed when training restarts with the same config and data), early stopping  5. keep the
epoch with the lowest validation loss.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split
from tqdm.auto import tqdm

from narrascope.families.encoder_linear import build_encoder
from narrascope.families.finetuned import WORD_EMBEDDINGS, FineTunedModel
from narrascope.files import atomic_path
from narrascope.training.config import TrainConfig
from narrascope.training.encoder_linear import encoder_spec, fit_encoder_heads


class FinetuneTrainer:
    validation_kind = "held-out validation split"

    def __init__(self, config: TrainConfig, out_dir: Path):
        import torch

        self.torch, self.config, self.cfg = torch, config, config.finetune
        self.spec = {
            **encoder_spec(config),
            "freeze_word_embeddings": self.cfg.freeze_word_embeddings,
        }
        self.encoder = build_encoder(self.spec)
        self.checkpoints = Path(self.cfg.checkpoint_dir or f"{out_dir}.checkpoints")
        self.history: list[dict] = []
        self.counts: list[int] = []  # content tokens per training text, for batching
        self._validation: tuple[int, np.ndarray, np.ndarray] | None = None

    # -- the trainer protocol ---------------------------------------------------------------------
    def fit(self, texts: list[str], y: np.ndarray) -> FineTunedModel:
        """The early-stopped model: trained on a training part, the best epoch chosen on the
        held-out part, whose scores `validate` then returns."""
        train_idx, val_idx = train_test_split(
            np.arange(len(texts)),
            test_size=self.cfg.validation_fraction,
            random_state=self.config.seed,
            stratify=y[:, -1],
        )  # last column: `Other`
        train_idx, val_idx = np.sort(train_idx), np.sort(val_idx)
        model = self._train(texts, y, train_idx, val_idx)
        self._validation = (len(texts), val_idx, model.scores([texts[i] for i in val_idx]))
        return model

    def validate(self, texts: list[str], y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._validation is None or self._validation[0] != len(texts):
            raise RuntimeError("validate() reports the held-out part of fit(): call fit first")
        return self._validation[1], self._validation[2]

    def describe(self, model: FineTunedModel) -> dict:
        best = min(self.history, key=lambda h: h["validation_loss"])
        return {
            "encoder": self.spec,
            "n_features": int(model.coef.shape[1]),
            "finetune": {
                "epochs_run": len(self.history) - 1,
                "best_epoch": best["epoch"],
                "history": self.history,
            },
        }

    # -- training ---------------------------------------------------------------------------------
    def _train(self, texts, y, train_idx, val_idx) -> FineTunedModel:
        torch = self.torch
        self._count_tokens(texts)
        torch.manual_seed(self.config.seed)
        encoder = self.encoder.model
        encoder.get_parameter(WORD_EMBEDDINGS).requires_grad_(not self.cfg.freeze_word_embeddings)
        if self.cfg.gradient_checkpointing:  # only active in train mode: inference is unchanged
            encoder.activation_checkpointing_enable(
                activation_checkpointing_kwargs={"use_reentrant": False}
            )
        _set_attention_dropout(encoder, self.cfg.attention_dropout)
        head = self._warm_start_head(texts, y, train_idx)
        optimizer = torch.optim.AdamW(
            [
                {
                    "params": [p for p in encoder.parameters() if p.requires_grad],
                    "lr": self.cfg.learning_rate,
                },
                {"params": head.parameters(), "lr": self.cfg.head_learning_rate},
            ],
            weight_decay=self.cfg.weight_decay,
        )
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=self._pos_weight(y[train_idx]))
        key = self._checkpoint_key(texts, y)
        start = self._resume(key, head, optimizer)
        if start == 0:
            self._record(
                0, None, self._loss(texts, y, val_idx, head, loss_fn), head, key, optimizer
            )
        for epoch in range(start + 1, self.cfg.epochs + 1):
            train_loss = self._epoch(texts, y, train_idx, head, optimizer, loss_fn, epoch)
            val_loss = self._loss(texts, y, val_idx, head, loss_fn)
            self._record(epoch, train_loss, val_loss, head, key, optimizer)
            if epoch - self._best()["epoch"] >= self.cfg.patience:
                print(
                    f"early stop after epoch {epoch}: no better validation loss for "
                    f"{self.cfg.patience} epochs"
                )
                break
        return self._best_model(head)

    def _warm_start_head(self, texts, y, train_idx):
        torch = self.torch
        embeddings = self.encoder.embed(
            [texts[i] for i in train_idx], self.spec["batch_size"], progress=True
        )
        coef, intercept = fit_encoder_heads(embeddings, y[train_idx], self.config)
        head = torch.nn.Linear(coef.shape[1], coef.shape[0])
        with torch.no_grad():
            head.weight.copy_(torch.from_numpy(coef))
            head.bias.copy_(torch.from_numpy(intercept))
        return head

    def _pos_weight(self, y: np.ndarray):
        positives = y.sum(axis=0).astype(np.float32)
        ratio = (len(y) - positives) / np.maximum(positives, 1.0)
        return self.torch.from_numpy(np.clip(ratio, 1.0, self.cfg.pos_weight_cap))

    def _logits(self, batch_texts: list[str], head):
        """Document logits through windows -> mean-pooled vectors -> pooled per document."""
        windows = self.encoder.windows(batch_texts)
        with self.encoder.autocast:
            vectors = self.encoder.mean_pool([w.ids for w in windows])
        return head(self.encoder.pool_documents(windows, vectors, len(batch_texts)))

    def _epoch(self, texts, y, train_idx, head, optimizer, loss_fn, epoch) -> float:
        batches = self._length_batches(train_idx, epoch)
        self.encoder.model.train()
        losses = []
        progress = tqdm(batches, desc=f"epoch {epoch}/{self.cfg.epochs}", unit="batch")
        for batch in progress:
            optimizer.zero_grad()
            loss = 0.0
            for chunk in self._token_chunks(batch):
                # Each chunk's mean loss weighted by its share of the batch: the gradient is the
                # whole batch's, while only one chunk's activations are alive at a time.
                target = self.torch.from_numpy(y[chunk].astype(np.float32))
                part = loss_fn(self._logits([texts[i] for i in chunk], head), target)
                (part * len(chunk) / len(batch)).backward()
                loss += part.item() * len(chunk) / len(batch)
            optimizer.step()
            _return_freed_memory()
            losses.append(loss)
            progress.set_postfix(loss=f"{np.mean(losses):.4f}")
        self.encoder.model.eval()
        return float(np.mean(losses))

    def _length_batches(self, train_idx, epoch) -> list[np.ndarray]:
        """Batches of similar length in a seeded random order: padding costs far less.

        Documents are shuffled, sorted by token count within chunks of 50 batches, cut into
        batches, and the batches shuffled: every epoch differs, every batch pads little.
        """
        rng = np.random.RandomState(self.config.seed + epoch)
        order = rng.permutation(train_idx)
        size, chunk = self.cfg.batch_size, self.cfg.batch_size * 50
        batches = []
        for start in range(0, len(order), chunk):
            part = sorted(order[start : start + chunk], key=lambda i: self.counts[i])
            batches += [np.array(part[i : i + size]) for i in range(0, len(part), size)]
        return [batches[i] for i in rng.permutation(len(batches))]

    def _token_chunks(self, batch) -> list[np.ndarray]:
        """Split a batch so that each forward pass holds at most `max_batch_tokens` tokens."""
        budget = self.cfg.max_batch_tokens
        chunks, current, used = [], [], 0
        for i in batch:
            n = self.counts[i]
            # Content tokens plus <s> </s> per window; window overlaps are not counted (an
            # exact count changes the chunks, hence the summation order and the trained weights).
            cost = n + 2 * (1 + n // max(self.encoder.window - self.encoder.stride, 1))
            if current and used + cost > budget:
                chunks.append(np.array(current))
                current, used = [], 0
            current.append(i)
            used += cost
        return [*chunks, np.array(current)]

    def _count_tokens(self, texts) -> None:
        ids = self.encoder.tokenizer.content_ids([self.encoder.prefix + t for t in texts])
        self.counts = [len(i) for i in ids]

    def _loss(self, texts, y, idx, head, loss_fn) -> float:
        """Mean validation loss, in chunks of at most `max_batch_tokens` like training steps,
        so that validating never needs more memory than a step does."""
        total = 0.0
        with self.torch.no_grad():
            for chunk in self._token_chunks(idx):
                target = self.torch.from_numpy(y[chunk].astype(np.float32))
                total += float(
                    loss_fn(self._logits([texts[j] for j in chunk], head), target)
                ) * len(chunk)
        return total / len(idx)

    # -- checkpoints ------------------------------------------------------------------------------
    def _checkpoint_key(self, texts, y) -> str:
        digest = hashlib.sha256(self.config.digest().encode())
        for text in texts:
            digest.update(text.encode("utf-8"))
        digest.update(y.tobytes())
        return digest.hexdigest()

    def _record(self, epoch, train_loss, val_loss, head, key, optimizer) -> None:
        self.history.append({"epoch": epoch, "train_loss": train_loss, "validation_loss": val_loss})
        shown = "-" if train_loss is None else f"{train_loss:.4f}"
        print(f"epoch {epoch}: train loss {shown}, validation loss {val_loss:.4f}")
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        weights = self._trainable_state(head)
        if self._best()["epoch"] == epoch:
            _save(weights, self.checkpoints / "best.safetensors")
        # The RNG state too, so a resumed run draws the same dropout masks as an unbroken one.
        _save(
            {
                **weights,
                **_optimizer_state(optimizer, self._named(head)),
                "rng.torch": self.torch.get_rng_state(),
            },
            self.checkpoints / "last.safetensors",
        )
        (self.checkpoints / "progress.json").write_text(
            json.dumps({"key": key, "history": self.history}, indent=2)
        )

    def _resume(self, key, head, optimizer) -> int:
        progress = self.checkpoints / "progress.json"
        if not progress.is_file() or json.loads(progress.read_text())["key"] != key:
            shutil.rmtree(self.checkpoints, ignore_errors=True)  # another run's: start afresh
            return 0
        from safetensors.torch import load_file

        self.history = json.loads(progress.read_text())["history"]
        state = load_file(str(self.checkpoints / "last.safetensors"))
        self._load_trainable(state, head)
        _load_optimizer_state(optimizer, self._named(head), state)
        self.torch.set_rng_state(state["rng.torch"])
        print(f"resuming after epoch {self.history[-1]['epoch']} from {self.checkpoints}")
        return self.history[-1]["epoch"]

    def _best(self) -> dict:
        return min(self.history, key=lambda h: h["validation_loss"])

    def _best_model(self, head) -> FineTunedModel:
        from safetensors.torch import load_file

        self._load_trainable(load_file(str(self.checkpoints / "best.safetensors")), head)
        self.encoder.model.eval()
        coef = head.weight.detach().numpy().astype(np.float32)
        intercept = head.bias.detach().numpy().astype(np.float32)
        model = FineTunedModel(
            self.encoder, coef, intercept, self.spec["batch_size"], self.cfg.freeze_word_embeddings
        )
        shutil.rmtree(self.checkpoints, ignore_errors=True)  # finished: nothing to resume
        return model

    def _named(self, head) -> dict:
        named = {
            f"encoder.{n}": p for n, p in self.encoder.model.named_parameters() if p.requires_grad
        }
        named.update({f"head.{n}": p for n, p in head.named_parameters()})
        return named

    def _trainable_state(self, head) -> dict:
        return {name: p.detach().clone() for name, p in self._named(head).items()}

    def _load_trainable(self, state: dict, head) -> None:
        with self.torch.no_grad():
            for name, p in self._named(head).items():
                p.copy_(state[name])


def _return_freed_memory() -> None:
    """Give freed heap memory back to the OS after each step. glibc keeps it, and tensors of a
    different size every step fragment the heap: on a UNLP fold, peak RSS was 4.9 GB without
    this and 3.7 GB with it, for 6% more time (bench/RESULTS.md)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@functools.cache
def _glibc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): nothing to trim
        return None


def _set_attention_dropout(model, probability: float) -> None:
    """Attention-probability dropout cost a quarter of each step on CPU (one random draw per
    attention weight); setting it here keeps the rest of the model's regularisation."""
    model.config.attention_probs_dropout_prob = probability
    for module in model.modules():
        if type(module).__name__.endswith("SelfAttention") and hasattr(module, "dropout"):
            module.dropout.p = probability


def _save(tensors: dict, path: Path) -> None:
    from safetensors.torch import save_file

    with atomic_path(path) as tmp:  # a crash mid-write never leaves a torn checkpoint
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp))


def _optimizer_state(optimizer, named: dict) -> dict:
    """AdamW moments as plain tensors (safetensors, no pickle), keyed by parameter name."""
    out = {}
    for name, param in named.items():
        for key, value in optimizer.state.get(param, {}).items():
            out[f"optim.{name}.{key}"] = value.detach().clone().reshape(value.shape or (1,))
    return out


def _load_optimizer_state(optimizer, named: dict, state: dict) -> None:
    for name, param in named.items():
        entries = {
            k.rsplit(".", 1)[1]: v
            for k, v in state.items()
            if k.startswith(f"optim.{name}.") and k.count(".") == name.count(".") + 2
        }
        if entries:
            optimizer.state[param] = {
                k: (v.reshape(()) if k == "step" else v) for k, v in entries.items()
            }


def make_trainer(config: TrainConfig, out_dir: Path, decoder=None):
    """This family's entry in narrascope.families.FAMILIES."""
    return FinetuneTrainer(config, out_dir)
