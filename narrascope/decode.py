"""Turn per-label scores into a label set that respects the taxonomy (hierarchical decoding).

`Other` is a real label with its own classifier and threshold. For one text:
  1. if the `Other` score reaches its threshold, the text is `Other`: no narrative at all;
  2. otherwise the narratives whose scores reach their thresholds; when none does, the text is
     `Other` too (no narrative is forced on a text that no narrative classifier claims);
  3. under each chosen narrative, the subnarratives that reach their thresholds, and at least
     the best one; a subnarrative is never chosen without its narrative.
Rule 2 used to keep the best narrative even below its threshold. Dropping it was measured with
`python bench/decode_rule.py` (bench/RESULTS.md, "Decoding rule"): no change on UNLP 2025 real
posts; on the bundled held-out split fewer news texts flagged (16% -> 7%) but more propaganda
texts left without a narrative (16% -> 66%, linear family), samples-F1 -0.054.
The predictor also answers `Other` for a text without letters (emoji, numbers).
A caller's `threshold` override replaces the narrative and subnarrative thresholds, not `Other`'s:
lowering it adds labels to texts that carry a narrative, it never turns news into propaganda.
`top_k` instead returns the k highest-scoring narratives whatever the thresholds and the `Other`
gate (an analyst's ranked view), each with its subnarratives chosen as in step 3.
"""

from __future__ import annotations

import numpy as np

from narrascope.schema import OTHER
from narrascope.taxonomy import Taxonomy


class Decoder:
    def __init__(self, labels: list[str], taxonomy: Taxonomy):
        self.labels = labels
        index = {lab: i for i, lab in enumerate(labels)}
        self.other = index[OTHER]
        self.narratives = np.array([index[n] for n in taxonomy.narrative_ids])
        self.children = {
            index[n]: np.array(
                [index[s] for s in taxonomy.subnarrative_ids if taxonomy.parent_of(s) == n]
            )
            for n in taxonomy.narrative_ids
        }

    def decode(
        self, row: np.ndarray, thresholds: np.ndarray, top_k: int | None = None
    ) -> tuple[list[int], list[int]]:
        """Column indices of the chosen narratives and subnarratives for one score row."""
        if top_k is not None:
            order = np.argsort(-row[self.narratives], kind="stable")[:top_k]
            narratives = [int(self.narratives[i]) for i in order]
        elif row[self.other] >= thresholds[self.other]:
            return [], []
        else:
            narratives = [int(c) for c in self.narratives if row[c] >= thresholds[c]]
        subs = [
            s for n in narratives for s in self._at_least_best(row, thresholds, self.children[n])
        ]
        return narratives, subs

    def decode_labels(self, row: np.ndarray, thresholds: np.ndarray) -> tuple[set, set]:
        narratives, subs = self.decode(row, thresholds)
        return {self.labels[i] for i in narratives}, {self.labels[i] for i in subs}

    @staticmethod
    def _at_least_best(row: np.ndarray, thresholds: np.ndarray, columns: np.ndarray) -> list[int]:
        if len(columns) == 0:
            return []
        passing = [int(c) for c in columns if row[c] >= thresholds[c]]
        return passing or [int(columns[np.argmax(row[columns])])]
