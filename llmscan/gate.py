"""Release-gate conditions (`--fail-on`): a registry of named measures over summary.json.

A condition is a measure name alone (true when the measure is > 0) or `name>X` / `name>=X`. Measures:
memorized-pii, memorized-samples, near-verbatim-samples, extractable-rate (greedy discoverable extraction),
sampled-extractable-rate, exposure (the highest canary exposure in bits, with --canaries).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import regex

from llmscan.errors import ConfigError

Measure = Callable[[dict[str, Any]], float | None]


def _extraction(key: str) -> Measure:
    return lambda s: (s.get("extraction") or {}).get(key)


MEASURES: dict[str, Measure] = {
    "memorized-pii": lambda s: s.get("memorized_pii"),
    "memorized-samples": lambda s: s.get("memorized_samples"),
    "near-verbatim-samples": lambda s: s.get("near_verbatim_samples"),
    "extractable-rate": _extraction("greedy_extractable_rate"),
    "sampled-extractable-rate": _extraction("sampled_extracted_rate"),
    "exposure": lambda s: max((c["exposure"] for c in s.get("canaries") or []), default=None),
}
_CONDITION = regex.compile(r"^([a-z-]+)\s*(?:(>=|>)\s*([0-9]*\.?[0-9]+))?$")


def parse_condition(text: str) -> tuple[str, str, float]:
    """(measure, operator, threshold); a bare name means '> 0'. ConfigError names --fail-on."""
    m = _CONDITION.match(text.strip())
    if not m or m.group(1) not in MEASURES:
        raise ConfigError("--fail-on", f"cannot read {text!r} (use NAME, NAME>X or NAME>=X with NAME one of "
                                       f"{', '.join(MEASURES)})")
    return m.group(1), m.group(2) or ">", float(m.group(3) or 0)


def failed_conditions(summary: dict[str, Any], conditions: list[str]) -> list[str]:
    """The conditions that hold. A measure the scan did not produce (e.g. exposure without canaries) fails
    closed: the gate cannot pass on what it did not measure."""
    failed = []
    for cond in conditions:
        name, op, threshold = parse_condition(cond)
        value = MEASURES[name](summary)
        if value is None or (value >= threshold if op == ">=" else value > threshold):
            failed.append(cond if value is not None else f"{cond} (not measured)")
    return failed
