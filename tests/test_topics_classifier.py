"""Topic classifier: the shipped model loads and tags obvious texts (no ../shared needed); the evaluations on
the hand-labelled corpus and on news-categories run with sane floors (need ../shared)."""

from __future__ import annotations

import json

import pytest

from classifiers.base import DocInput
from classifiers.topics import EVAL_LABELS, NAME, TRAIN_FILE, TopicClassifier, build, evaluations, load_model
from evaluation.framework import compute_metrics


@pytest.fixture(scope="module")
def clf(tmp_path_factory):  # type: ignore[no-untyped-def]
    from mediawatch.settings import Settings

    return build(Settings(var_dir=tmp_path_factory.mktemp("var")))


def _positive(clf, title: str, text: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {t for t, p in clf.predict([DocInput(title, text)])[0].items() if p.positive}


def test_shipped_model_loads_and_scores_are_bounded(clf) -> None:  # type: ignore[no-untyped-def]
    assert load_model() is not None and clf.model is not None
    assert clf.version.startswith(f"{NAME}-") and "+lexicon-" in clf.version
    docs = [DocInput("Cảng Cái Mép đón tàu container lớn", "Sản lượng hàng hóa qua cảng tăng mạnh."),
            DocInput("", ""), DocInput("x", "y" * 5000)]
    out = clf.predict(docs)
    assert len(out) == 3
    for preds in out:
        for topic, p in preds.items():
            assert topic in clf.labels and 0.0 <= p.score <= 1.0 and p.threshold == clf.threshold
            assert isinstance(p.explanation["matched_terms"], list) and p.explanation["matched_terms"]
            assert all({"term", "weight"} <= set(t) for t in p.explanation["matched_terms"])


@pytest.mark.parametrize(("title", "text", "topic"), [
    ("Cảng Cái Mép – Thị Vải đón tàu container 200.000 tấn", "Sản lượng container qua cảng tăng 15%.", "seaports_oil_gas"),
    ("Côn Đảo đón 20.000 lượt khách dịp lễ", "Các khách sạn, resort kín phòng, du khách đông.", "tourism"),
    ("Mưa lớn gây ngập sâu nhiều tuyến đường", "Nước ngập nửa mét sau cơn mưa kéo dài hai giờ.", "disasters_weather"),
    ("Khánh thành trường tiểu học mới", "Hơn 600 học sinh và 30 giáo viên bước vào năm học mới.", "education"),
    ("Bệnh viện Bà Rịa tiếp nhận máy chụp cộng hưởng từ", "Bệnh nhân không phải chuyển tuyến.", "health"),
    ("Công an khởi tố nhóm trộm cắp xe máy", "Các đối tượng đã bị bắt giữ.", "public_order"),
    ("Hộ dân khiếu nại mức bồi thường thu hồi đất", "Dự án tái định cư chậm bàn giao nền.", "land_planning"),
])
def test_obvious_topics(clf, title: str, text: str, topic: str) -> None:  # type: ignore[no-untyped-def]
    assert topic in _positive(clf, title, text)


def test_no_topic_on_unrelated_text(clf) -> None:  # type: ignore[no-untyped-def]
    assert not _positive(clf, "Cách làm bánh flan mềm mịn", "Đánh đều trứng với sữa, hấp lửa nhỏ 30 phút.")
    # "yêu cầu", "nhu cầu" are not bridges (cầu): no transport
    assert "transport" not in _positive(clf, "", "Khách hàng yêu cầu giảm giá vì nhu cầu mua sắm giảm.")


def test_variants_and_lexicon_fallback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mediawatch.settings import REPO_ROOT

    lex = TopicClassifier(REPO_ROOT / "config", None)
    assert lex.version.startswith("lexicon-") and lex.mode == "lexicon"
    doc = DocInput("Giá xăng giảm", "Giá xăng, giá điện và giá gas đều giảm từ chiều nay.")
    assert "social_welfare_prices" in {t for t, p in lex.predict([doc])[0].items() if p.positive}


def test_training_data_and_eval_labels_are_well_formed() -> None:
    rows = [json.loads(x) for x in TRAIN_FILE.read_text(encoding="utf-8").splitlines()]
    labels = [json.loads(x) for x in EVAL_LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 300 and len({r["text"] for r in rows}) == len(rows)
    assert 100 <= len(labels) <= 250 and all("text" not in r and "excerpt" not in r for r in labels)
    topics = set(build.__globals__["load_topic_config"](TRAIN_FILE.parents[3] / "config")[1])
    assert all(set(r["topics"]) <= topics for r in rows + labels)


@pytest.mark.timeout(300)
def test_evaluations_on_shared(shared_data, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mediawatch.settings import Settings

    settings = Settings(var_dir=tmp_path / "var", shared_dir=shared_data.parent)
    specs = {s.key: s for s in evaluations(settings)}
    floors = {"corpus/topics": 0.55, "corpus/topics@lexicon-only": 0.45, "news-categories/topics": 0.45,
              "news-categories/topics@research-tfidf": 0.75, "corpus/topics:seaports_oil_gas": 0.8}
    got = {}
    for key, floor in floors.items():
        result = specs[key].run(settings)
        metrics = compute_metrics(result)
        got[key] = metrics["macro_f1"]
        assert metrics["macro_f1"] >= floor, (key, metrics["macro_f1"])
        assert result.shipped == ("@" not in key)
    # the shipped combination must beat the lexicon alone on the real documents
    assert got["corpus/topics"] > got["corpus/topics@lexicon-only"]
