"""Evaluation of the classifiers on real labelled data, the report and the CI gate.

Each classifier module may define ``evaluations(settings) -> list[EvalSpec]``;
:func:`collect_specs` walks the registry (classifiers/registry.py), so adding a
classifier's evaluation needs no edit here. A spec's ``run(settings)`` returns an
:class:`EvalResult` (true and predicted class indices, scores for ROC-AUC, the
SHA-256 of the evaluation data, the published numbers to compare with).

* :func:`compute_metrics`: per-class precision/recall/F1/support, macro-F1,
  ROC-AUC (binary: of the positive score; multi-class: one-vs-rest macro), confusion matrix.
* :func:`write_report`: ``eval/report.md``.
* :func:`check_gate`: floors and data hashes in ``eval/baseline.yaml``; a number below its
  floor, a changed data hash or a missing evaluation is a failure. Lowering a floor is an
  explicit edit of that file.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parent.parent
REPORT_PATH = REPO / "eval" / "report.md"
BASELINE_PATH = REPO / "eval" / "baseline.yaml"


class DataMissing(RuntimeError):
    """The evaluation data (under ../shared) is not present."""


@dataclass
class EvalResult:
    key: str  # "<dataset>/<task>", e.g. "vihsd/hate_abuse"
    labels: list[str]  # class names; index 1 is the positive class of a binary task
    y_true: np.ndarray
    y_pred: np.ndarray
    y_score: np.ndarray | None  # (n,) positive-class score for binary, (n, k) for multi-class, or None
    data_sha256: str
    model: str  # what was evaluated: a shipped model version, or "research-only: ..."
    shipped: bool = True
    published: dict[str, float] = field(default_factory=dict)  # name -> macro-F1 in percent
    notes: str = ""


@dataclass(frozen=True)
class EvalSpec:
    key: str
    classifier: str
    run: Callable[[Any], EvalResult]
    description: str = ""


def shared_file(settings: Any, *parts: str) -> Path:
    """A path under ``settings.shared_dir``; raises DataMissing when it does not exist."""
    path = Path(settings.shared_dir).joinpath(*parts)
    if not path.exists():
        raise DataMissing(f"{path} is missing (../shared not present?)")
    return path


def collect_specs(settings: Any, only: list[str] | None = None) -> list[EvalSpec]:
    """Every classifier's evaluations (registry order), optionally only keys/classifiers in ``only``."""
    from classifiers.registry import CLASSIFIERS

    specs: list[EvalSpec] = []
    for module in CLASSIFIERS.values():
        mod = importlib.import_module(module)
        if hasattr(mod, "evaluations"):
            specs.extend(mod.evaluations(settings))
    if only:
        specs = [s for s in specs if s.key in only or s.classifier in only]
    return specs


def compute_metrics(r: EvalResult) -> dict[str, Any]:
    """Metrics of one result (see module docstring); F1 values in [0,1]."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support, roc_auc_score

    k = len(r.labels)
    p, rc, f1, support = precision_recall_fscore_support(r.y_true, r.y_pred, labels=list(range(k)), zero_division=0)
    auc = None
    if r.y_score is not None and len(set(r.y_true.tolist())) > 1:
        try:
            if k == 2:
                auc = float(roc_auc_score(r.y_true, r.y_score if r.y_score.ndim == 1 else r.y_score[:, 1]))
            else:
                auc = float(roc_auc_score(r.y_true, r.y_score, multi_class="ovr", average="macro", labels=list(range(k))))
        except ValueError as exc:
            log.warning("%s: no ROC-AUC (%s)", r.key, exc)
    return {
        "n": int(len(r.y_true)),
        "per_class": {r.labels[i]: {"precision": float(p[i]), "recall": float(rc[i]), "f1": float(f1[i]),
                                    "support": int(support[i])} for i in range(k)},
        "macro_f1": float(np.mean(f1)),
        "auc": auc,
        "confusion": confusion_matrix(r.y_true, r.y_pred, labels=list(range(k))).tolist(),
    }


def run_specs(settings: Any, specs: list[EvalSpec], progress: Callable[[str, int, int], None] | None = None
              ) -> tuple[list[tuple[EvalResult, dict[str, Any]]], dict[str, str]]:
    """Run ``specs``; returns ([(result, metrics)], {key: reason} for the ones that could not run)."""
    done, missing = [], {}
    for i, spec in enumerate(specs):
        if progress:
            progress("eval", i, len(specs))
        try:
            result = spec.run(settings)
        except DataMissing as exc:
            missing[spec.key] = str(exc)
            continue
        done.append((result, compute_metrics(result)))
    if progress:
        progress("eval", len(specs), len(specs))
    return done, missing


def summary(results: list[tuple[EvalResult, dict[str, Any]]]) -> dict[str, dict[str, float | None]]:
    """{"<dataset>/<task>": {"macro_f1": …, "auc": …}} — the ``--json`` object."""
    return {r.key: {"macro_f1": round(m["macro_f1"], 4), "auc": None if m["auc"] is None else round(m["auc"], 4)}
            for r, m in results}


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def write_report(results: list[tuple[EvalResult, dict[str, Any]]], missing: dict[str, str],
                 path: Path = REPORT_PATH, extra: str = "") -> Path:
    """Write the Markdown report: summary table, comparison with published numbers, then per task
    per-class metrics and the confusion matrix."""
    lines = ["# Classifier evaluation", "",
             f"Generated by `mediawatch eval` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. "
             "Macro-F1 and per-class figures in percent; ROC-AUC in [0,1]. "
             "*Shipped* = the model in `classifiers/models/` that runs in the pipeline; "
             "*research-only* = trained on a research-only set for comparison, never committed.", "",
             "| dataset/task | model | n | macro-F1 | ROC-AUC | published (macro-F1) |", "|---|---|---|---|---|---|"]
    for r, m in results:
        pub = "; ".join(f"{k} {v:.2f}" for k, v in r.published.items()) or "—"
        kind = "shipped" if r.shipped else "research-only"
        model = r.model
        while model.startswith("research-only: "):
            model = model[len("research-only: "):]
        auc = "—" if m["auc"] is None else f"{m['auc']:.3f}"
        lines.append(f"| `{r.key}` | {kind}: {model} | {m['n']} | {_pct(m['macro_f1'])} | {auc} | {pub} |")
    if missing:
        lines += ["", "Not run (data missing): " + ", ".join(f"`{k}`" for k in missing)]
    if extra:
        lines += ["", extra.strip()]
    for r, m in results:
        lines += ["", f"## `{r.key}`", "", f"Model: {r.model}. Data SHA-256: `{r.data_sha256[:16]}…`.", ""]
        if r.notes:
            lines += [r.notes, ""]
        lines += ["| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for label, c in m["per_class"].items():
            lines.append(f"| {label} | {_pct(c['precision'])} | {_pct(c['recall'])} | {_pct(c['f1'])} | {c['support']} |")
        lines += ["", "Confusion matrix (rows = true, columns = predicted):", "",
                  "| | " + " | ".join(r.labels) + " |", "|---" * (len(r.labels) + 1) + "|"]
        for label, row in zip(r.labels, m["confusion"], strict=True):
            lines.append(f"| **{label}** | " + " | ".join(str(v) for v in row) + " |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def check_gate(results: list[tuple[EvalResult, dict[str, Any]]], missing: dict[str, str],
               baseline_path: Path = BASELINE_PATH) -> list[str]:
    """Failures against ``eval/baseline.yaml`` (empty list = pass)."""
    baseline = (yaml.safe_load(baseline_path.read_text(encoding="utf-8")) or {}).get("tasks", {})
    got = {r.key: (r, m) for r, m in results}
    failures = []
    for key, floor in baseline.items():
        if key not in got:
            failures.append(f"{key}: not evaluated ({missing.get(key, 'no such evaluation')})")
            continue
        r, m = got[key]
        if floor.get("data_sha256") and floor["data_sha256"] != r.data_sha256:
            failures.append(f"{key}: evaluation data changed ({r.data_sha256[:12]} != {floor['data_sha256'][:12]}); "
                            "update eval/baseline.yaml in a reviewed change")
        for metric in ("macro_f1", "auc"):
            if floor.get(metric) is not None and (m[metric] is None or m[metric] < float(floor[metric])):
                failures.append(f"{key}: {metric} {m[metric]} is below its floor {floor[metric]}")
    return failures


def write_baseline(results: list[tuple[EvalResult, dict[str, Any]]], margin: float,
                   path: Path = BASELINE_PATH) -> Path:
    """Write floors = measured value − ``margin`` (rounded down to 0.01) and the data hashes of every
    shipped-model task. Meant for a reviewed change: the diff shows every floor that moved."""
    import math

    tasks = {}
    for r, m in results:
        if not r.shipped:
            continue
        entry: dict[str, Any] = {"data_sha256": r.data_sha256,
                                 "macro_f1": math.floor(100 * max(m["macro_f1"] - margin, 0)) / 100}
        if m["auc"] is not None:
            entry["auc"] = math.floor(100 * max(m["auc"] - margin, 0)) / 100
        tasks[r.key] = entry
    header = ("# Floors of the eval gate (`mediawatch eval --gate`, run by .ci/run): for every shipped model's\n"
              "# evaluation, the SHA-256 of its data and the lowest accepted macro-F1 / ROC-AUC (0..1).\n"
              f"# Written by `mediawatch eval --write-baseline {margin}` (measured value minus {margin}).\n"
              "# Lowering a floor or changing a hash is an explicit, reviewed edit of this file.\n")
    path.write_text(header + yaml.safe_dump({"tasks": tasks}, sort_keys=True, allow_unicode=True), encoding="utf-8")
    return path
