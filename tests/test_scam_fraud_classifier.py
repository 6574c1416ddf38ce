"""scam_fraud: shipped model + rules + ChongLuaDao blocklist (classifiers/scam_fraud.py, classifiers/scamrules.py).

Unit tests run without ../shared; the evaluation tests use the ``shared_data`` fixture."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from classifiers.base import DocInput
from classifiers.scam_fraud import EXAMPLES_PATH, LABELS, build, evaluations, load_examples
from classifiers.scamrules import (
    BLOCKLIST_DIR,
    Blocklist,
    ScamRules,
    brand_lookalike,
    clean_entry,
    gov_lookalike,
    load_blocklist,
    refresh_blocklist,
    registered_candidates,
)

SCAMS = [
    "[Vietcombank] Tai khoan cua Quy khach se bi tam khoa. Vui long cap nhat tai vcb-baomat.com va nhap ma OTP.",
    "Tuyển CTV Shopee làm tại nhà, thu nhập 500k/ngày, nạp tiền làm nhiệm vụ được hoàn gốc + hoa hồng 20%. Ib Zalo.",
    "Alo, tôi là cán bộ công an, anh liên quan đến đường dây rửa tiền, phải chuyển tiền vào tài khoản tạm giữ để xác minh.",
    "EVN thông báo: nhà bạn nợ tiền điện, sẽ cắt điện lúc 20h. Thanh toán ngay qua link evn-thanhtoan.com",
    "Vay tiền online chỉ cần CCCD, giải ngân 15 phút, không thẩm định. Phí hồ sơ 300k chuyển trước.",
]
REPORTS = [
    "Công an tỉnh cảnh báo thủ đoạn lừa đảo giả danh cán bộ thuế; người dân không cung cấp mã OTP cho bất kỳ ai.",
    "Tòa tuyên phạt bị cáo 12 năm tù về tội lừa đảo chiếm đoạt tài sản của 15 bị hại.",
]
OTHERS = [
    "Mưa lớn kéo dài khiến nhiều tuyến đường ở phường Tam Thắng ngập sâu.",
    "Ma OTP cua Quy khach la 482913. Tuyet doi khong chia se ma nay cho bat ky ai.",
    "Công ty may ở KCN Phú Mỹ tuyển 50 công nhân, lương 8 triệu, phỏng vấn trực tiếp tại công ty, không thu phí.",
]


@pytest.fixture(scope="module")
def clf():  # type: ignore[no-untyped-def]
    return build(None)


def _predict(clf, texts):  # type: ignore[no-untyped-def]
    return [p["scam_fraud"] for p in clf.predict([DocInput("", t) for t in texts])]


def test_shipped_model_loads_and_predicts_in_range(clf) -> None:  # type: ignore[no-untyped-def]
    assert clf.model is not None, "classifiers/models/scam_fraud.joblib missing: run `mediawatch train scam_fraud`"
    assert clf.name == "scam_fraud" and clf.kind == "flag" and clf.model.version in clf.version
    preds = clf.predict([DocInput("Tiêu đề", t) for t in SCAMS + REPORTS + OTHERS] + [DocInput("", "")])
    assert len(preds) == len(SCAMS + REPORTS + OTHERS) + 1
    for p in preds:
        assert set(p) == {"scam_fraud"}
        pred = p["scam_fraud"]
        assert 0.0 <= pred.score <= 1.0 and 0.0 < pred.threshold < 1.0
        exp = pred.explanation
        assert {"rule", "model_version", "tier", "rules", "matched_terms"} <= set(exp)
        assert all(isinstance(t["term"], str) and isinstance(t["weight"], float) for t in exp["matched_terms"])
        json.dumps(exp, ensure_ascii=False)  # stored as JSON


def test_fast_model_path_matches_the_pipeline(clf) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from classifiers.scam_fraud import _prep

    texts = SCAMS + REPORTS + OTHERS
    fast, _ = clf.model_parts(texts)
    assert np.allclose(fast, clf.model.pipeline.predict_proba([_prep(t) for t in texts]), atol=1e-9)


def test_obvious_positives_negatives_and_report_band(clf) -> None:  # type: ignore[no-untyped-def]
    for text, pred in zip(SCAMS, _predict(clf, SCAMS), strict=True):
        assert pred.positive and pred.explanation["tier"] == "scam", (text, pred)
        assert pred.explanation["matched_terms"], text
    for text, pred in zip(OTHERS, _predict(clf, OTHERS), strict=True):
        assert not pred.positive, (text, pred)
    # reports about scams: flagged in the lower band, never above the report cap unless an indicator is present
    for text, pred in zip(REPORTS, _predict(clf, REPORTS), strict=True):
        assert pred.explanation["tier"] == "report" and pred.score <= 0.65 + 1e-9, (text, pred)
    scam_scores = [p.score for p in _predict(clf, SCAMS)]
    assert min(scam_scores) > max(p.score for p in _predict(clf, REPORTS))


def test_lookalike_and_blocklisted_hosts_are_indicators_even_in_reports(clf) -> None:  # type: ignore[no-untyped-def]
    report = ("Công an cảnh báo: đối tượng gửi đường link csgt-vungtau.gov-vn.example giống cổng thông tin nhà nước, "
              "yêu cầu người dân nộp phạt nguội.")
    (pred,) = _predict(clf, [report])
    assert pred.score >= 0.9 and "lookalike_gov_domain" in pred.explanation["rules"]
    assert pred.explanation["urls"][0]["verdict"] == "lookalike-gov"
    host = sorted(h for h in load_blocklist().hosts if h.endswith(".xyz"))[0]
    (pred,) = _predict(clf, [f"Bạn xem thử trang https://www.{host}/login nhé"])
    assert pred.score >= 0.95 and "blocklisted_domain" in pred.explanation["rules"]
    assert pred.explanation["matched_terms"][0]["term"] == f"www.{host}"


def test_invisible_characters_and_no_diacritics(clf) -> None:  # type: ignore[no-untyped-def]
    text = "Vui lòng đọc mã O\u200bTP vừa gửi để xác nhận chuyển kho\u200bản vào tài khoản tạm giữ"
    assert "otp_request" in ScamRules().match(text).names
    folded = "vui long doc ma otp vua gui de xac nhan chuyen khoan vao tai khoan tam giu cua co quan dieu tra"
    res = ScamRules().match(folded)
    assert {"otp_request", "transfer_request", "safe_account"} <= set(res.names)
    assert _predict(clf, [folded])[0].positive


def test_negated_request_is_not_a_request() -> None:
    res = ScamRules().match("Ngân hàng không bao giờ yêu cầu khách hàng cung cấp mã OTP. Đừng chuyển tiền cho người lạ.")
    assert "otp_request" not in res.names and "safety_advice" in res.names and res.scam < 0.5


def test_prefilter_gives_the_same_hits_as_running_every_rule() -> None:
    rules = ScamRules()
    from pipeline.normalize import fold_diacritics

    texts = [r["text"] for r in load_examples()]
    for text in texts + [fold_diacritics(t) for t in texts]:
        a, b = rules.match(text), rules.match(text, prefilter=False)
        assert [(h.rule, h.term) for h in a.hits] == [(h.rule, h.term) for h in b.hits], text


def test_domain_helpers() -> None:
    assert registered_candidates("WWW.a.b.example.com") == ["a.b.example.com", "b.example.com", "example.com"]
    assert gov_lookalike("dichvucong.gov.vn") is None and gov_lookalike("gov.uk") is None
    assert gov_lookalike("government.com") is None
    for host in ("gplxgov.org", "dichvucong-gov.com", "x.gov.vn.cc", "csgt.gov-vn.example", "vietnamvisa.govt.vn"):
        assert gov_lookalike(host), host
    assert brand_lookalike("vcb-sinhtrachoc.com") == "vcb" and brand_lookalike("vietcombank.com.vn") is None
    assert brand_lookalike("evnhcmc.vn") is None and brand_lookalike("evn-thanhtoan.com") == "evn"
    assert clean_entry("https://*.Foo-Bar.com/*") == "foo-bar.com" and clean_entry("# comment") == ""
    assert clean_entry("sn99.cc:100") == "sn99.cc" and clean_entry("not a host") == ""
    bl = Blocklist.from_lines(["bad.com", "sites.google.com/view/scam"], ["1.2.3.4"])
    assert bl.match("login.bad.com") == "bad.com" and bl.match("bad.com.vn") is None
    assert bl.match("sites.google.com", "/view/scam/home") == "sites.google.com/view/scam"
    assert bl.match("sites.google.com", "/view/other") is None and bl.match("google.com") is None


def test_shipped_blocklist_and_refresh(tmp_path: Path) -> None:
    assert (BLOCKLIST_DIR / "LICENSE").read_text(encoding="utf-8").startswith("BSD 3-Clause")
    shipped = load_blocklist()
    assert shipped.n_entries > 30_000 and "gplxgov.org" in shipped.hosts
    src = tmp_path / "src" / "urls.txt"
    src.parent.mkdir()
    src.write_text("b.com\nhttps://a.com/*\n*.c.net\n\nnot valid\nb.com\n", encoding="utf-8")
    dest = tmp_path / "dest"
    assert refresh_blocklist(src, dest) == 3
    assert (dest / "urls.txt").read_text(encoding="utf-8") == "a.com\nb.com\nc.net\n"
    assert load_blocklist(dest).hosts == frozenset({"a.com", "b.com", "c.net"})
    big = tmp_path / "big.txt"
    big.write_text("".join(f"host-{i:07d}-padding-padding.example.com\n" for i in range(60_000)), encoding="utf-8")
    assert refresh_blocklist(big, dest) == 60_000
    assert not (dest / "urls.txt").exists() and len(gzip.decompress((dest / "urls.txt.gz").read_bytes())) > 2_000_000
    assert load_blocklist(dest).n_entries == 60_000
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(ValueError):
        refresh_blocklist(empty, dest)
    assert load_blocklist(dest).n_entries == 60_000  # unchanged


def test_own_examples_are_well_formed() -> None:
    rows = load_examples()
    assert len(rows) >= 400 and len({r["id"] for r in rows}) == len(rows)
    assert {r["label"] for r in rows} == set(LABELS) and {r["split"] for r in rows} == {"train", "dev", "test"}
    assert len({r["text"] for r in rows}) == len(rows)
    assert (EXAMPLES_PATH.parent / "README.md").exists()


def test_own_evaluation_runs_without_shared(settings) -> None:  # type: ignore[no-untyped-def]
    from evaluation.framework import compute_metrics

    specs = {s.key: s for s in evaluations(settings)}
    for key, floor in (("own/scam_fraud", 0.75), ("own/scam_fraud-flag", 0.8)):
        result = specs[key].run(settings)
        m = compute_metrics(result)
        assert result.shipped and m["n"] >= 80 and m["macro_f1"] >= floor and m["auc"] >= 0.9, (key, m)


@pytest.mark.shared
def test_shared_evaluations(shared_data: Path, settings) -> None:  # type: ignore[no-untyped-def]
    from evaluation.framework import compute_metrics

    settings = settings.model_copy(update={"shared_dir": shared_data.parent})
    floors = {"vispamreviews/spam@research-tfidf": 0.8, "vispamreviews/spam-4class@research-tfidf": 0.65,
              "vispamreviews/spam": 0.4, "scams/sms": 0.0}
    specs = {s.key: s for s in evaluations(settings)}
    for key, floor in floors.items():
        result = specs[key].run(settings)
        m = compute_metrics(result)
        assert m["macro_f1"] >= floor, (key, m["macro_f1"])
        assert len(result.data_sha256) == 64
        if "@research" in key:
            assert not result.shipped and result.published
    sms = specs["scams/sms"].run(settings)
    assert len(sms.y_true) == 5
