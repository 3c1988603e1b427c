"""Load a text corpus (.txt, .jsonl with a "text" field, or a directory of them) with `datasets`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from llmscan.errors import InputFileError

TEXT_SUFFIXES = (".txt",)
JSON_SUFFIXES = (".jsonl", ".json")


@dataclass(frozen=True)
class Document:
    """One training document; `id` names it in reports (file and row)."""

    id: str
    text: str


def corpus_files(path: str | Path) -> list[Path]:
    """The corpus files under `path` (a file or a directory), sorted for a stable order."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(path, "does not exist")
    files = sorted(f for f in p.rglob("*") if f.suffix in TEXT_SUFFIXES + JSON_SUFFIXES) if p.is_dir() else [p]
    if not files:
        raise InputFileError(path, "directory holds no .txt or .jsonl files")
    for f in files:
        if f.suffix not in TEXT_SUFFIXES + JSON_SUFFIXES:
            raise InputFileError(f, "unsupported corpus format (use .txt or .jsonl with a 'text' field)")
    return files


def load_documents(path: str | Path) -> list[Document]:
    """Documents of a corpus: .txt files split into paragraphs, .jsonl rows by their "text" field."""
    return list(iter_documents(path))


def iter_documents(path: str | Path) -> Iterator[Document]:
    """The documents of a corpus one file at a time (datasets keeps each file memory-mapped)."""
    empty = True
    for f in corpus_files(path):
        for d in _load_file(f):
            empty = False
            yield d
    if empty:
        raise InputFileError(path, "corpus is empty")


def _load_file(f: Path) -> Iterator[Document]:
    from datasets import load_dataset  # imported lazily: it is slow to import

    if f.stat().st_size == 0:
        return iter(())
    try:
        if f.suffix in TEXT_SUFFIXES:
            ds = load_dataset("text", data_files=str(f), sample_by="paragraph", split="train")
        else:
            ds = load_dataset("json", data_files=str(f), split="train")
    except Exception as e:  # datasets raises many types for malformed files
        raise InputFileError(f, f"cannot be read as a corpus: {str(e).splitlines()[0][:200]}") from None
    if "text" not in ds.column_names:
        raise InputFileError(f, f"rows have no 'text' field (fields: {', '.join(ds.column_names)})")
    return _rows(f.name, ds)


def _rows(name: str, ds) -> Iterator[Document]:
    i = 0
    for batch in ds.iter(batch_size=4096):  # Arrow-backed: memory stays bounded on large files
        for t in batch["text"]:
            if t and str(t).strip():
                yield Document(id=f"{name}:{i}", text=str(t))
            i += 1
