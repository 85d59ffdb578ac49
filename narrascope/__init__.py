"""narrascope core: what every layer needs and nothing heavy.

Schema, taxonomy, text preparation, language identification, the artifact format and the
`Predictor`. Loading a model for inference never imports the training code.
"""

__version__ = "0.1.0"
