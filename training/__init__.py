"""Training: data + config -> model artifact. Imports the core, never serving or eval.

Every family's trainer (registered in narrascope.families.FAMILIES) keeps one protocol:

    model = trainer.fit(texts, y)             # the only method that changes the trainer's state
    idx, scores = trainer.validate(texts, y)  # then: scores of documents idx from models that
                                              # never trained on them (out-of-fold, or the
                                              # held-out part fine-tuning stopped on)
    extra = trainer.describe(model)           # what the manifest records about the model

Constructors only store their arguments; nothing is loaded or resolved before `fit`.
"""
