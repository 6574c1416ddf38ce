"""The ``hate_abuse`` flag: shipped model + lexicon (runs without ../shared), and its evaluations."""

from __future__ import annotations

import json
import time

import pytest

from classifiers import hate_abuse
from classifiers.base import DocInput
from classifiers.textmodel import MODELS_DIR
from pipeline.normalize import normalize_text

ABUSIVE = [
    "Đm thằng ngu này, câm mồm đi",
    "mày là đồ chó, cút đi cho khuất mắt",
    "bọn óc lợn này nói chuyện ngu vl",
]
CLEAN = [
    "Sở Xây dựng tổ chức hội nghị triển khai kế hoạch cải tạo hệ thống thoát nước năm tới.",
    "Cảm ơn anh chị đã hướng dẫn, em làm thủ tục xong rồi ạ.",
    "Mức phí trông xe mới cao gấp ba lần trước đây là không hợp lý, đề nghị thành phố rà soát lại quyết định.",
]


def _doc(text: str, title: str = "") -> DocInput:
    return DocInput(normalize_text(title), normalize_text(text))


@pytest.fixture(scope="module")
def clf():  # type: ignore[no-untyped-def]
    from mediawatch.settings import Settings

    return hate_abuse.build(Settings())


def test_shipped_model_is_small_and_versioned(clf) -> None:  # type: ignore[no-untyped-def]
    for ext in ("joblib", "json", "md"):
        path = MODELS_DIR / f"hate_abuse.{ext}"
        assert path.exists() and path.stat().st_size <= 3_000_000
    meta = json.loads((MODELS_DIR / "hate_abuse.json").read_text(encoding="utf-8"))
    assert clf.version.startswith(meta["version"]) and clf.name == "hate_abuse" and clf.kind == "flag"
    assert 0.05 <= clf.threshold <= 0.95 and meta["held_out"]["macro_f1"] > 0.8


def test_predictions_and_explanations(clf) -> None:  # type: ignore[no-untyped-def]
    preds = clf.predict([_doc(t) for t in ABUSIVE + CLEAN])
    assert len(preds) == len(ABUSIVE + CLEAN)
    for text, p in zip(ABUSIVE + CLEAN, preds, strict=True):
        assert set(p) == {"hate_abuse"}
        pred = p["hate_abuse"]
        assert 0.0 <= pred.score <= 1.0 and pred.threshold == clf.threshold
        assert isinstance(pred.explanation["matched_terms"], list)
        assert all(isinstance(t["term"], str) and isinstance(t["weight"], float) for t in pred.explanation["matched_terms"])
        assert pred.explanation["model_version"] and pred.explanation["rule"] == "model+rules"
        assert pred.positive == (text in ABUSIVE), (text, pred.score)
    top = [t["term"] for t in preds[0]["hate_abuse"].explanation["matched_terms"]]
    assert any(term in ("ngu", "đm", "thằng", "câm", "mồm") for term in top), top
    assert clf.predict([]) == []


def test_reports_about_abuse_are_flagged_by_the_rules(clf) -> None:  # type: ignore[no-untyped-def]
    (p,) = clf.predict([_doc("Hàng trăm bình luận lăng mạ, miệt thị du khách xuất hiện dưới video bãi biển.",
                             "Làn sóng bình luận miệt thị du khách")])
    pred = p["hate_abuse"]
    assert pred.positive and pred.explanation["rules"] == ["lexicon"]
    assert pred.explanation["matched_terms"][0]["term"] in ("miệt thị", "lăng mạ")


def test_fast_features_equal_the_pipeline(clf) -> None:  # type: ignore[no-untyped-def]
    from classifiers.textmodel import prepare_text

    texts = [prepare_text(normalize_text(t)) for t in ABUSIVE + CLEAN] + ["", "   ", "!!!", "a", "ngu ngu ngu vl"]
    texts.append(prepare_text(" ".join(CLEAN * 5)))
    fast, slow = clf.features(texts), clf.model.pipeline.named_steps["features"].transform(texts).tocsr()
    assert fast.shape == slow.shape and fast.nnz == slow.nnz
    assert abs(fast - slow).max() < 1e-5
    assert clf.features([]).shape == (0, slow.shape[1])


def test_batch_speed(clf) -> None:  # type: ignore[no-untyped-def]
    doc = _doc(" ".join(CLEAN * 12)[:2000])
    clf.predict([doc] * 50)  # warm-up
    start = time.perf_counter()
    clf.predict([doc] * 500)
    assert 500 / (time.perf_counter() - start) > 300  # ~1,000-1,200 docs/s measured on a loaded core; loose floor


def test_evaluations(shared_data, settings) -> None:  # type: ignore[no-untyped-def]
    from evaluation.framework import compute_metrics

    specs = {s.key: s for s in hate_abuse.evaluations(settings)}
    assert set(specs) == {"vihsd/hate_abuse", "victsd/toxicity", "vihsd/hate_abuse@research-tfidf",
                          "victsd/toxicity@research-tfidf"}
    floors = {"vihsd/hate_abuse": (0.70, 0.88), "victsd/toxicity": (0.50, 0.60),
              "vihsd/hate_abuse@research-tfidf": (0.60, 0.85), "victsd/toxicity@research-tfidf": (0.65, 0.80)}
    for key, spec in specs.items():
        result = spec.run(settings)
        m = compute_metrics(result)
        assert result.key == key and result.shipped == ("@" not in key) and len(result.data_sha256) == 64
        assert m["macro_f1"] >= floors[key][0] and m["auc"] >= floors[key][1], (key, m["macro_f1"], m["auc"])
    assert specs["vihsd/hate_abuse@research-tfidf"].run(settings).labels == ["clean", "offensive", "hate"]


def test_train_writes_model_and_card(shared_data, settings, session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    summary = hate_abuse.train(settings, with_labels=True, models_dir=tmp_path / "models")
    assert summary["held_out"]["macro_f1"] > 0.8 and summary["labels"]["n"] == 0
    assert {p.name for p in (tmp_path / "models").iterdir()} == {"hate_abuse.joblib", "hate_abuse.json", "hate_abuse.md"}
    card = (tmp_path / "models" / "hate_abuse.md").read_text(encoding="utf-8")
    assert "ViHOS" in card and "MIT" in card and str(summary["threshold"]) in card
