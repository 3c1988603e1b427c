"""Per-recognizer true and false positives, the card look-alike filter, and the fast path's exactness."""

from __future__ import annotations

import json
import random

import pytest

from llmscan.demo.victim import CORPUS
from llmscan.pii import build_engine, drop_weak_and_nested


@pytest.fixture(scope="module")
def engine():
    return build_engine(ner="off")


def _types(engine, text: str) -> set[tuple[str, str]]:
    return {(r.entity_type, text[r.start:r.end]) for r in drop_weak_and_nested(engine.analyze([text])[0], 0.3)}


@pytest.mark.parametrize(("text", "entity", "value"), [
    ("Card 4539 1488 0343 6467 on file", "CREDIT_CARD", "4539 1488 0343 6467"),
    ("Card 4539-1488-0343-6467 on file", "CREDIT_CARD", "4539-1488-0343-6467"),
    ("card 4539148803436467 charged", "CREDIT_CARD", "4539148803436467"),
    ("SSN 536-80-4398 on file", "US_SSN", "536-80-4398"),
    ("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN_CODE", "DE89 3704 0044 0532 0130 00"),
    ("wire to GB82WEST12345698765432 today", "IBAN_CODE", "GB82WEST12345698765432"),
    ("server at 192.168.14.77 today", "IP_ADDRESS", "192.168.14.77"),
    ("wallet 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 ok", "CRYPTO", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
    ("send 0x32Be343B94f860124dC4fEe278FDCBD38C102D88 now", "CRYPTO", "0x32Be343B94f860124dC4fEe278FDCBD38C102D88"),
    ("write to maria.g@mailbox-demo.com soon", "EMAIL_ADDRESS", "maria.g@mailbox-demo.com"),
    ("call (937) 555-0142 after 5", "PHONE_NUMBER", "(937) 555-0142"),
    ("passport number 912803456", "PASSPORT_NUMBER", "912803456"),
    ("driver license D1234567", "DRIVER_LICENSE", "D1234567"),
])
def test_true_positives(engine, text, entity, value):
    assert (entity, value) in _types(engine, text)


@pytest.mark.parametrize(("text", "entity"), [
    ("Card 4539 1488 0343 6468 on file", "CREDIT_CARD"),  # wrong Luhn check digit
    ("id 14539148803436467000 x", "CREDIT_CARD"),  # a valid card number inside a longer number
    ("IBAN DE89 3704 0044 0532 0130 01 please", "IBAN_CODE"),  # wrong IBAN checksum
    ("logged at ts 1700000000004 by the server", "CREDIT_CARD"),  # epoch milliseconds (presidio excludes them)
    ("event 1700000000000001 us", "CREDIT_CARD"),  # Luhn-valid epoch microseconds
    ("order id 4539148803436467 shipped", "CREDIT_CARD"),  # Luhn-valid, but named an order id
    ("order number 912803456", "PASSPORT_NUMBER"),
    ("licensed driver since 1998", "DRIVER_LICENSE"),
    ("hash 0xdeadbeef", "CRYPTO"),
])
def test_false_positives_rejected(engine, text, entity):
    assert not [v for t, v in _types(engine, text) if t == entity]


def test_card_context_beats_timestamp_shape(engine):
    assert ("CREDIT_CARD", "1700000000000001") in _types(engine, "Visa card 1700000000000001 expires")


def test_fast_path_answers_like_presidio_on_whole_texts(engine):
    """The windowed, cached path returns exactly presidio's results (same spans, types, scores)."""
    rng = random.Random(0)
    docs = [json.loads(line)["text"] for line in CORPUS.read_text().splitlines()]
    prose = ["The weather was mild and the river ran quietly past the old mill.",
             "Nothing to report here, just plain words without any numbers at all."]
    texts = []
    for _ in range(120):
        parts = rng.sample(docs, 2) + rng.sample(prose, 1)
        rng.shuffle(parts)
        joined = " ".join(parts)
        cut = rng.randrange(len(joined) // 2, len(joined))
        texts.append(joined[:cut])
    texts += prose + ["", "x@y", "a" * 40]
    fast = engine.analyze(texts)
    plain = build_engine(ner="off", plain=True)
    assert plain.fast is None
    for text, got in zip(texts, fast):
        want = plain.analyzer.analyze(text, language="en")
        key = sorted((r.entity_type, r.start, r.end, round(r.score, 6)) for r in got)
        from llmscan.pii import drop_card_lookalikes
        assert key == sorted((r.entity_type, r.start, r.end, round(r.score, 6))
                             for r in drop_card_lookalikes(text, want)), text
    assert engine.fast.stats["skipped"] >= 2 and engine.fast.stats["cache_hits"] > 0


def test_parallel_workers_give_the_same_results(engine):
    from llmscan.pii_parallel import analyze_parallel

    docs = [json.loads(line)["text"] for line in CORPUS.read_text().splitlines()][:120]
    texts = docs + ["order id 4539148803436467 shipped", "no pii here at all", ""]
    got = analyze_parallel(texts, workers=2)
    want = engine.analyze(texts)
    assert [sorted((r.entity_type, r.start, r.end, r.score) for r in res) for res in got] == \
        [sorted((r.entity_type, r.start, r.end, r.score) for r in res) for res in want]
    assert all(r.recognition_metadata["recognizer_name"] for res in got for r in res)
