from llmscan.corpus import Document, load_documents
from llmscan.verify import SuffixArrayIndex

DOCS = [Document("d0", "the quick brown fox jumps over the lazy dog"),
        Document("d1", "Card 4539 1488 0343 6467 belongs to Maria Gonzalez"),
        Document("d2", "naïve café crème brûlée")]


def test_longest_match_finds_span_and_document():
    idx = SuffixArrayIndex.build(DOCS)
    m = idx.longest_match("xx Card 4539 1488 0343 6467 yy")
    assert (m.chars, m.doc) == (len("Card 4539 1488 0343 6467 "), "d1")
    assert "xx Card 4539 1488 0343 6467 yy"[m.start:m.end] == "Card 4539 1488 0343 6467 "


def test_match_never_spans_documents():
    idx = SuffixArrayIndex.build(DOCS)
    m = idx.longest_match("lazy dogCard 4539")
    assert m.chars == len("Card 4539")


def test_contains_and_unicode_characters():
    idx = SuffixArrayIndex.build(DOCS)
    assert idx.contains("4539 1488 0343 6467") and not idx.contains("4539 1488 0343 6468")
    m = idx.longest_match("une crème brûlée!")
    assert m.chars == len(" crème brûlée") and m.doc == "d2"


def test_no_overlap():
    assert SuffixArrayIndex.build(DOCS).longest_match("§§§").chars == 0


def test_saved_index_is_memory_mapped_and_equal(tmp_path):
    SuffixArrayIndex.build(DOCS).save(tmp_path / "idx")
    idx = SuffixArrayIndex.load(tmp_path / "idx")
    assert idx.longest_match("brown fox jumps").chars == 15


def test_corpus_formats(tmp_path):
    (tmp_path / "a.txt").write_text("para one\nstill one\n\npara two\n")
    (tmp_path / "b.jsonl").write_text('{"text": "row zero"}\n{"text": "row one"}\n')
    docs = load_documents(tmp_path)
    assert [d.text.strip() for d in docs] == ["para one\nstill one", "para two", "row zero", "row one"]
