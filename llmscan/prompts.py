"""Prompt sources: where prefixes come from. A new prompt set is a YAML file in prompts/."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from llmscan.corpus import Document, load_documents
from llmscan.errors import ConfigError, InputFileError
from llmscan.resources import data_dir


@dataclass(frozen=True)
class Prompt:
    """A prefix to continue and the source that produced it."""

    text: str
    source: str


PromptAt = Callable[[int], Prompt]  # the j-th prompt of a source; deterministic


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from any parts, stable across processes and Python versions."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def available_prompt_sets(extra_dir: Path | None = None) -> dict[str, Path]:
    """Prompt-set files by name (file stem); `extra_dir` entries override shipped ones."""
    dirs = [data_dir("prompts")] + ([extra_dir] if extra_dir else [])
    return {f.stem: f for d in dirs for f in sorted(d.glob("*.yaml"))}


def load_prompt_set(path: Path) -> list[str]:
    """The prompt texts of a prompt-set YAML file (`prompts:` list of strings or {text: ...})."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise InputFileError(path, f"not valid YAML: {str(e).splitlines()[0]}") from None
    items = data.get("prompts") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise InputFileError(path, "a prompt set needs a non-empty 'prompts:' list")
    texts = [it["text"] if isinstance(it, dict) else it for it in items]
    if not all(isinstance(t, str) and t.strip() for t in texts):
        raise InputFileError(path, "every prompt must be a non-empty string (or a mapping with 'text')")
    return texts


def _prefix(words: list[str], start: int, count: int) -> str:
    return " ".join(words[start:start + count])


def empty_source() -> PromptAt:
    """Only the start token, as in Carlini et al. 2021."""
    return lambda j: Prompt("", "empty")


def set_source(name: str, texts: Sequence[str]) -> PromptAt:
    """Cycle through a prompt set's templates."""
    return lambda j: Prompt(texts[j % len(texts)], name)


def corpus_prefix_source(docs: Sequence[Document], seed: int, prefix_words: int, label: str) -> PromptAt:
    """Random short prefixes (prefix_words..2*prefix_words words) from random places in a corpus."""
    split = [d.text.split() for d in docs]
    split = [w for w in split if w]

    def at(j: int) -> Prompt:
        rng = random.Random(derive_seed(seed, label, j))
        words = split[rng.randrange(len(split))]
        count = rng.randint(prefix_words, 2 * prefix_words)
        start = rng.randrange(max(1, len(words) - count + 1))
        return Prompt(_prefix(words, start, count), label)

    return at


def training_prefix_source(docs: Sequence[Document], seed: int, prefix_words: int) -> PromptAt:
    """The opening words of each distinct training document, every document once per round."""
    starts = sorted({_prefix(d.text.split(), 0, prefix_words) for d in docs} - {""})
    random.Random(derive_seed(seed, "training")).shuffle(starts)
    return lambda j: Prompt(starts[j % len(starts)], "training")


def build_sources(
    specs: Sequence[str],
    seed: int,
    prefix_words: int,
    training_docs: Sequence[Document] | None,
    extra_sets_dir: Path | None = None,
) -> list[PromptAt]:
    """Turn --prompts specs into prompt sources; unknown specs raise a ConfigError listing choices."""
    sets = available_prompt_sets(extra_sets_dir)
    sources: list[PromptAt] = []
    for spec in specs:
        if spec == "empty":
            sources.append(empty_source())
        elif spec == "training":
            if not training_docs:
                raise ConfigError("--prompts", "'training' needs --training-data")
            sources.append(training_prefix_source(training_docs, seed, prefix_words))
        elif spec.startswith("file:"):
            docs = load_documents(spec[5:])
            sources.append(corpus_prefix_source(docs, seed, prefix_words, spec))
        elif spec in sets:
            sources.append(set_source(spec, load_prompt_set(sets[spec])))
        else:
            known = ", ".join(["empty", "training", "file:PATH", *sets])
            raise ConfigError("--prompts", f"unknown prompt source {spec!r} (known: {known})")
    return sources


def default_prompt_specs(has_training_data: bool) -> list[str]:
    """With no --prompts: untargeted, PII-targeted, and training prefixes when the corpus is known."""
    return ["empty", "pii"] + (["training"] if has_training_data else [])


def plan_prompts(sources: Sequence[PromptAt], n_samples: int) -> list[tuple[str, Prompt]]:
    """Assign sample i the next prompt of source i mod S; ids depend only on i, so they are stable."""
    return [(f"s{i:07d}", sources[i % len(sources)](i // len(sources))) for i in range(n_samples)]
