"""Command line: `llmscan scan`, `llmscan demo`. User errors print one line and exit 2."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import warnings
from collections.abc import Sequence

from llmscan.config import ScanConfig
from llmscan.errors import LlmscanError

EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error as a single line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"llmscan: error: {message} (see --help)\n")


def _add_scan_options(p: argparse.ArgumentParser) -> None:
    """One flag per ScanConfig field, with the field's help text; defaults stay None so YAML can fill them."""
    positional = {"model", "out"}
    for f in dataclasses.fields(ScanConfig):
        if f.name in positional:
            continue
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help", "")
        if f.type in ("bool", bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        elif f.name in ("prompts", "fail_on"):
            p.add_argument(flag, action="append", default=None, help=help_text)
        else:
            kind = {"int": int, "float": float}.get(str(f.type), str)
            p.add_argument(flag, type=kind, default=None, help=help_text)
    p.add_argument("--config", default=None, help="YAML file of options; flags override it")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="llmscan", description="Find what a model memorized from its training data.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    scan = sub.add_parser("scan", help="scan a causal language model")
    scan.add_argument("model", help="Hugging Face model directory or hub name")
    scan.add_argument("--out", required=True, help="output directory")
    _add_scan_options(scan)
    index = sub.add_parser("index", help="training-corpus index for verification")
    isub = index.add_subparsers(dest="index_command", required=True, parser_class=OneLineParser)
    build = isub.add_parser("build", help="build an on-disk index of a corpus (.txt/.jsonl file or directory)")
    build.add_argument("corpus", help="corpus file or directory")
    build.add_argument("--out", required=True, help="index directory to create")
    build.add_argument("--shard-mb", type=int, default=512, help="corpus megabytes per shard (memory bound)")
    exp = sub.add_parser("exposure", help="exposure of planted canaries (Carlini et al. 2019)")
    exp.add_argument("model", help="Hugging Face model directory or hub name")
    exp.add_argument("--canaries", required=True, help="YAML/JSON/JSONL list of {prefix, secret[, pattern, name]}")
    exp.add_argument("--out", default=None, help="write the results as JSON to this file")
    exp.add_argument("--max-enumerate", type=int, default=10_000, help="enumerate spaces up to this size")
    exp.add_argument("--candidates", type=int, default=1_000, help="random candidates for larger spaces")
    exp.add_argument("--device", default="auto", help="auto, cpu or cuda")
    exp.add_argument("--fail-above", type=float, default=None, help="exit 3 when any exposure exceeds these bits")
    exp.add_argument("--seed", type=int, default=0)
    inv = sub.add_parser("invert", help="invert image classifiers ('llmscan invert demo' for the digits demo)")
    inv.add_argument("targets", nargs="+", metavar="TARGET",
                     help="TorchScript file, package.module:factory, or http(s) endpoint; 'demo' runs the demo")
    inv.add_argument("--input-shape", help="C,H,W")
    inv.add_argument("--num-classes", type=int)
    inv.add_argument("--range", default="0,1", help="LO,HI of the input values (default 0,1)")
    inv.add_argument("--attack", default="whitebox", help="whitebox, blackbox, ensemble or prior")
    inv.add_argument("--defense", action="append", default=None,
                     help="round:D, top1, topk:K, label, noise:S or none (repeatable; black-box only)")
    inv.add_argument("--queries", type=int, default=100_000, help="black-box query budget per class")
    inv.add_argument("--classes", default=None, help="comma-separated class indices (default: all)")
    inv.add_argument("--out", default="llmscan-invert", help="output directory")
    inv.add_argument("--outputs", default="auto", help="auto, logits or probs: what the targets return")
    inv.add_argument("--weights", default=None, help="safetensors weights for a package.module:factory target")
    inv.add_argument("--eval-model", default=None, help="independent evaluation classifier (a TARGET)")
    inv.add_argument("--eval-data", default=None, help=".npz (x, y) to train the evaluation classifier on")
    inv.add_argument("--private-data", default=None, help=".npz (x, y) private training images, for NN/SSIM")
    inv.add_argument("--public-data", default=None, help=".npz (x) public images to train the prior on")
    inv.add_argument("--restarts", type=int, default=4)
    inv.add_argument("--steps", type=int, default=300)
    inv.add_argument("--seed", type=int, default=0)
    rep = sub.add_parser("report", help="regenerate report.html of a scan directory")
    rep.add_argument("dir", help="scan output directory")
    rep.add_argument("--screenshot", default=None, help="also render it in headless Chromium to this PNG")
    cmp_ = sub.add_parser("compare", help="what changed between the scans of two checkpoints")
    cmp_.add_argument("dir_a")
    cmp_.add_argument("dir_b")
    cmp_.add_argument("--json", default=None, help="write the comparison to this JSON file")
    cmp_.add_argument("--fail-on-new-pii", action="store_true", help="exit 3 when B memorized PII that A did not")
    demo = sub.add_parser("demo", help="train the embedded demo victim and scan it")
    demo.add_argument("--out", default="llmscan-demo", help="output directory (default: llmscan-demo)")
    demo.add_argument("--reveal-secrets", action="store_true", help="print PII values unredacted")
    demo.add_argument("--samples", type=int, default=640, help="samples to generate (default 640)")
    return parser


def config_from_args(args: argparse.Namespace) -> ScanConfig:
    """Merge --config YAML and flags (flags win) into a ScanConfig."""
    names = {f.name for f in dataclasses.fields(ScanConfig)}
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    if args.config:
        return ScanConfig.from_yaml(args.config, **given)
    return ScanConfig(**given)


def _quiet_libraries() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    warnings.filterwarnings("ignore")
    for name in ("presidio-analyzer", "presidio-anonymizer", "transformers", "datasets", "tldextract"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def print_summary(result, stream=sys.stdout) -> None:
    """A few lines a person reads after a scan."""
    s = result.summary
    print(f"samples: {s['samples']}  memorized samples: {s['memorized_samples']}  "
          f"PII findings: {s['pii_findings']}  memorized PII: {s['memorized_pii']}", file=stream)
    for etype, row in s["per_entity_type"].items():
        print(f"  {etype:<16} found {row['findings']:>4}  memorized {row['memorized']:>4}", file=stream)
    quality = s.get("score_quality")
    if quality:
        best = quality["scores"][quality["best"]]
        print(f"best-ranking score for the {quality['memorized']} verified-memorized samples: {quality['best']} "
              f"(ROC-AUC {best.get('roc_auc')}, precision@10 {best.get('precision_at_10')})", file=stream)
    if s.get("extraction"):
        e = s["extraction"]
        print(f"discoverable extraction ({e['prefix_tokens']}+{e['suffix_tokens']} tokens, {e['targets']} documents): "
              f"greedy {e['greedy_extractable_rate']:.1%}, any of {e['tries']} samples "
              f"{e['sampled_extracted_rate']:.1%}", file=stream)
    print(f"NER: {s['detectors']['ner']}", file=stream)
    if result.out_dir:
        print(f"report: {result.out_dir / 'report.html'}", file=stream)
    for cond in result.failed_conditions:
        print(f"release gate failed: {cond}", file=stream)


def run_scan(args: argparse.Namespace) -> int:
    from llmscan.scan import scan

    cfg = config_from_args(args)
    result = scan(cfg.model, config=cfg)
    if result is None:  # a non-zero rank under torchrun
        return 0
    print_summary(result)
    return result.exit_code


def run_index_build(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from llmscan.corpus import iter_documents
    from llmscan.index import CorpusIndex

    if args.shard_mb < 1:
        raise LlmscanError(f"--shard-mb: must be a positive integer, got {args.shard_mb}")
    started = time.time()
    CorpusIndex.build_to_disk(iter_documents(args.corpus), Path(args.out), args.shard_mb << 20)
    print(f"index: {args.out} ({time.time() - started:.1f} s)")
    return 0


def run_exposure(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from llmscan.exposure import exposure_rows, exposures, load_canaries
    from llmscan.models import load_model

    if args.max_enumerate < 1 or args.candidates < 10:
        raise LlmscanError("--max-enumerate must be >= 1 and --candidates >= 10")
    canaries = load_canaries(args.canaries)
    lm = load_model(args.model, args.device)
    rows = exposure_rows(exposures(lm, canaries, max_enumerate=args.max_enumerate, samples=args.candidates,
                                   seed=args.seed))
    print(f"{'canary':<24} {'exposure':>9} {'of bits':>8}  method")
    for r in rows:
        print(f"{r['name'][:24]:<24} {r['exposure']:>9.2f} {r['space_bits']:>8.2f}  {r['method']}")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2))
    over = [r["name"] for r in rows if args.fail_above is not None and r["exposure"] > args.fail_above]
    if over:
        print(f"release gate failed: exposure > {args.fail_above} for {', '.join(over)}")
        return 3
    return 0


def _ints(option: str, text: str, count: int | None = None) -> list[int]:
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise LlmscanError(f"{option}: expected comma-separated integers, got {text!r}") from None
    if count is not None and len(values) != count or any(v < 0 for v in values):
        raise LlmscanError(f"{option}: expected {count or 'some'} non-negative integers, got {text!r}")
    return values


def run_invert(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.targets == ["demo"]:
        from llmscan.vision.demo import run_invert_demo

        run_invert_demo(args.out, args.seed)
        return 0
    import torch

    from llmscan.vision.attacks import AttackConfig
    from llmscan.vision.run import load_npz, print_table, run_attacks
    from llmscan.vision.targets import load_target, module_target, to_unit
    from llmscan.vision.train import train_classifier, train_vae

    if not args.input_shape or not args.num_classes:
        raise LlmscanError("--input-shape C,H,W and --num-classes K are required")
    shape = tuple(_ints("--input-shape", args.input_shape, 3))
    try:
        lo, hi = (float(v) for v in args.range.split(","))
    except ValueError:
        raise LlmscanError(f"--range: expected LO,HI, got {args.range!r}") from None
    if not lo < hi:
        raise LlmscanError(f"--range: LO must be below HI, got {args.range!r}")
    classes = _ints("--classes", args.classes) if args.classes else list(range(args.num_classes))
    if any(c >= args.num_classes for c in classes):
        raise LlmscanError(f"--classes: indices must be below --num-classes {args.num_classes}")
    targets = [load_target(t, args.weights, args.outputs) for t in args.targets]
    evaluator = load_target(args.eval_model, outputs=args.outputs) if args.eval_model else None
    if evaluator is None and args.eval_data:
        ex, ey = load_npz(args.eval_data)
        evaluator = module_target("evaluator", train_classifier(ex, ey, args.num_classes, hidden=128))
    private = None
    if args.private_data:
        px, py = load_npz(args.private_data)
        private = {c: to_unit(px[py == c], (lo, hi)) for c in classes}
    generator = None
    if args.public_data:
        gx, _ = load_npz(args.public_data, need_labels=False)
        generator = train_vae(to_unit(gx, (lo, hi)), seed=args.seed)
    runs = [(args.attack, d) for d in (args.defense or ["none"])]
    base = AttackConfig(queries=args.queries, restarts=args.restarts, steps=args.steps, seed=args.seed)
    torch.manual_seed(args.seed)
    reports = run_attacks(targets, shape, classes, (lo, hi), runs, base, Path(args.out), evaluator, private,
                          generator)
    print_table(reports)
    print(f"report: {Path(args.out) / 'report.html'}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from llmscan.compare import regenerate_report

    path = regenerate_report(args.dir)
    print(f"report: {path}")
    if args.screenshot:
        from llmscan.browser import check_report

        problems = check_report(path, args.screenshot)
        print(f"screenshot: {args.screenshot}")
        for p in problems:
            print(f"browser: {p}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from llmscan.compare import compare, print_comparison

    diff = compare(args.dir_a, args.dir_b)
    print_comparison(diff)
    if args.json:
        Path(args.json).write_text(json.dumps(diff, indent=2))
    return 3 if args.fail_on_new_pii and diff["new_memorized_pii"] else 0


def run_demo_command(args: argparse.Namespace) -> int:
    from llmscan.demo.run import run_demo

    return run_demo(out=args.out, samples=args.samples, reveal=args.reveal_secrets)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _quiet_libraries()
    commands = {"scan": run_scan, "index": run_index_build, "exposure": run_exposure, "invert": run_invert,
                "report": run_report, "compare": run_compare, "demo": run_demo_command}
    try:
        return commands[args.command](args)
    except LlmscanError as e:
        print(f"llmscan: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("llmscan: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
