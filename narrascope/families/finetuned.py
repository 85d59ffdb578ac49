"""Fine-tuned encoder: the encoder's weights were trained for the labels, with linear heads on top.

Stored as `encoder.safetensors` (every encoder weight that training changed: all of them but the
word embeddings when those were frozen — 22 M instead of 118 M parameters for e5-small) and
`heads.safetensors`. At load the base encoder is resolved and verified exactly as for
encoder_linear, then overwritten with the stored weights; any mismatch refuses the load.
"""

from __future__ import annotations

from pathlib import Path

from narrascope.errors import ArtifactError
from narrascope.families.encoder_linear import EncoderLinearModel

ENCODER_WEIGHTS = "encoder.safetensors"
WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"


class FineTunedModel(EncoderLinearModel):
    def __init__(
        self, encoder, coef, intercept, batch_size: int = 32, freeze_word_embeddings: bool = True
    ):
        super().__init__(encoder, coef, intercept, batch_size)
        self.unchanged = {WORD_EMBEDDINGS} if freeze_word_embeddings else set()

    def save(self, directory: Path) -> None:
        from safetensors.torch import save_file

        super().save(directory)
        state = {
            name: tensor.detach().contiguous()
            for name, tensor in self.encoder.model.state_dict().items()
            if name not in self.unchanged
        }
        save_file(state, str(directory / ENCODER_WEIGHTS))

    @classmethod
    def load(cls, directory: Path, spec: dict) -> FineTunedModel:
        from safetensors.torch import load_file

        base = EncoderLinearModel.load(directory, spec)
        model = cls(
            base.encoder, base.coef, base.intercept, base.batch_size, spec["freeze_word_embeddings"]
        )
        try:
            state = load_file(str(directory / ENCODER_WEIGHTS))
        except (OSError, ValueError) as exc:
            raise ArtifactError(f"{directory}: cannot read {ENCODER_WEIGHTS} ({exc})") from None
        result = model.encoder.model.load_state_dict(state, strict=False)
        missing = set(result.missing_keys) - model.unchanged
        if missing or result.unexpected_keys:
            raise ArtifactError(
                f"{directory}: {ENCODER_WEIGHTS} does not fit the base encoder (missing "
                f"{sorted(missing)[:3]}, unexpected {sorted(result.unexpected_keys)[:3]})"
            )
        model.encoder.model.eval()
        return model
