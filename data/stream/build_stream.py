"""Build the bundled, dated document stream for the narrative-tracking demo.

    python data/stream/build_stream.py            # writes data/stream/stream.jsonl

Deterministic (fixed seed, no clock, no network): running it twice gives the same bytes.

Sources (both written for this project, nothing fetched):
  * data/corpus/test.jsonl                 -- 136 documents, 17 per language
                                             (en ru uk zh es de fr ar)
  * data/campaigns/biolabs/documents.jsonl -- 80 documents of the new narrative URW.biolabs
                                             (7 narrative + 3 Other per language)
The train split (data/corpus/train.jsonl) is deliberately NOT used, so a model trained on it is
scored on text it never saw.

Window: 26 weekly buckets, Monday-based, week 1 = 2026-01-05 .. week 26 = 2026-06-29..2026-07-05.
Every record keeps the source document's fields, gets a new unique id "s-<original id>-<k>"
(k = 1, 2, ... counts the reuses of that document) and a new `published` date inside its week
(a seeded random weekday).

Design:
  1. Baseline.  Every (week, language) cell gets BASE_MIN..BASE_MAX test documents of that
     language, drawn from a per-language shuffled "deck" that is dealt without replacement and
     reshuffled when empty, so Other and narrative documents appear in their natural proportion
     and every document is reused about equally often, spread over the weeks.
  2. Planted spike.  SPIKE_NARRATIVE rises in SPIKE_LANGS during the weeks of SPIKE_MULT: in
     those cells ordinary documents are swapped for documents carrying it until their number is
     SPIKE_MULT[week] x its natural share in the language's test documents (capped at SPIKE_CAP
     of the cell).  Spike documents come from a separate deck, so the baseline before and after
     is unchanged.  Other languages stay on the baseline.
  3. Emerging narrative.  The biolabs campaign documents (gold label URW.biolabs, unknown to
     data/taxonomy.yaml and to the default model) appear only from EMERGE_START on, per language
     from its onset week in EMERGE_ONSET, growing by EMERGE_GROWTH per week since onset, on top
     of the baseline.  EMERGE_NARRATIVE_SHARE of them carry URW.biolabs; the rest are the
     campaign's 3 Other documents per language (fact checks, bird flu, lab news), kept as topical
     hard negatives.

  4. Coordinated burst.  COORD_ACCOUNTS social accounts (fictional handles) post variants of
     one "stop the aid" message (URW.aid_futile) in English and Russian on COORD_DAYS: the same
     text with a changed figure, verb, hashtag, link or mention -- what copy-paste amplification
     looks like.  Beside it, ORGANIC_ACCOUNT posts a near-identical daily weather note on
     ORGANIC_DAYS: near-duplicates from one account, which is organic and must not be flagged.
     Both are written for this project and drawn from their own seeded generator, so steps
     1-3 give the same records as before.

Known limitation: the test split has only 17 documents per language and only one URW.aid_futile
document in ru and in uk (two in de), so at ~7.5 documents per language-week the test documents
are reused ~10-13 times each (not ~4; the spike documents up to ~18), and the spike in ru/uk
repeats the same text two or three times in a week.  Biolabs documents are reused at most
MAX_CAMPAIGN_REUSE times.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST = ROOT / "data" / "corpus" / "test.jsonl"
CAMPAIGN = ROOT / "data" / "campaigns" / "biolabs" / "documents.jsonl"
OUT = ROOT / "data" / "stream" / "stream.jsonl"

SEED = 20260105
START = dt.date(2026, 1, 5)  # a Monday
WEEKS = 26
LANGS = ("en", "ru", "uk", "zh", "es", "de", "fr", "ar")
BASE_MIN, BASE_MAX = 6, 9

SPIKE_NARRATIVE = "URW.aid_futile"
SPIKE_LANGS = ("ru", "uk", "de")
SPIKE_MULT = {14: 8.0, 15: 10.0, 16: 9.0}  # week -> multiple of the baseline share
SPIKE_CAP = 0.6  # never more than this share of a cell

EMERGE_NARRATIVE = "URW.biolabs"
EMERGE_START = 18
EMERGE_ONSET = {"ru": 18, "uk": 18, "en": 19, "de": 19, "fr": 20, "es": 20, "zh": 21, "ar": 22}
EMERGE_GROWTH = (1, 1, 2, 3, 4, 5, 6, 7, 8)  # documents per language, by weeks since onset
EMERGE_NARRATIVE_SHARE = 0.7  # of those, labelled URW.biolabs (the rest: the campaign's Other docs)
MAX_CAMPAIGN_REUSE = 4

COORD_SEED = SEED + 4
COORD_DAYS = (dt.date(2026, 3, 24), dt.date(2026, 3, 25))  # week 12
COORD_CAMPAIGN = "stop-the-aid"
COORD_ACCOUNTS = {
    "en": [
        f"@{name}"
        for name in (
            "freedom_eagle_77",
            "realtalk_jenna",
            "taxpayer_tom_oh",
            "heartland_voice22",
            "no_more_wars_usa",
            "mike_the_patriot_",
            "sandra4truth",
            "plainspoken_bill",
            "midwest_momma_k",
            "justasking_ron",
        )
    ],
    "ru": [
        f"@{name}"
        for name in (
            "zhenya_pravda",
            "volga_patriot_88",
            "nasha_pravda_ru",
            "tihiy_don_news",
            "babushka_znaet",
            "ural_golos",
        )
    ],
}
COORD_TEMPLATES = {
    "en": "Another {amount} for Kyiv and nothing changes at the front. Every Western aid package "
    "{verb} into corruption and lost equipment while our pensions shrink. Stop sending our "
    "money into a war that cannot be won.",
    "ru": "Очередные {amount} для Киева, а на фронте ничего не меняется. Каждый западный пакет "
    "помощи {verb} в коррупции и потерянной технике, пока наши пенсии тают. Хватит отправлять "
    "наши деньги в войну, которую невозможно выиграть.",
}
COORD_SLOTS = {
    "en": {
        "amount": ("$50 billion", "50 billion dollars", "fifty billion"),
        "verb": ("disappears", "vanishes", "goes straight"),
    },
    "ru": {
        "amount": ("50 миллиардов", "пятьдесят миллиардов", "$50 млрд"),
        "verb": ("исчезает", "растворяется", "тонет"),
    },
}
COORD_EXTRAS = (
    "",
    " #StopTheAid",
    " #NotOurWar",
    " #StopTheAid #NotOurWar",
    " https://t.example/x7Kq2",
    " @SenatorExample",
)
ORGANIC_ACCOUNT = "@lviv_weather_daily"
ORGANIC_DAYS = tuple(dt.date(2026, 3, 23) + dt.timedelta(days=k) for k in range(5))
ORGANIC_TEMPLATE = (
    "Доброго ранку, Львове! Сьогодні {sky}, {temp}°C, слабкий західний вітер. Після {hour}:00 "
    "варто взяти парасолю. Гарного дня! #ЛьвівПогода"
)

FIELDS = (
    "id",
    "text",
    "lang",
    "country",
    "source",
    "source_type",
    "published",
    "campaign",
    "narratives",
    "subnarratives",
    "talking_points",
)


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


class Deck:
    """Deal documents without replacement; reshuffle (seeded) when empty."""

    def __init__(self, docs: list[dict], rng: random.Random):
        self.docs, self.rng, self.cards = list(docs), rng, []

    def deal(self, avoid: set[str] = frozenset()) -> dict:
        """Next card, preferring one whose id is not in `avoid` (already in this cell)."""
        for _ in range(2):
            for i, doc in enumerate(self.cards):
                if doc["id"] not in avoid:
                    return self.cards.pop(i)
            self.cards += self.rng.sample(self.docs, len(self.docs))
        return self.cards.pop(0)  # every document is already in the cell: repeat one

    def put_back(self, doc: dict) -> None:
        self.cards.insert(0, doc)


def _social(record_id: str, text: str, lang: str, account: str, day: dt.date, **labels) -> dict:
    record = {key: None for key in FIELDS}
    record.update(
        id=record_id,
        text=text,
        lang=lang,
        country="RU" if lang == "ru" else ("UA" if lang == "uk" else "US"),
        source=account,
        source_type="social",
        published=day.isoformat(),
        narratives=[],
        subnarratives=[],
        talking_points=[],
    )
    record.update(labels)
    return record


def coordinated_burst(rng: random.Random) -> list[dict]:
    """Step 4: the planted coordinated burst and the organic one-account repeats."""
    out = []
    for lang, accounts in COORD_ACCOUNTS.items():
        for k, account in enumerate(accounts, 1):
            slots = {name: rng.choice(values) for name, values in COORD_SLOTS[lang].items()}
            text = COORD_TEMPLATES[lang].format(**slots) + rng.choice(COORD_EXTRAS)
            out.append(
                _social(
                    f"s-coord-{lang}-{k:02d}",
                    text,
                    lang,
                    account,
                    rng.choice(COORD_DAYS),
                    campaign=COORD_CAMPAIGN,
                    narratives=["URW.aid_futile"],
                    subnarratives=["URW.aid_futile.cost_to_citizens"],
                )
            )
    for k, day in enumerate(ORGANIC_DAYS, 1):
        sky = rng.choice(("хмарно", "мінлива хмарність", "похмуро"))
        text = ORGANIC_TEMPLATE.format(sky=sky, temp=rng.randint(2, 9), hour=rng.randint(14, 18))
        out.append(_social(f"s-organic-uk-{k:02d}", text, "uk", ORGANIC_ACCOUNT, day))
    return out


def main() -> None:
    rng = random.Random(SEED)
    test, campaign = read_jsonl(TEST), read_jsonl(CAMPAIGN)
    by_lang = {lang: [d for d in test if d["lang"] == lang] for lang in LANGS}
    camp_by_lang = {lang: [d for d in campaign if d["lang"] == lang] for lang in LANGS}

    def has_spike(doc):
        return SPIKE_NARRATIVE in doc["narratives"]

    for lang in SPIKE_LANGS:
        assert any(has_spike(d) for d in by_lang[lang]), f"no {SPIKE_NARRATIVE} test doc in {lang}"
    base_share = {lang: sum(map(has_spike, docs)) / len(docs) for lang, docs in by_lang.items()}

    decks = {lang: Deck(by_lang[lang], rng) for lang in LANGS}
    spike_decks = {
        lang: Deck([d for d in by_lang[lang] if has_spike(d)], rng) for lang in SPIKE_LANGS
    }
    bio_decks = {
        lang: Deck([d for d in camp_by_lang[lang] if d["narratives"]], rng) for lang in LANGS
    }
    neg_decks = {
        lang: Deck([d for d in camp_by_lang[lang] if not d["narratives"]], rng) for lang in LANGS
    }
    reuse: Counter[str] = Counter()
    records: list[dict] = []

    def emit(doc: dict, week: int) -> None:
        reuse[doc["id"]] += 1
        record = {key: doc.get(key) for key in FIELDS}
        record["id"] = f"s-{doc['id']}-{reuse[doc['id']]}"
        day = START + dt.timedelta(weeks=week - 1, days=rng.randint(0, 6))
        record["published"] = day.isoformat()
        records.append(record)

    for week in range(1, WEEKS + 1):
        for lang in LANGS:
            size = rng.randint(BASE_MIN, BASE_MAX)
            cell: list[dict] = []
            for _ in range(size):
                cell.append(decks[lang].deal(avoid={d["id"] for d in cell}))
            if lang in SPIKE_LANGS and week in SPIKE_MULT:
                # Swap ordinary documents for spike documents (from their own deck, so the
                # baseline deck is untouched); swapped-out documents go back into the deck.
                target = round(min(SPIKE_MULT[week] * base_share[lang], SPIKE_CAP) * size)
                while sum(map(has_spike, cell)) < target:
                    out = next(d for d in cell if not has_spike(d))
                    cell.remove(out)
                    decks[lang].put_back(out)
                    cell.append(spike_decks[lang].deal(avoid={d["id"] for d in cell}))
            since = week - EMERGE_ONSET[lang]
            if week >= EMERGE_START and since >= 0:
                n = EMERGE_GROWTH[min(since, len(EMERGE_GROWTH) - 1)]
                n_narr = round(EMERGE_NARRATIVE_SHARE * n)
                for deck, count in ((bio_decks[lang], n_narr), (neg_decks[lang], n - n_narr)):
                    for _ in range(count):
                        cell.append(deck.deal(avoid={d["id"] for d in cell}))
            for doc in cell:
                emit(doc, week)

    # Invariants: unique ids, dates inside the window, no train text, campaign reuse bounded.
    assert len({r["id"] for r in records}) == len(records)
    end = START + dt.timedelta(weeks=WEEKS, days=-1)
    assert all(START.isoformat() <= r["published"] <= end.isoformat() for r in records)
    camp_ids = {d["id"] for d in campaign}
    assert max(n for i, n in reuse.items() if i in camp_ids) <= MAX_CAMPAIGN_REUSE
    train_texts = {d["text"] for d in read_jsonl(ROOT / "data" / "corpus" / "train.jsonl")}
    assert not any(r["text"] in train_texts for r in records), "train text leaked into the stream"

    records += coordinated_burst(random.Random(COORD_SEED))
    records.sort(key=lambda r: (r["published"], r["lang"], r["id"]))
    with OUT.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    test_reuse = [reuse[d["id"]] for d in test]
    camp_reuse = [reuse[d["id"]] for d in campaign]
    print(f"wrote {len(records)} records to {OUT.relative_to(ROOT)}")
    print(
        f"  test documents used {min(test_reuse)}..{max(test_reuse)} times "
        f"(mean {sum(test_reuse) / len(test_reuse):.1f}); "
        f"campaign documents {min(camp_reuse)}..{max(camp_reuse)} times"
    )
    print(
        f"  {sum(EMERGE_NARRATIVE in r['narratives'] for r in records)} records carry "
        f"{EMERGE_NARRATIVE}; {sum(SPIKE_NARRATIVE in r['narratives'] for r in records)} carry "
        f"{SPIKE_NARRATIVE}"
    )


if __name__ == "__main__":
    main()
