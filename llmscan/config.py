"""ScanConfig: every option of a scan in one validated dataclass, buildable from the CLI or a YAML file."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from llmscan.errors import ConfigError, InputFileError
from llmscan.extraction import ExtractionConfig
from llmscan.gate import parse_condition

DEVICE_CHOICES = ("auto", "cpu", "cuda")
NER_CHOICES = ("auto", "off", "on")
CHAT_TEMPLATE_CHOICES = ("auto", "on", "off")


@dataclass
class ScanConfig:
    """Options of `llmscan scan`; each field's metadata holds its help text."""

    model: str = field(default="", metadata={"help": "HF directory or hub name of the model to scan"})
    out: str = field(default="", metadata={"help": "output directory"})
    prompts: list[str] = field(default_factory=list, metadata={
        "help": "prompt sources: empty, file:PATH, training, or a set name from prompts/ (repeatable)"})
    samples: int = field(default=256, metadata={"help": "total number of samples to generate"})
    max_new_tokens: int = field(default=64, metadata={"help": "tokens generated per sample"})
    top_k: int = field(default=40, metadata={"help": "top-k sampling (0 disables)"})
    top_p: float = field(default=1.0, metadata={"help": "nucleus sampling threshold (1 disables)"})
    temperature: float = field(default=1.0, metadata={"help": "sampling temperature"})
    temperature_decay: bool = field(default=False, metadata={
        "help": "start at T=10 and decay linearly to --temperature over the first 20 tokens (Carlini 2021)"})
    prefix_words: int = field(default=4, metadata={"help": "words taken as prefix from training/file documents"})
    training_data: str | None = field(default=None, metadata={
        "help": ".txt/.jsonl file or directory of them; enables verbatim verification"})
    index: str | None = field(default=None, metadata={
        "help": "training-corpus index built by `llmscan index build` (for corpora too large for --training-data)"})
    min_match_chars: int = field(default=50, metadata={
        "help": "verbatim overlap (characters) at which a sample counts as memorized"})
    extract_prefix_tokens: int = field(default=32, metadata={
        "help": "discoverable extraction (with --prompts training): prefix length P in tokens"})
    extract_suffix_tokens: int = field(default=32, metadata={
        "help": "discoverable extraction: true suffix length S compared with the continuation"})
    extract_tries: int = field(default=8, metadata={
        "help": "discoverable extraction: sampled tries per prefix besides the greedy one (0: greedy only)"})
    extract_documents: int = field(default=256, metadata={
        "help": "discoverable extraction: training documents tested (0 turns it off)"})
    lowercase_score: bool = field(default=False, metadata={
        "help": "also score each sample's lowercased text (the lowercase ratio; one extra pass of the target)"})
    reference: str | None = field(default=None, metadata={
        "help": "reference model (HF directory or hub name) for the reference-ratio score and PII subtraction"})
    seed: int = field(default=0, metadata={"help": "random seed; same seed, same samples"})
    batch_size: int = field(default=32, metadata={"help": "samples generated per batch"})
    device: str = field(default="auto", metadata={"help": "auto, cpu or cuda"})
    cpu_streams: int = field(default=0, metadata={
        "help": "batches generated at once on CPU, each on its share of the cores (0: 2 for models of at most "
                "1B parameters when there are 2+ threads; 1: one at a time); samples do not depend on it"})
    ner: str = field(default="auto", metadata={"help": "spaCy NER for PERSON/LOCATION: auto, on or off"})
    reveal_secrets: bool = field(default=False, metadata={"help": "write PII values unredacted"})
    fail_on: list[str] = field(default_factory=list, metadata={
        "help": "exit 3 when a condition holds: memorized-pii, memorized-samples, near-verbatim-samples, "
                "extractable-rate>X, sampled-extractable-rate>X, exposure>BITS (repeatable)"})
    chat_template: str = field(default="auto", metadata={
        "help": "wrap prompts in the model's chat template: auto (when it has one), on or off"})
    trust_remote_code: bool = field(default=False, metadata={"help": "allow the model repo's own Python code"})
    allow_pickle: bool = field(default=False, metadata={"help": "allow pickled (.bin) weights"})
    pii_min_score: float = field(default=0.3, metadata={
        "help": "drop PII findings presidio scores below this (its weak patterns score 0.01-0.05)"})
    prompt_sets_dir: str | None = field(default=None, metadata={
        "help": "extra directory of prompt-set YAML files (--prompts NAME picks NAME.yaml)"})
    pii_workers: int = field(default=1, metadata={
        "help": "processes for PII detection (each builds its own engine; worth it above a few thousand samples)"})
    detectors_dir: str | None = field(default=None, metadata={"help": "extra directory of recognizer YAML files"})
    canaries: str | None = field(default=None, metadata={
        "help": "canary file (YAML/JSONL of {prefix, secret}): exposure of each goes into summary.json"})
    progress: bool = field(default=True, metadata={"help": "show a progress bar"})

    def validate(self) -> ScanConfig:
        """Check every value; raise ConfigError naming the option."""
        if not self.model:
            raise ConfigError("MODEL", "a model directory or hub name is required")
        for name in ("samples", "max_new_tokens", "batch_size", "prefix_words", "min_match_chars", "pii_workers",
                     "extract_prefix_tokens", "extract_suffix_tokens"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(_flag(name), f"must be a positive integer, got {getattr(self, name)}")
        for name in ("extract_tries", "extract_documents", "cpu_streams"):
            if int(getattr(self, name)) < 0:
                raise ConfigError(_flag(name), f"must be >= 0, got {getattr(self, name)}")
        if self.top_k < 0:
            raise ConfigError("--top-k", f"must be >= 0, got {self.top_k}")
        if not 0.0 < self.top_p <= 1.0:
            raise ConfigError("--top-p", f"must be in (0, 1], got {self.top_p}")
        if self.temperature <= 0:
            raise ConfigError("--temperature", f"must be > 0, got {self.temperature}")
        _check_choice("--device", self.device, DEVICE_CHOICES)
        _check_choice("--ner", self.ner, NER_CHOICES)
        _check_choice("--chat-template", self.chat_template, CHAT_TEMPLATE_CHOICES)
        for cond in self.fail_on:
            parse_condition(cond)
        if self.prompt_sets_dir and not Path(self.prompt_sets_dir).is_dir():
            raise InputFileError(self.prompt_sets_dir, "--prompt-sets-dir is not a directory")
        if self.canaries and not Path(self.canaries).is_file():
            raise InputFileError(self.canaries, "--canaries does not exist")
        if self.index and not (Path(self.index) / "index.json").exists():
            raise InputFileError(self.index, "--index is not an llmscan index (build one with `llmscan index build`)")
        if self.training_data and not Path(self.training_data).exists():
            raise InputFileError(self.training_data, "--training-data does not exist")
        return self

    def extraction(self) -> ExtractionConfig | None:
        """Discoverable-extraction settings when it runs (--prompts training with training data)."""
        if "training" not in self.prompts or not self.training_data or not self.extract_documents:
            return None
        return ExtractionConfig(self.extract_prefix_tokens, self.extract_suffix_tokens, self.extract_tries,
                                self.extract_documents)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def generation_key(self) -> dict[str, Any]:
        """The options that decide which samples are generated; a resume must match them exactly."""
        keys = ("model", "prompts", "samples", "max_new_tokens", "top_k", "top_p", "temperature",
                "temperature_decay", "prefix_words", "training_data", "seed", "extract_prefix_tokens",
                "extract_suffix_tokens", "extract_tries", "extract_documents", "lowercase_score", "reference",
                "chat_template", "prompt_sets_dir")
        return {k: getattr(self, k) for k in keys}

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> ScanConfig:
        """Load options from a YAML mapping; keyword overrides (e.g. CLI flags) win."""
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as e:
            raise InputFileError(path, f"cannot read config: {e.strerror}") from None
        except yaml.YAMLError as e:
            raise InputFileError(path, f"not valid YAML: {str(e).splitlines()[0]}") from None
        if not isinstance(data, dict):
            raise InputFileError(path, "config must be a YAML mapping of option: value")
        known = {f.name for f in fields(cls)}
        data = {k.replace("-", "_"): v for k, v in data.items()}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputFileError(path, f"unknown option(s) {', '.join(unknown)}")
        data.update(overrides)
        return cls(**data)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(option, f"unknown value {value!r} (choose from {', '.join(choices)})")
