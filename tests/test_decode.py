"""Hierarchical decoding rules on hand-made score rows."""

from __future__ import annotations

import numpy as np
import pytest

from narrascope.decode import Decoder


@pytest.fixture
def decoder(taxonomy):
    return Decoder([*taxonomy.narrative_ids, *taxonomy.subnarrative_ids, "Other"], taxonomy)


def _row(decoder, **scores):
    row = np.zeros(len(decoder.labels))
    for label, value in scores.items():
        row[decoder.labels.index(label.replace("__", "."))] = value
    return row


def test_other_wins_and_clears_everything(decoder):
    row = _row(decoder, Other=0.7, CC__hoax=0.9, CC__hoax__natural_cycles=0.9)
    assert decoder.decode_labels(row, np.full(len(row), 0.5)) == (set(), set())


def test_passing_labels_and_best_subnarrative_fallback(decoder):
    row = _row(
        decoder,
        Other=0.1,
        CC__hoax=0.8,
        URW__aid_futile=0.6,
        CC__hoax__natural_cycles=0.3,
        CC__hoax__data_manipulated=0.2,
        URW__aid_futile__cost_to_citizens=0.7,
        DEM__west_decline__moral_decay=0.9,
    )
    narratives, subs = decoder.decode_labels(row, np.full(len(row), 0.5))
    assert narratives == {"CC.hoax", "URW.aid_futile"}
    # natural_cycles: below threshold but best under CC.hoax; moral_decay: parent not chosen
    assert subs == {"CC.hoax.natural_cycles", "URW.aid_futile.cost_to_citizens"}


def test_no_narrative_is_forced_when_none_passes(decoder):
    """Issue 12: `Other` below its threshold used to force the best narrative (0.3 < 0.5)."""
    row = _row(decoder, Other=0.2, DEM__elections_sham=0.3, DEM__elections_sham__vote_fraud=0.1)
    assert decoder.decode_labels(row, np.full(len(row), 0.5)) == (set(), set())
    narratives, subs = decoder.decode(row, np.full(len(row), 0.5), top_k=1)  # ranked view
    assert [decoder.labels[i] for i in narratives] == ["DEM.elections_sham"]
    assert [decoder.labels[i] for i in subs] == ["DEM.elections_sham.vote_fraud"]
