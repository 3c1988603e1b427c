"""A self-contained HTML report (inline CSS and PNG plots, no network)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from llmscan.plots import png_img, pyplot
from llmscan.records import EXTRACTION_SOURCE
from llmscan.score import SCORES, memorization_order

TOP_N = 10
MAX_PII_ROWS = 100
CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;padding:4px 8px;
vertical-align:top;text-align:left}th{background:#f3f3f3}.mono{font-family:monospace;white-space:pre-wrap;
word-break:break-word}.bad{color:#b00020;font-weight:bold}.ok{color:#1b7f3b}"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], mono_cols: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td class='mono'>{_e(c)}</td>" if i in mono_cols else f"<td>{_e(c)}</td>"
                         for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _score_plot(samples: Sequence[dict[str, Any]]) -> str:
    """Histograms of each score, memorized vs not when verification labels exist; an <img> tag."""
    plt = pyplot()

    names = [n for n in SCORES if any(s["scores"].get(n) is not None for s in samples)]
    if not names:
        return "<p>No scorable samples.</p>"
    cols = min(4, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    labelled = any(s["memorized"] for s in samples)
    for ax, name in zip(axes.flat, names):
        groups = {"memorized": [], "not memorized": []} if labelled else {"all": []}
        for s in samples:
            v = s["scores"].get(name)
            if v is None:
                continue
            key = "all" if not labelled else ("memorized" if s["memorized"]["is_memorized"] else "not memorized")
            groups[key].append(v)
        for label, vals in groups.items():
            if vals:
                ax.hist(vals, bins=20, alpha=0.6, label=label)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=7)
    return png_img(fig, "score distributions")


def _quality_section(summary: dict[str, Any], samples: Sequence[dict[str, Any]]) -> str:
    """Which score ranked the verified-memorized samples best: table with 95% CIs and precision@k curves."""
    quality = summary.get("score_quality")
    if not quality:
        return "<p>Needs training data with both memorized and non-memorized samples.</p>"
    plt = pyplot()

    def cell(q: dict[str, Any], key: str) -> str:
        ci = q.get("ci", {}).get(key)
        return "-" if key not in q else f"{q[key]:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")

    keys = ("precision_at_10", "precision_at_100", "roc_auc", "tpr_at_1pct_fpr")
    rows = [(name, *(cell(q, k) for k in keys), q.get("unscorable", 0)) for name, q in quality["scores"].items()]
    labeled = [r for r in samples if r["memorized"] is not None and r["source"] != EXTRACTION_SOURCE]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for name in quality["scores"]:
        values = [r["scores"].get(name) for r in labeled]
        order = memorization_order(name, values)
        hits = [1.0 if labeled[i]["memorized"]["is_memorized"] else 0.0 for i in order]
        ks = list(range(1, len(hits) + 1))
        ax.plot(ks, [sum(hits[:k]) / k for k in ks], label=name, lw=1.2)
    ax.set_xscale("log")
    ax.set_xlabel("k (top samples by score)", fontsize=8)
    ax.set_ylabel("precision@k", fontsize=8)
    ax.legend(fontsize=6)
    return (f"<p>Best: <b>{_e(quality['best'])}</b> over {quality['labeled_samples']} generated samples, "
            f"{quality['memorized']} verified memorized (95% bootstrap intervals).</p>"
            + _table(["score", "precision@10", "precision@100", "ROC-AUC", "TPR@1%FPR", "unscorable"], rows)
            + png_img(fig, "precision at k per score"))


def _findings_plot(samples: Sequence[dict[str, Any]], findings: Sequence[dict[str, Any]]) -> str:
    """Bars: findings and memorized findings per entity type, and per prompt source."""
    if not findings:
        return ""
    plt = pyplot()

    source = {r["id"]: r["source"] for r in samples}
    fig, axes = plt.subplots(1, 2, figsize=(10, 3))
    for ax, key in zip(axes, ("entity_type", "source")):
        counts: dict[str, list[int]] = {}
        for f in findings:
            name = f["entity_type"] if key == "entity_type" else source.get(f["sample_id"], "?")
            row = counts.setdefault(name, [0, 0])
            row[0] += 1
            row[1] += int(bool(f["memorized"]))
        names = sorted(counts)
        xs = range(len(names))
        ax.bar([x - 0.2 for x in xs], [counts[n][0] for n in names], width=0.4, label="found")
        ax.bar([x + 0.2 for x in xs], [counts[n][1] for n in names], width=0.4, label="memorized")
        ax.set_xticks(list(xs), names, rotation=30, ha="right", fontsize=7)
        ax.set_title(f"findings per {key.replace('_', ' ')}", fontsize=9)
        ax.legend(fontsize=7)
    return png_img(fig, "findings per entity type and per prompt source")


def _extraction_section(summary: dict[str, Any]) -> str:
    e = summary.get("extraction")
    if not e:
        return "<p>Not run (use --prompts training with training data).</p>"
    rows = [(k.replace("_", " "), v) for k, v in e.items()]
    return _table(["", ""], rows) + _prefix_plot(summary.get("extraction_by_prefix") or {}, e["suffix_tokens"])


def _prefix_plot(by_prefix: dict[str, dict[str, Any]], suffix_tokens: int) -> str:
    """Greedy extraction rate against prefix length (same suffix length)."""
    if len(by_prefix) < 2:
        return ""
    plt = pyplot()

    xs = [int(k) for k in by_prefix]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(xs, [by_prefix[str(x)]["greedy_extractable_rate"] for x in xs], marker="o")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("prefix length (tokens)", fontsize=8)
    ax.set_ylabel(f"greedy extraction rate ({suffix_tokens}-token suffix)", fontsize=8)
    ax.set_ylim(0, 1.05)
    return png_img(fig, "extraction rate against prefix length")


def _top_samples(samples: Sequence[dict[str, Any]]) -> str:
    parts = []
    for name, spec in SCORES.items():
        values = [s["scores"].get(name) for s in samples]
        if all(v is None for v in values):
            continue
        order = [i for i in memorization_order(name, values) if values[i] is not None][:TOP_N]
        rows = [(samples[i]["id"], f"{values[i]:.4g}", (samples[i]["memorized"] or {}).get("match_chars", "-"),
                 samples[i]["prompt"], samples[i]["text"][:400]) for i in order]
        arrow = "highest" if spec.higher_is_memorized else "lowest"
        parts.append(f"<h3>{_e(name)} ({arrow} first)</h3><p>{_e(spec.doc)}</p>"
                     + _table(["id", name, "verbatim chars", "prompt", "text"], rows, mono_cols=(3, 4)))
    return "".join(parts)


def render_report(summary: dict[str, Any], samples: Sequence[dict[str, Any]],
                  findings: Sequence[dict[str, Any]]) -> str:
    """The whole report page as a string."""
    verdict = summary.get("memorized_pii", 0)
    cls = "bad" if verdict else "ok"
    head = [("samples", summary["samples"]), ("memorized samples", summary["memorized_samples"]),
            ("PII findings", summary["pii_findings"]), ("memorized PII", summary["memorized_pii"]),
            ("model", summary.get("model")), ("seconds", summary.get("seconds"))]
    per_type = [(k, v["findings"], v["memorized"]) for k, v in summary["per_entity_type"].items()]
    unique: dict[tuple[str, str], list[str]] = {}
    for f in findings:
        if f["memorized"]:
            unique.setdefault((f["entity_type"], f["value"]), []).append(f["sample_id"])
    ranked = sorted(unique.items(), key=lambda kv: -len(kv[1]))
    mem = [(etype, value, len(ids), ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else ""))
           for (etype, value), ids in ranked[:MAX_PII_ROWS]]
    more = f"<p>{len(ranked) - MAX_PII_ROWS} more in findings.jsonl.</p>" if len(ranked) > MAX_PII_ROWS else ""
    detectors = summary.get("detectors", {})
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>llmscan report</title>
<style>{CSS}</style></head><body>
<h1>llmscan report</h1>
<p class="{cls}">{_e(verdict)} memorized PII finding(s).</p>
{_table(["", ""], head)}
<h2>PII by entity type and prompt source</h2>
{_table(["entity", "findings", "memorized"], per_type)}
{_findings_plot(samples, findings)}
<h2>Which score found the memorized samples</h2>
{_quality_section(summary, samples)}
<h2>Discoverable extraction</h2>
{_extraction_section(summary)}
<h2>Score distributions</h2>
{_score_plot(samples)}
<h2>Memorized PII (distinct values, redacted unless --reveal-secrets)</h2>
{_table(["entity", "value", "samples", "sample ids"], mem, mono_cols=(1,)) if mem else "<p>None.</p>"}{more}
<h2>Top samples by each score</h2>
{_top_samples(samples)}
<h2>Detectors</h2>
<p>NER: {_e(detectors.get("ner", "?"))}</p><p class="mono">{_e(", ".join(detectors.get("recognizers", [])))}</p>
<h2>Settings</h2>
<pre class="mono">{_e(json.dumps(summary.get("settings", {}), indent=2))}</pre>
<p>llmscan {_e(summary.get("llmscan_version", "?"))}</p>
</body></html>"""
