"""scan(): prompts -> generate -> score -> verify -> detect -> report, as one call."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmscan import distributed
from llmscan.config import ScanConfig
from llmscan.corpus import Document, load_documents
from llmscan.dedup import annotate_duplicates
from llmscan.divergence import annotate_divergence
from llmscan.divergence import summarize as summarize_divergence
from llmscan.errors import LlmscanError
from llmscan.exposure import exposure_rows, exposures, load_canaries
from llmscan.extraction import PREFIX_LENGTHS, encode_documents, plan_targets, rate_by_prefix_length
from llmscan.extraction import summarize as summarize_extraction
from llmscan.gate import failed_conditions
from llmscan.index import CorpusIndex
from llmscan.metrics import quality_of_samples
from llmscan.models import LoadedModel, load_model, prepare_tokenizer
from llmscan.pii import PiiEngine, build_engine, drop_weak_and_nested, find_pii
from llmscan.prompts import build_sources, default_prompt_specs, plan_prompts
from llmscan.records import Finding, Sample
from llmscan.redact import Redactor
from llmscan.report import Spans, build_summary, write_outputs
from llmscan.runner import Job, check_resume_key, load_shards, run_extraction, run_generation
from llmscan.sampling import SamplingConfig
from llmscan.score import score_samples
from llmscan.streams import auto_streams
from llmscan.teacher_forcing import add_companion_logprobs
from llmscan.verify import verify_samples

EXIT_GATE_FAILED = 3


@dataclass
class ScanResult:
    """What a scan found; `exit_code` is what the CLI exits with (3 when a --fail-on condition holds)."""

    config: ScanConfig
    samples: list[Sample]
    summary: dict[str, Any]
    out_dir: Path | None
    failed_conditions: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.samples for f in s.pii]

    @property
    def memorized_pii(self) -> list[Finding]:
        return [f for f in self.findings if f.memorized]

    @property
    def exit_code(self) -> int:
        return EXIT_GATE_FAILED if self.failed_conditions else 0


def _resolve_config(model: Any, config: ScanConfig | None, options: dict[str, Any]) -> ScanConfig:
    cfg = dataclasses.replace(config, **options) if config else ScanConfig(**options)
    if isinstance(model, str):
        cfg.model = model
    elif not cfg.model:
        lm_model = model.model if isinstance(model, LoadedModel) else model
        cfg.model = str(getattr(lm_model, "name_or_path", "") or type(lm_model).__name__)
    return cfg.validate()


def _as_loaded(model: Any, tokenizer: Any, cfg: ScanConfig, device: str) -> LoadedModel:
    if isinstance(model, LoadedModel):
        return model
    if isinstance(model, str):
        return load_model(model, device, cfg.trust_remote_code, cfg.allow_pickle, cfg.chat_template)
    if tokenizer is None:
        raise LlmscanError("scan(): a tokenizer is required when passing a model object")
    return LoadedModel(model=model.eval(), tokenizer=prepare_tokenizer(tokenizer), name=cfg.model)


def scan(model: Any, tokenizer: Any = None, config: ScanConfig | None = None, **options: Any) -> ScanResult:
    """Scan `model` (HF directory/hub name, a LoadedModel, or a model object with `tokenizer`).

    Options are ScanConfig fields (e.g. samples=512, training_data="corpus.jsonl", out="scan-out").
    Under torchrun / accelerate launch each process generates its share; rank 0 returns the full result,
    the other ranks return None.
    """
    started = time.time()
    cfg = _resolve_config(model, config, options)
    ctx = distributed.from_env()
    distributed.init(ctx)
    docs = load_documents(cfg.training_data) if cfg.training_data else None
    lm = _as_loaded(model, tokenizer, cfg, ctx.device(cfg.device))
    sets_dir = Path(cfg.prompt_sets_dir) if cfg.prompt_sets_dir else None
    plan = plan_prompts(build_sources(cfg.prompts or default_prompt_specs(docs is not None), cfg.seed,
                                      cfg.prefix_words, docs, sets_dir), cfg.samples)
    work = Path(cfg.out) if cfg.out else Path(tempfile.mkdtemp(prefix="llmscan-"))
    shard_dir = work / ".shards"
    check_resume_key(shard_dir, cfg.generation_key(), ctx)
    distributed.barrier(ctx)
    sampling = SamplingConfig(cfg.max_new_tokens, cfg.top_k, cfg.top_p, cfg.temperature, cfg.temperature_decay)
    reference = load_model(cfg.reference, lm.device, cfg.trust_remote_code, cfg.allow_pickle) if cfg.reference \
        else None

    def annotate(batch: list[Sample]) -> None:
        add_companion_logprobs(batch, lm, reference, cfg.lowercase_score)

    job = Job(lm, sampling, cfg.seed, cfg.batch_size, shard_dir, ctx, cfg.progress, annotate,
              streams=auto_streams(cfg.cpu_streams, lm.model))
    run_generation(job, plan)
    ext = cfg.extraction()
    encoded = encode_documents(lm, docs, max(PREFIX_LENGTHS + (ext.prefix_tokens,)) + ext.suffix_tokens) \
        if ext and docs else []
    targets = plan_targets(lm, docs, ext, cfg.seed, encoded) if encoded else []
    if targets:
        run_extraction(job, targets, ext.tries)
    distributed.barrier(ctx)
    if not ctx.is_main:
        distributed.shutdown(ctx)
        return None  # type: ignore[return-value]
    by_id = load_shards(shard_dir)
    samples = [by_id[sid] for sid, _ in plan] + [by_id[t.id] for t in targets]
    extra = {"canaries": exposure_rows(exposures(lm, load_canaries(cfg.canaries)))} if cfg.canaries else {}
    if targets:
        extra["extraction_by_prefix"] = rate_by_prefix_length(lm, docs, ext, cfg.seed, cfg.batch_size,
                                                              encoded=encoded)
    result = analyze(samples, cfg, docs, lm.name, started, out_dir=Path(cfg.out) if cfg.out else None,
                     extra_summary=extra)
    shutil.rmtree(shard_dir if cfg.out else work, ignore_errors=True)
    distributed.shutdown(ctx)
    return result


def analyze(
    samples: list[Sample],
    cfg: ScanConfig,
    docs: list[Document] | None,
    model_name: str,
    started: float,
    out_dir: Path | None,
    engine: PiiEngine | None = None,
    extra_summary: dict[str, Any] | None = None,
) -> ScanResult:
    """Score, verify, detect PII, summarise and (with `out_dir`) write the artifacts."""
    from llmscan import __version__

    annotate_duplicates(samples)
    score_samples(samples)
    index = CorpusIndex.load(cfg.index) if cfg.index else CorpusIndex.build(docs) if docs else None
    if index is not None:
        verify_samples(samples, index, cfg.min_match_chars)
    engine = engine or build_engine(cfg.ner, cfg.detectors_dir)
    find_pii(samples, engine, index, cfg.pii_min_score, cfg.pii_workers)
    annotate_divergence(samples)
    meta = {"model": model_name, "settings": cfg.to_dict(), "llmscan_version": __version__,
            "detectors": engine.describe(), "seconds": round(time.time() - started, 2)}
    summary = build_summary(samples, index is not None, meta)
    summary["extraction"] = summarize_extraction(samples)
    summary["score_quality"] = quality_of_samples(samples)
    summary["divergence"] = summarize_divergence(samples)
    summary.update(extra_summary or {})
    failed = failed_conditions(summary, cfg.fail_on)
    summary["gate"] = {"fail_on": cfg.fail_on, "failed": failed, "exit_code": EXIT_GATE_FAILED if failed else 0}
    if out_dir is not None:
        redactor = Redactor(reveal=cfg.reveal_secrets)
        write_outputs(out_dir, samples, summary, redactor, _prompt_spans(samples, engine, cfg.pii_min_score))
    return ScanResult(cfg, samples, summary, out_dir, failed)


def _prompt_spans(samples: list[Sample], engine: PiiEngine, min_score: float) -> Spans:
    prompts = sorted({s.prompt for s in samples if s.prompt})
    results = [drop_weak_and_nested(res, min_score) for res in engine.analyze(prompts)]
    return {p: [(r.start, r.end, r.entity_type) for r in res] for p, res in zip(prompts, results) if res}
