"""Schema and loaders: good data loads, bad data fails with file, line and field."""

from __future__ import annotations

import json

import pytest

from narrascope.data import load_documents
from narrascope.errors import DataError

GOOD = {
    "id": "a1",
    "text": "NATO expansion forced Russia to act.",
    "lang": "en",
    "country": "RU",
    "source": "Example Wire",
    "source_type": "state_media",
    "published": "2024-05-01",
    "narratives": ["URW.blame_west"],
    "subnarratives": ["URW.blame_west.nato_expansion"],
}


def _jsonl(tmp_path, rows, name="d.jsonl"):
    path = tmp_path / name
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def test_good_jsonl_loads_with_types(tmp_path, taxonomy):
    docs = load_documents(
        _jsonl(tmp_path, [GOOD, {"id": "a2", "text": "Rain in Kyiv.", "narratives": ["Other"]}]),
        taxonomy,
    ).documents
    assert [d.id for d in docs] == ["a1", "a2"]
    assert str(docs[0].published) == "2024-05-01" and docs[0].source_type.value == "state_media"
    assert docs[1].is_other and docs[1].narratives == () and docs[1].lang == "und"


@pytest.mark.parametrize(
    ("row", "line", "field", "message"),
    [
        ({**GOOD, "colour": "red"}, 2, "colour", "unknown field"),
        ({**GOOD, "text": "   "}, 2, "text", "empty"),
        ({**GOOD, "lang": "english"}, 2, "lang", "ISO 639-1"),
        ({**GOOD, "country": "Russia"}, 2, "country", "ISO 3166"),
        ({**GOOD, "published": "yesterday"}, 2, "published", "date"),
        ({**GOOD, "narratives": ["URW.nope"]}, 2, "narratives", "unknown narrative"),
        ({**GOOD, "narratives": []}, 2, "narratives", "without its narrative"),
        ({**GOOD, "id": "a0"}, 2, "id", "duplicate id"),
    ],
)
def test_bad_record_names_line_and_field(tmp_path, taxonomy, row, line, field, message):
    first = {**GOOD, "id": "a0"}
    path = _jsonl(tmp_path, [first, row])
    with pytest.raises(DataError) as err:
        load_documents(path, taxonomy)
    assert (err.value.line, err.value.field) == (line, field)
    assert message in str(err.value) and str(path) in str(err.value)


def test_malformed_json_line(tmp_path, taxonomy):
    with pytest.raises(DataError, match=r"d.jsonl:2: malformed JSON"):
        load_documents(_jsonl(tmp_path, [GOOD, '{"id": "x", "text": ']), taxonomy)


def test_invalid_utf8_names_the_line(tmp_path, taxonomy):
    path = tmp_path / "d.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b'\n{"id": "b", "text": "caf\xe9"}\n')
    with pytest.raises(DataError, match=r"d.jsonl:2: invalid UTF-8"):
        load_documents(path, taxonomy)


def test_skip_invalid_keeps_good_rows_and_reports_bad_ones(tmp_path, taxonomy):
    path = _jsonl(tmp_path, [GOOD, {**GOOD, "id": "b", "text": ""}, {**GOOD, "id": "c"}])
    result = load_documents(path, taxonomy, skip_invalid=True)
    assert [d.id for d in result.documents] == ["a1", "c"]
    assert [(e.line, e.field) for e in result.errors] == [(2, "text")]


def test_csv_loader_splits_label_lists(tmp_path, taxonomy):
    path = tmp_path / "d.csv"
    path.write_text(
        "id,text,lang,narratives,subnarratives\n"
        'c1,"Sanctions failed, Europe suffers.",en,URW.russia_strong,'
        "URW.russia_strong.sanctions_backfire\n"
        "c2,Parliament passed the budget.,en,,\n",
        encoding="utf-8",
    )
    docs = load_documents(path, taxonomy).documents
    assert docs[0].subnarratives == ("URW.russia_strong.sanctions_backfire",)
    assert docs[1].is_other


def test_csv_extra_column_value_is_an_error(tmp_path, taxonomy):
    path = tmp_path / "d.csv"
    path.write_text("id,text\nc1,hello world,surplus\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"d.csv:2: more values than header"):
        load_documents(path, taxonomy)


def _semeval(tmp_path, lines, docs):
    folder = tmp_path / "EN"
    (folder / "raw-documents").mkdir(parents=True)
    (folder / "subtask-2-annotations.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name, text in docs.items():
        (folder / "raw-documents" / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_semeval_folder_maps_label_names_to_ids(tmp_path, taxonomy):
    root = _semeval(
        tmp_path,
        [
            "EN_1.txt\tURW: Blaming the war on the West\t"
            "URW: Blaming the war on the West: NATO expansion forced Russia to act",
            "EN_2.txt\tOther\tOther",
            "EN_3.txt\tCC: Climate change is a hoax or exaggerated\t"
            "CC: Climate change is a hoax or exaggerated: Other",
        ],
        {"EN_1.txt": "NATO pushed east.", "EN_2.txt": "Weather is fine.", "EN_3.txt": "A hoax."},
    )
    docs = load_documents(root, taxonomy).documents
    assert [(d.id, d.lang) for d in docs] == [
        ("EN_1.txt", "en"),
        ("EN_2.txt", "en"),
        ("EN_3.txt", "en"),
    ]
    assert docs[0].subnarratives == ("URW.blame_west.nato_expansion",)
    assert docs[1].is_other
    assert docs[2].narratives == ("CC.hoax",) and docs[2].subnarratives == ()


def test_semeval_unknown_label_and_missing_document(tmp_path, taxonomy):
    root = _semeval(tmp_path, ["EN_1.txt\tURW: Aliens did it\tOther"], {"EN_1.txt": "x y z"})
    with pytest.raises(
        DataError, match=r"subtask-2-annotations.txt:1: .*unknown label 'URW: Aliens"
    ):
        load_documents(root, taxonomy)
    root2 = _semeval(tmp_path / "b", ["EN_9.txt\tOther\tOther"], {})
    with pytest.raises(DataError, match=r":1: field 'article_id': document file missing"):
        load_documents(root2, taxonomy)


def test_semeval_wrong_column_count(tmp_path, taxonomy):
    root = _semeval(tmp_path, ["EN_1.txt\tOther"], {"EN_1.txt": "x y z"})
    with pytest.raises(DataError, match="expected 3 tab-separated columns, found 2"):
        load_documents(root, taxonomy)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_documents(tmp_path / "nope.jsonl")
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    with pytest.raises(DataError, match="unsupported data format"):
        load_documents(tmp_path / "x.parquet")
