"""The evaluation framework (metrics, report, gate) and analysts' decisions as labels."""

from __future__ import annotations

import numpy as np
import yaml
from sqlalchemy import select

from classifiers.textmodel import TextModel, make_pipeline
from evaluation.framework import EvalResult, check_gate, compute_metrics, summary, write_report
from mediawatch.cycle import run_demo
from mediawatch.workflow import correct_category, transition
from storage.models import DocumentLabel, TriageItem


def _result(key: str = "toy/task", sha: str = "a" * 64) -> EvalResult:
    y_true = np.array([0, 0, 1, 1, 1, 0])
    y_pred = np.array([0, 1, 1, 1, 0, 0])
    score = np.array([0.1, 0.6, 0.9, 0.8, 0.4, 0.2])
    return EvalResult(key, ["neg", "pos"], y_true, y_pred, score, sha, "toy-1", published={"PhoBERT": 59.4})


def test_metrics_match_hand_computation() -> None:
    m = compute_metrics(_result())
    assert m["per_class"]["pos"]["precision"] == 2 / 3 and m["per_class"]["pos"]["recall"] == 2 / 3
    assert abs(m["macro_f1"] - 2 / 3) < 1e-9
    assert m["confusion"] == [[2, 1], [1, 2]]
    assert abs(m["auc"] - 8 / 9) < 1e-9
    assert summary([(_result(), m)]) == {"toy/task": {"macro_f1": 0.6667, "auc": 0.8889}}


def test_gate_floors_and_data_hash(tmp_path) -> None:
    r = _result()
    results = [(r, compute_metrics(r))]
    base = tmp_path / "baseline.yaml"
    base.write_text(yaml.safe_dump({"tasks": {"toy/task": {"macro_f1": 0.6, "auc": 0.8, "data_sha256": "a" * 64}}}))
    assert check_gate(results, {}, base) == []
    base.write_text(yaml.safe_dump({"tasks": {"toy/task": {"macro_f1": 0.7, "data_sha256": "b" * 64},
                                              "other/task": {"macro_f1": 0.5}}}))
    failures = check_gate(results, {"other/task": "data missing"}, base)
    assert len(failures) == 3
    assert any("below its floor" in f for f in failures) and any("data changed" in f for f in failures)
    assert any("other/task: not evaluated (data missing)" in f for f in failures)


def test_report_lists_every_task(tmp_path) -> None:
    r = _result()
    path = write_report([(r, compute_metrics(r))], {"gone/task": "missing"}, tmp_path / "report.md")
    text = path.read_text(encoding="utf-8")
    assert "`toy/task`" in text and "PhoBERT 59.40" in text and "66.7" in text and "`gone/task`" in text


def test_text_model_saves_loads_and_explains(tmp_path) -> None:
    texts = ["chuyển khoản ngay để nhận thưởng", "mã OTP gửi cho tôi", "thắng giải thưởng lớn chuyển tiền",
             "trận bóng đá tối nay", "giá xăng giảm nhẹ", "lễ hội văn hóa ở Vũng Tàu"] * 5
    labels = [1, 1, 1, 0, 0, 0] * 5
    pipe = make_pipeline(max_char_features=2000, max_word_features=500)
    pipe.fit(texts, labels)
    model = TextModel("toy", pipe, ["scam"], 0.5, {"version": "toy-1"})
    model.save(tmp_path)
    loaded = TextModel.load("toy", tmp_path)
    scores = loaded.scores(["Chuyển khoản để nhận thưởng", "Lễ hội ở Vũng Tàu"])
    assert scores.shape == (2, 1) and scores[0, 0] > 0.5 > scores[1, 0]
    terms = [t["term"] for t in loaded.explain("Chuyển khoản để nhận thưởng")]
    assert terms and all(isinstance(t, str) and t for t in terms)
    assert loaded.version == "toy-1" and loaded.meta["model_sha256"]


def test_triage_decisions_become_labels(settings, session_factory) -> None:
    run_demo(settings)
    with session_factory() as s:
        items = {i.top_category: i for i in s.scalars(select(TriageItem))}
        transition(s, items["scam_fraud"], "routed", "cv1", unit_code="cong-an", reason="Giả danh công an")
        transition(s, items["hate_abuse"], "dismissed", "cv1", reason="Không xúc phạm")
        correct_category(s, items["misinformation"], "public_concern", "cv2")
        s.commit()
        labels = {(lab.category, lab.value, lab.actor) for lab in s.scalars(select(DocumentLabel))}
    assert ("scam_fraud", True, "cv1") in labels and ("hate_abuse", False, "cv1") in labels
    assert ("misinformation", False, "cv2") in labels and ("public_concern", True, "cv2") in labels
    from classifiers.labels import analyst_labels

    scam = analyst_labels(settings, "scam_fraud")
    assert scam and all(v == 1 for _, v in scam)
