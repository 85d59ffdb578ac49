"""SemEval-2025 Task 10 folders end to end: both official layouts, labelled and unlabelled,
a taxonomy derived from the label strings, training, and the submission file.

The folders are built here from the project's own corpus (labels written as the task's
strings), in the official release layouts:
  train/EN/raw-documents/*.txt          + train/EN/subtask-2-annotations.txt
  dev/EN/subtask-2-documents/*.txt      + dev/EN/subtask-2-annotations.txt
  test/EN/subtask-2-documents/*.txt     (no annotations: to predict)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from narrascope.app.cli import main
from narrascope.data import load_documents
from narrascope.errors import DataError
from narrascope.eval.semeval import format_row, read_predictions
from narrascope.semeval_taxonomy import derive_taxonomy, slug
from narrascope.taxonomy import Taxonomy

ROOT = Path(__file__).resolve().parents[1]


def _corpus(name: str) -> list[dict]:
    lines = (ROOT / "data/corpus" / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _write_folder(root: Path, docs: list[dict], texts_in: str, annotated: bool, taxonomy) -> Path:
    for lang in sorted({d["lang"] for d in docs}):
        folder = root / lang.upper()
        (folder / texts_in).mkdir(parents=True)
        rows = []
        for d in (d for d in docs if d["lang"] == lang):
            (folder / texts_in / f"{d['id']}.txt").write_text(d["text"], encoding="utf-8")
            narratives, subs = d.get("narratives", []), d.get("subnarratives", [])
            rows.append(format_row(f"{d['id']}.txt", narratives, subs, taxonomy))
        if annotated:
            (folder / "subtask-2-annotations.txt").write_text("\n".join(rows) + "\n", "utf-8")
    return root


@pytest.fixture(scope="module")
def folders(tmp_path_factory, taxonomy):
    base = tmp_path_factory.mktemp("semeval")
    train, test = _corpus("train.jsonl"), _corpus("test.jsonl")
    return {
        "train": _write_folder(base / "train", train, "raw-documents", True, taxonomy),
        "dev": _write_folder(base / "dev", test, "subtask-2-documents", True, taxonomy),
        "test": _write_folder(base / "test", test, "subtask-2-documents", False, taxonomy),
        "docs": {"train": train, "test": test},
    }


@pytest.fixture(scope="module")
def derived(folders, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tax") / "taxonomy.yaml"
    assert (
        main(["data", "taxonomy", "--from-semeval", str(folders["train"]), "--out", str(out)]) == 0
    )
    return out


def test_derived_taxonomy_keeps_every_label_string_verbatim(derived, taxonomy):
    mine = Taxonomy.load(derived)
    # The same label strings as the taxonomy the folder was written with (whose labels the
    # corpus uses): the derived tree names every label the data holds, exactly.
    used = {n for d in _corpus("train.jsonl") for n in d.get("narratives", [])}
    used_subs = {s for d in _corpus("train.jsonl") for s in d.get("subnarratives", [])}
    expected = {taxonomy.semeval_name(i) for i in used | used_subs}
    found = {mine.semeval_name(i) for i in [*mine.narrative_ids, *mine.subnarrative_ids]}
    assert found == expected
    assert set(mine.domains) == {i.split(".")[0] for i in used}


def test_derived_ids_are_stable_and_other_is_not_a_node():
    narratives = {"URW: Discrediting Ukraine", "CC: Amplifying Climate Fears"}
    subs = {"URW: Discrediting Ukraine: Other", "CC: Amplifying Climate Fears: Doomsday ahead"}
    one = derive_taxonomy(narratives, subs)
    two = derive_taxonomy(set(narratives) | {"URW: Praising Russia"}, subs)
    tax_one, tax_two = Taxonomy.from_dict(one), Taxonomy.from_dict(two)
    assert set(tax_one.narrative_ids) < set(tax_two.narrative_ids)  # ids do not shift
    assert tax_one.subnarrative_ids == ["CC.amplifying_climate_fears.doomsday_ahead"]
    assert tax_one.narratives["URW.discrediting_ukraine"].label == "Discrediting Ukraine"
    long = "Blaming the war on others rather than the invader"
    assert slug(long) == slug(long) and slug(long) != slug(long + " too")
    with pytest.raises(DataError, match="not 'DOMAIN: narrative'"):
        derive_taxonomy({"No domain here"}, set())


def test_both_layouts_load_labelled_and_unlabelled(folders, derived):
    mine = Taxonomy.load(derived)
    train = load_documents(folders["train"], mine)
    dev = load_documents(folders["dev"], mine)
    test = load_documents(folders["test"], mine)
    assert len(train.documents) == len(folders["docs"]["train"]) and not train.unlabelled
    assert len(dev.documents) == len(folders["docs"]["test"]) and not dev.unlabelled
    assert len(test.documents) == len(folders["docs"]["test"])
    assert test.unlabelled == {d.id for d in test.documents}
    gold = {f"{d['id']}.txt": d for d in folders["docs"]["test"]}
    # Labels come back as the derived ids of the very same strings.
    for doc in dev.documents:
        names = {mine.semeval_name(n) for n in doc.narratives}
        assert len(names) == len(gold[doc.id].get("narratives", []))
    assert {d.lang for d in dev.documents} == {d["lang"] for d in folders["docs"]["test"]}


def test_labelled_folder_without_taxonomy_says_how_to_get_one(folders):
    with pytest.raises(DataError, match="narrascope data taxonomy --from-semeval"):
        load_documents(folders["train"])
    assert load_documents(folders["test"]).documents  # unlabelled: no taxonomy needed


def test_not_a_semeval_folder(tmp_path, capsys):
    (tmp_path / "x").mkdir()
    assert main(["data", "taxonomy", "--from-semeval", str(tmp_path), "--out", "t.yaml"]) == 2
    assert "not a SemEval folder" in capsys.readouterr().err


def test_train_and_write_the_submission_file(folders, derived, tmp_path, fast_config, capsys):
    from narrascope.model_registry import Registry
    from narrascope.training.config import TrainConfig
    from narrascope.training.train import train

    mine = Taxonomy.load(derived)
    data = tmp_path / "train.jsonl"
    docs = load_documents(folders["train"], mine).documents
    data.write_text("".join(d.model_dump_json() + "\n" for d in docs), encoding="utf-8")
    config = {**fast_config, "train_data": [str(data)], "taxonomy": str(derived)}
    config["data_cards"] = []
    artifact = train(TrainConfig.from_dict(config), tmp_path / "model")
    registry = tmp_path / "registry"
    Registry(registry).register(artifact)
    out = tmp_path / "submission.txt"
    argv = ["--registry", str(registry), "predict", "--model", "v1", "--format", "semeval"]
    assert main([*argv, "--data", str(folders["test"]), "--out", str(out)]) == 0
    rows = out.read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(folders["docs"]["test"])
    assert all(len(r.split("\t")) == 3 for r in rows)
    predicted = read_predictions(out, mine)  # every label string is one the task knows
    assert set(predicted) == {f"{d['id']}.txt" for d in folders["docs"]["test"]}
    # The model learnt something: at least half of the test documents get a narrative right.
    gold = {f"{d['id']}.txt": set(d.get("narratives", [])) for d in folders["docs"]["test"]}
    from_mine = {i: {mine.semeval_name(n) for n in v[0]} for i, v in predicted.items()}
    original = Taxonomy.load(ROOT / "data/taxonomy.yaml")
    hits = sum(
        names == {original.semeval_name(n) for n in gold[i]} for i, names in from_mine.items()
    )
    assert hits >= len(gold) / 2
    assert main([*argv, "--data", str(tmp_path / "nope"), "--out", str(out)]) == 2
