"""Defects found using narrascope as a new user would (issue 12), each pinned by a test that
fails on the code before the fix."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from narrascope.app.cli import (
    _parser,
    existing_or_none,
    existing_path,
    existing_path_list,
    existing_paths,
    main,
)
from narrascope.errors import DataError
from narrascope.schema import OTHER, Document
from narrascope.text import split_sentences

# -- 1. training on a SemEval folder; everything that can fail is checked before training ------


def _semeval_copy(root: Path, out: Path, taxonomy) -> Path:
    """The bundled training split in the SemEval-2025 Task 10 layout, one folder per language."""
    from narrascope.data import load_documents

    rows: dict[str, list[str]] = {}
    for doc in load_documents(root / "data/corpus/train.jsonl", taxonomy).documents:
        folder = out / doc.lang.upper()
        (folder / "raw-documents").mkdir(parents=True, exist_ok=True)
        name = f"{doc.id}.txt"
        (folder / "raw-documents" / name).write_text(doc.text, encoding="utf-8")
        narratives = [taxonomy.semeval_name(n) for n in doc.narratives] or [OTHER]
        subs = [taxonomy.semeval_name(s) for s in doc.subnarratives] or [OTHER]
        rows.setdefault(doc.lang, []).append(f"{name}\t{';'.join(narratives)}\t{';'.join(subs)}")
    for lang, lines in rows.items():
        annotations = out / lang.upper() / "subtask-2-annotations.txt"
        annotations.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _config(fast_config, **changes):
    from narrascope.training.config import TrainConfig

    return TrainConfig.from_dict({**fast_config, **changes})


def test_training_on_a_semeval_folder_hashes_the_folder(tmp_path, root, taxonomy, fast_config):
    from narrascope.artifact import read_manifest
    from narrascope.training.train import train

    folder = _semeval_copy(root, tmp_path / "semeval", taxonomy)
    config = _config(fast_config, train_data=[str(folder)])
    manifest = read_manifest(train(config, tmp_path / "model", root=root))
    digest = manifest["data"]["files"][str(folder)]
    assert len(digest) == 64 and manifest["data"]["documents"] > 400

    from narrascope.data import sha256_path

    first = next(folder.glob("*/raw-documents/*.txt"))
    first.write_text(first.read_text(encoding="utf-8") + " edited", encoding="utf-8")
    assert sha256_path(folder) != digest
    first.rename(first.with_name("renamed.txt"))  # a rename changes it too
    assert sha256_path(folder) not in {digest}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"train_data": ["data/corpus/nope.jsonl"]}, "field 'train_data': no such file"),
        ({"taxonomy": "data/nope.yaml"}, "field 'taxonomy': no such file"),
        ({"data_cards": ["data_cards/nope.md"]}, "field 'data_cards': no such file"),
    ],
)
def test_missing_inputs_fail_before_training(tmp_path, root, fast_config, changes, message):
    from narrascope.training.config import TrainConfig
    from narrascope.training.train import check_inputs

    config = TrainConfig.from_dict({**fast_config, **changes})
    with pytest.raises(DataError, match=message):
        check_inputs(config, tmp_path / "model", root)


def test_an_unwritable_artifact_folder_fails_before_training(tmp_path, root, fast_config):
    from narrascope.training.train import check_inputs

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DataError, match="cannot write the artifact"):
        check_inputs(_config(fast_config), blocker / "model", root)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--register", "--alias", "Not An Alias"], "invalid alias"),
        (["--alias", "staging"], "--alias needs --register"),
    ],
)
def test_train_refuses_a_bad_alias_before_training(
    tmp_path, root, fast_config, capsys, extra, message
):
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(fast_config))
    out = tmp_path / "model"
    argv = [
        "--registry",
        str(tmp_path / "reg"),
        "train",
        "--config",
        str(config),
        "--out",
        str(out),
    ]
    assert main([*argv, *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()  # nothing was trained


def test_train_refuses_an_unwritable_registry_before_training(tmp_path, fast_config, capsys):
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(fast_config))
    blocker = tmp_path / "registry-is-a-file"
    blocker.write_text("x")
    out = tmp_path / "model"
    argv = ["--registry", str(blocker), "train", "--config", str(config), "--out", str(out)]
    assert main([*argv, "--register"]) == 2
    assert "is not writable" in capsys.readouterr().err and not out.exists()


# -- 2. no narrative is forced on a text that none reaches, or that has no letters -------------


# (the decoder's rule itself: tests/test_decode.py::test_no_narrative_is_forced_when_none_passes)


def test_text_without_letters_is_other_unless_top_k(artifact):
    from narrascope.predictor import Predictor

    predictor = Predictor(artifact)
    texts = ["🙂🙂", "12 345 678", "!!! ???"]
    # Score them as the strongest propaganda the model knows, to show the rule is the text's.
    loud = predictor.scores(["NATO expansion left Russia no choice: the West provoked this war."])
    scores = np.repeat(loud, len(texts), axis=0)
    scores[:, predictor.decoder.other] = 0.0
    assert all(p.is_other for p in predictor.decide(texts, scores))
    ranked = predictor.decide(texts, scores, top_k=2)
    assert all(len(p.narratives) == 2 for p in ranked)


# -- 3. language hints are ISO 639-1 codes -----------------------------------------------------


@pytest.mark.parametrize("code", ["xx", "zz", "qq"])
def test_a_document_lang_that_is_no_language_is_refused(code):
    with pytest.raises(ValueError, match="not an ISO 639-1 language code"):
        Document(id="1", text="hello", lang=code)


def test_real_codes_and_und_are_accepted():
    for code in ("en", "uk", "ru", "zh", "ar", "und"):
        assert Document(id="1", text="hello", lang=code).lang == code


# -- 4. a label positive (or negative) in every document gets a constant head -----------------


def test_one_class_labels_get_constant_heads():
    from narrascope.training.heads import fit_heads

    rng = np.random.default_rng(0)
    features = rng.normal(size=(40, 6))
    y = np.zeros((40, 3), dtype=int)
    y[:, 0] = 1  # positive everywhere
    y[:20, 2] = 1  # a real label
    coef, intercept = fit_heads(features, y, C=1.0, class_weight=None, seed=0, solver="lbfgs")
    probability = 1 / (1 + np.exp(-(features @ coef.T + intercept)))
    assert np.all(probability[:, 0] > 0.999)  # always predicted
    assert np.all(probability[:, 1] < 0.001)  # never predicted
    assert np.all(coef[:2] == 0) and np.any(coef[2] != 0)


# -- 5. every path given on the command line is checked, with a one-line error -----------------


PATH_TYPES = {existing_path, existing_or_none, existing_paths, existing_path_list}
PRESENT = str(Path(__file__).resolve())  # an existing file for the other path arguments


def _path_actions(parser, prefix=()):
    """(command words, action) for every argument whose type checks a path."""
    for action in parser._actions:
        if action.type in PATH_TYPES:
            yield prefix, action
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _path_actions(sub, (*prefix, name))


def _argv_with_missing(words, action, parser, missing: str) -> list[str]:
    sub = parser
    for word in words:
        sub = next(a for a in sub._actions if isinstance(a, argparse._SubParsersAction))
        sub = sub.choices[word]
    argv = list(words)
    for other in sub._actions:  # fill the other required arguments with harmless values
        value = PRESENT if other.type in PATH_TYPES else "x"
        if isinstance(other, argparse._SubParsersAction):
            continue
        if other.required and other.option_strings and other is not action:
            argv += [other.option_strings[0], value]
        elif not other.option_strings and other.nargs in (None, "+"):
            argv.append(value)  # one value for each required positional
    if action.option_strings:
        return [*argv, action.option_strings[0], missing]
    filled = [a for a in sub._actions if not a.option_strings and a.nargs in (None, "+")]
    position = filled.index(action)
    argv[len(words) + position] = missing
    return argv


PARSER = _parser()
PATH_ARGUMENTS = list(_path_actions(PARSER))


def test_every_command_that_reads_a_file_checks_it():
    commands = {" ".join(words) for words, _ in PATH_ARGUMENTS}
    assert {
        "train",
        "eval",
        "eval compare",
        "predict",
        "track",
        "data validate",
        "campaign add",
        "registry register",
        "registry promote",
        "share export",
        "share import",
    } <= commands


@pytest.mark.parametrize(
    ("words", "action"),
    PATH_ARGUMENTS,
    ids=[" ".join(w) + " " + (a.option_strings or [a.dest])[0] for w, a in PATH_ARGUMENTS],
)
def test_a_missing_path_is_exit_2_naming_it(tmp_path, capsys, words, action):
    missing = str(tmp_path / "missing.file")
    argv = _argv_with_missing(words, action, PARSER, missing)
    assert main(["--registry", str(tmp_path / "reg"), *argv]) == 2
    err = capsys.readouterr().err
    assert f"no such file or folder: '{missing}'" in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_gate_policy_missing_is_a_data_error(tmp_path):
    from narrascope.eval.gate import GatePolicy

    with pytest.raises(DataError, match="cannot read the gate policy"):
        GatePolicy.load(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("tolerence: 0.02\n", "tolerence"),
        ("metric: accuracy\n", "metric"),
        ("resamples: 0\n", "resamples"),
    ],
)
def test_gate_policy_is_typed(tmp_path, text, field):
    from narrascope.eval.gate import GatePolicy

    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(DataError, match=f"field '{field}'"):
        GatePolicy.load(path)
    assert GatePolicy.load(Path("configs/gates/promotion.yaml")).levels == (
        "narratives",
        "subnarratives",
    )


# -- 7. eval reads the data in the model's own taxonomy ---------------------------------------


def test_eval_uses_the_taxonomy_stored_in_the_model(tmp_path, root, fast_config, capsys):
    from narrascope.model_registry import Registry
    from narrascope.taxonomy import apply_patch
    from narrascope.training.train import train

    campaign = root / "data/campaigns/biolabs"
    raw = apply_patch(
        yaml.safe_load((root / "data/taxonomy.yaml").read_text(encoding="utf-8")),
        yaml.safe_load((campaign / "taxonomy_patch.yaml").read_text(encoding="utf-8")),
    )
    patched = tmp_path / "taxonomy.yaml"
    patched.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    rows = (campaign / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    (tmp_path / "train.jsonl").write_text("\n".join(rows[:60]) + "\n", encoding="utf-8")
    (tmp_path / "dev.jsonl").write_text("\n".join(rows[60:]) + "\n", encoding="utf-8")
    config = _config(
        fast_config,
        taxonomy=str(patched),
        train_data=[str(tmp_path / "train.jsonl")],  # small: the taxonomy is what is tested
    )
    registry = Registry(tmp_path / "reg")
    version = registry.register(train(config, tmp_path / "model", root=root))
    argv = ["--registry", str(registry.root), "eval", "--model", version, "--resamples", "20"]
    argv += ["--data", str(tmp_path / "dev.jsonl"), "--out", str(tmp_path / "report")]
    assert main([*argv, "--names", "none"]) == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "report/report.json").read_text())
    assert report["data"]["documents"] == len(rows) - 60
    # --taxonomy still overrides: the bundled one does not know the campaign's narrative
    assert main([*argv, "--names", "none", "--taxonomy", str(root / "data/taxonomy.yaml")]) == 2
    assert "unknown narrative" in capsys.readouterr().err


# -- 8. abbreviations do not end sentences ---------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "sentences"),
    [
        ("en", "The U.S. Army said so. Dr. Smith agreed. It was late.", 3),
        ("en", "Sanctions hurt Europe, e.g. Germany, i.e. its industry. Prices rose.", 2),
        ("de", "Das gilt z.B. für Berlin. Danach sprach Prof. Müller.", 2),
        ("fr", "M. Dupont a parlé. Mme Martin a répondu.", 2),
        ("es", "El Sr. García habló. La Dra. López respondió.", 2),
        ("it", "Il dott. Rossi ha parlato. Il sig. Bianchi no.", 2),
        ("pl", "Spotkanie na ul. Długiej trwało godzinę, np. do południa. Potem wyszli.", 2),
        ("ru", "Это, т.е. США, виновато. Так сказал проф. Иванов.", 2),
        ("ru", "Это было в 2024 г. Затем пили чай и т.д. Потом ушли.", 3),
        ("uk", "Університет ім. Шевченка відкрито, т.ч. для всіх. Студенти прийшли.", 2),
    ],
)
def test_abbreviations_do_not_split_sentences(lang, text, sentences):
    found = split_sentences(text)
    assert len(found) == sentences, [s.text for s in found]
    assert all(text[s.start : s.end] == s.text for s in found)


def test_evidence_offsets_survive_an_abbreviation():
    text = "Officials in the U.S. said the war was provoked. Nothing else."
    first = split_sentences(text)[0]
    assert first.text == "Officials in the U.S. said the war was provoked."
    assert (first.start, first.end) == (0, len(first.text))
