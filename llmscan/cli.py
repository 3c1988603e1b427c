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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _quiet_libraries()
    try:
        if args.command == "scan":
            return run_scan(args)
        from llmscan.demo.run import run_demo

        return run_demo(out=args.out, samples=args.samples, reveal=args.reveal_secrets)
    except LlmscanError as e:
        print(f"llmscan: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("llmscan: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
