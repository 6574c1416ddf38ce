"""threat_violence and public_concern: shipped models load, obvious positives/negatives (with and without
diacritics), explanations; held-out evaluations (no ../shared) and the ../shared evaluations with floors."""

from __future__ import annotations

import pytest

from classifiers import public_concern, threat_violence
from classifiers.base import DocInput
from evaluation.framework import compute_metrics


@pytest.fixture(scope="module")
def settings(tmp_path_factory):  # type: ignore[no-untyped-def]
    from mediawatch.settings import Settings

    return Settings(var_dir=tmp_path_factory.mktemp("var"))


@pytest.fixture(scope="module")
def tv(settings):  # type: ignore[no-untyped-def]
    return threat_violence.build(settings)


@pytest.fixture(scope="module")
def pc(settings):  # type: ignore[no-untyped-def]
    return public_concern.build(settings)


def _score(clf, text: str, title: str = "") -> float:  # type: ignore[no-untyped-def]
    return clf.predict([DocInput(title, text)])[0][clf.name].score


@pytest.mark.parametrize("module", [threat_violence, public_concern])
def test_shipped_model_loads_and_predictions_are_well_formed(module, settings) -> None:  # type: ignore[no-untyped-def]
    clf = module.build(settings)
    assert clf.model is not None and clf.kind == "flag" and clf.name == module.NAME
    assert clf.version.startswith(f"{module.NAME}-")
    docs = [DocInput("Tiêu đề", "Nội dung bình thường."), DocInput("", ""), DocInput("a", "b " * 3000)]
    out = clf.predict(docs)
    assert len(out) == 3 and all(list(p) == [module.NAME] for p in out)
    for preds in out:
        p = preds[module.NAME]
        assert 0.0 <= p.score <= 1.0 and p.threshold == module.THRESHOLD
        assert "matched_terms" in p.explanation and "model_version" in p.explanation


@pytest.mark.parametrize("text", [
    "Tao biết nhà mày ở đâu rồi, tối nay tao sẽ đến đốt nhà mày.",
    "Không trả tiền thì liệu hồn, tao cho người xuống chém cả nhà.",
    "tao se giet may neu con gap may o day",
    "Có bom trong trường học, 9 giờ sáng mai sẽ nổ.",
    "Anh em tối nay kéo ra bãi biển, gặp bọn đó là đánh hết cho tao.",
    "Hẹn đánh nhau 8 giờ tối ở sân bóng, nhớ mang đồ nghề.",
    "Chủ tiệm trình báo bị nhóm đòi nợ nhắn tin đe dọa đốt nhà, chém cả gia đình.",
])
def test_threats_are_flagged_and_explained(tv, text: str) -> None:  # type: ignore[no-untyped-def]
    p = tv.predict([DocInput("", text)])[0]["threat_violence"]
    assert p.positive, (text, p.score)
    assert p.explanation["matched_terms"] and all({"term", "weight"} <= set(t) for t in p.explanation["matched_terms"])


@pytest.mark.parametrize("text", [
    "Công an bắt giữ nghi phạm đâm chết người sau cuộc nhậu, vụ án đang được điều tra.",
    "Đội tuyển Việt Nam đánh bại Thái Lan 2-1 trong trận cầu kịch tính.",
    "Mẫu áo mới ra mắt đã cháy hàng chỉ sau hai giờ.",
    "Ngồi chờ ở sân bay bốn tiếng, tôi đọc sách để giết thời gian.",
    "Quán này chém giá du khách quá, ly nước mía 30 nghìn.",
    "Bộ phim bom tấn mùa hè thu về hơn 100 tỷ đồng.",
    "Pháo hoa sẽ được bắn tại ba điểm trong đêm giao thừa.",
    "Công binh hủy nổ an toàn quả bom còn sót lại từ thời chiến.",
    "Tôi sẽ kiện đến cùng nếu công ty không trả lại tiền đặt cọc.",
])
def test_hard_negatives_are_not_threats(tv, text: str) -> None:  # type: ignore[no-untyped-def]
    assert not tv.predict([DocInput("", text)])[0]["threat_violence"].positive, text


@pytest.mark.parametrize("text", [
    "Đường vào khu dân cư bị đào lên rồi bỏ đó ba tháng, người dân bức xúc đề nghị phường sớm hoàn trả mặt bằng.",
    "Xin hỏi bao giờ thành phố mới làm xong dự án chống ngập? Nhà tôi ngập cả năm nay rồi.",
    "Chính sách thu phí vào trung tâm là đẩy gánh nặng lên người dân lao động, cần xem xét lại ngay.",
    "Lãnh đạo hứa nhiều mà làm chẳng bao nhiêu, dân kêu mãi không ai chịu trách nhiệm.",
    "nop ho so 3 thang roi chua co so do, can bo cu hen hoai, dan kho qua",
])
def test_concerns_and_political_criticism_are_public_concern(pc, text: str) -> None:  # type: ignore[no-untyped-def]
    assert _score(pc, text) >= public_concern.THRESHOLD, text


@pytest.mark.parametrize("text", [
    "Cảng Cái Mép đón chuyến tàu container đầu tiên của tuyến dịch vụ mới đi châu Âu.",
    "Resort ven biển Hồ Tràm giảm 40% giá phòng cuối tuần, tặng buffet sáng cho hai người.",
    "UBND phường thông báo tạm ngưng cấp nước khu vực đường Ba Cu từ 8h đến 16h để sửa chữa đường ống.",
    "Cuối tuần này ai đi Vũng Tàu không, rủ nhau đi ăn bánh khọt.",
])
def test_news_promotions_announcements_are_not_concerns(pc, text: str) -> None:  # type: ignore[no-untyped-def]
    assert _score(pc, text) < public_concern.THRESHOLD, text


def test_rules_alone_without_model() -> None:
    clf = threat_violence.ThreatViolenceClassifier(None)
    assert clf.version.startswith("rules-")
    p = clf.predict([DocInput("", "Tao sẽ giết mày.")])[0]["threat_violence"]
    assert p.positive and p.explanation["rules"] == ["direct_threat"]


@pytest.mark.parametrize(("module", "key", "floor"), [
    (threat_violence, "own/threat_violence", 0.8), (public_concern, "own/public_concern", 0.8)])
def test_held_out_evaluation_without_shared(module, key: str, floor: float, settings) -> None:  # type: ignore[no-untyped-def]
    (spec,) = [s for s in module.evaluations(settings) if s.key == key]
    result = spec.run(settings)
    metrics = compute_metrics(result)
    assert result.shipped and metrics["macro_f1"] >= floor and metrics["auc"] >= 0.9, metrics


@pytest.mark.timeout(300)
def test_shared_evaluations(shared_data, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mediawatch.settings import Settings

    s = Settings(var_dir=tmp_path / "var", shared_dir=shared_data.parent)
    specs = {x.key: x for x in threat_violence.evaluations(s) + public_concern.evaluations(s)}
    for key in ("victsd/threat_violence-fp", "vihsd/threat_violence-fp"):
        result = specs[key].run(s)
        assert result.y_pred.mean() <= 0.03, (key, result.y_pred.mean())  # at most 3 % of real comments flagged
    research = specs["uit-vsfc/sentiment@research-tfidf"].run(s)
    assert not research.shipped and research.published == {"TF-IDF (measured here)": 75.2}
    assert compute_metrics(research)["macro_f1"] >= 0.68
    proxy = compute_metrics(specs["uit-vsfc/negative-feedback"].run(s))
    assert proxy["auc"] >= 0.7  # negative student feedback scores higher than the rest despite the domain shift
