from pathlib import Path

import pytest
import yaml
from presidio_analyzer import RecognizerRegistry

from llmscan.errors import InputFileError
from llmscan.pii import build_engine, detector_files, drop_weak_and_nested, load_detector_file
from llmscan.redact import Redactor


@pytest.fixture(scope="module")
def engine():
    return build_engine(ner="off")


def _found(engine, text):
    return {(r.entity_type, text[r.start:r.end]) for r in drop_weak_and_nested(engine.analyze([text])[0], 0.3)}


def test_pattern_entities_offline(engine):
    text = "Card 4539 1488 0343 6467, email maria.g@mailbox-demo.com, phone (937) 555-0142."
    found = _found(engine, text)
    assert ("CREDIT_CARD", "4539 1488 0343 6467") in found
    assert ("EMAIL_ADDRESS", "maria.g@mailbox-demo.com") in found
    assert ("PHONE_NUMBER", "(937) 555-0142") in found
    assert not any(t == "URL" for t, _ in found)  # the e-mail's domain is not reported again


def test_luhn_rejects_wrong_check_digit(engine):
    assert not any(t == "CREDIT_CARD" for t, _ in _found(engine, "Card 4539 1488 0343 6468."))
    assert ("CREDIT_CARD", "4539-1488-0343-6467") in _found(engine, "Card 4539-1488-0343-6467.")


def test_engine_reports_ner_state(engine):
    assert engine.describe()["ner_model"] is None
    assert "off" in engine.describe()["ner"]


def _detector_examples():
    for f in detector_files():
        for entry in yaml.safe_load(f.read_text())["recognizers"]:
            ex = entry.get("examples", {})
            for text in ex.get("positive", []):
                yield pytest.param(entry["supported_entity"], text, True, id=f"{entry['name']}+{text[:20]}")
            for text in ex.get("negative", []):
                yield pytest.param(entry["supported_entity"], text, False, id=f"{entry['name']}-{text[:20]}")


@pytest.mark.parametrize(("entity", "text", "expected"), list(_detector_examples()))
def test_shipped_detector_examples(engine, entity, text, expected):
    hits = [r for r in engine.analyze([text])[0] if r.entity_type == entity]
    assert bool(hits) == expected


def test_every_shipped_detector_has_examples():
    for f in detector_files():
        for entry in yaml.safe_load(f.read_text())["recognizers"]:
            assert entry.get("examples", {}).get("positive"), f"{f.name}:{entry['name']} lacks positive examples"
            assert entry.get("examples", {}).get("negative"), f"{f.name}:{entry['name']} lacks negative examples"


def test_bad_detector_file_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("recognizers:\n  - name: X\n    supported_entity: X\n    patterns: [{name: p}]\n")
    with pytest.raises(InputFileError, match="bad.yaml"):
        load_detector_file(RecognizerRegistry(), bad)


def test_redaction_is_stable_and_hides_value():
    r = Redactor(key=b"k")
    tag = r.tag("CREDIT_CARD", "4539 1488 0343 6467")
    assert "4539" not in tag and tag == r.tag("CREDIT_CARD", "4539 1488 0343 6467")
    assert tag != Redactor(key=b"other").tag("CREDIT_CARD", "4539 1488 0343 6467")
    text = "pay with 4539 1488 0343 6467 now"
    assert r.text(text, [(9, 28, "CREDIT_CARD")]) == f"pay with {tag} now"
    assert Redactor(reveal=True).text(text, [(9, 28, "CREDIT_CARD")]) == text
