"""misinformation: debunk memory (load/save/merge, CSV and tingia.gov.vn import), claim
matching, check-worthiness, the classifier and its evaluations.

Everything except the ``shared_data`` tests runs without ../shared. The tingia pages under
tests/fixtures/tingia/ are constructed fixtures (see their README), not recordings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifiers import misinformation as mi
from classifiers.base import DocInput
from classifiers.claimmatch import (
    ClaimMatcher,
    has_diacritics,
    load_matching_set,
    match_text,
    pick_thresholds,
    refutes,
    shared_phrases,
    split_units,
)
from classifiers.debunks import (
    Debunk,
    DebunkError,
    claim_from_title,
    claim_key,
    import_csv,
    import_file,
    import_tingia,
    is_sitemap_index,
    load_debunks,
    local_pages,
    merge_debunks,
    merge_into,
    normalize_verdict,
    parse_date,
    parse_sitemap,
    parse_tingia_article,
    save_debunks,
    url_key,
)
from mediawatch.settings import REPO_ROOT, Settings
from pipeline.normalize import normalize_text

TINGIA = Path(__file__).parent / "fixtures" / "tingia"
ART_DIEN = "thong-tin-cat-dien-toan-tinh-ba-ria-vung-tau-3-ngay-la-sai-su-that"
ART_XE = "thong-tin-sai-su-that-ve-viec-xe-may-tren-10-nam-bi-cam-luu-thong"
ART_HOC = "hinh-anh-cong-van-cho-hoc-sinh-nghi-hoc-vi-nang-nong-la-cat-ghep"


def _url(slug: str, n: int) -> str:
    return f"https://tingia.gov.vn/tin-tuc/{slug}/{n}/"


def _doc(title: str, text: str) -> DocInput:
    return DocInput(normalize_text(title), normalize_text(text))


@pytest.fixture(scope="module")
def clf() -> mi.MisinformationClassifier:
    return mi.build(Settings())


def _predict(clf: mi.MisinformationClassifier, title: str, text: str):  # type: ignore[no-untyped-def]
    return clf.predict([_doc(title, text)])[0]["misinformation"]


# -- shipped model / classifier -------------------------------------------------------------------

def test_shipped_thresholds_and_card() -> None:
    meta = json.loads((REPO_ROOT / "classifiers" / "models" / "misinformation.json").read_text(encoding="utf-8"))
    thr = meta["thresholds"]
    assert 0.2 < thr["suggest"] <= thr["autolink"] < 0.9
    cal = thr["calibration"]
    assert cal["at_autolink"]["precision"] >= 0.95 and cal["at_suggest"]["recall"] >= 0.9
    assert meta["version"].startswith("misinformation-")
    assert set(meta["checkworthiness"]["weights"]["coef"]) >= {"share_urgency", "attribution", "debunk"}
    card = (REPO_ROOT / "classifiers" / "models" / "misinformation.md").read_text(encoding="utf-8")
    assert "suggest" in card and "auto-link" in card and "CC0" in card
    assert not (REPO_ROOT / "classifiers" / "models" / "misinformation.joblib").exists()


def test_predictions_shape_and_explanation(clf: mi.MisinformationClassifier) -> None:
    docs = [_doc("", "Hôm nay trời nắng đẹp."), _doc("Tin nóng", "Vũng Tàu cấm tắm biển từ ngày mai"), _doc("", "")]
    out = clf.predict(docs)
    assert len(out) == 3
    for pred in out:
        assert list(pred) == ["misinformation"]
        p = pred["misinformation"]
        assert 0.0 <= p.score <= 1.0 and p.threshold == clf.threshold
        assert isinstance(p.explanation["matched_terms"], list)
        assert all(set(t) == {"term", "weight"} for t in p.explanation["matched_terms"])
        assert 0.0 <= p.explanation["checkworthiness"] <= 1.0
        assert p.explanation["model_version"] == clf.model_version
    assert clf.version.startswith(clf.model_version + "+memory-")


def test_demo_debunk_article_is_flagged_and_auto_linked(clf: mi.MisinformationClassifier) -> None:
    p = _predict(clf, "Thông tin “Vũng Tàu cấm tắm biển từ ngày 1/12” là sai sự thật",
                 "Trước tin đồn lan truyền trên mạng xã hội về việc cấm tắm biển tại Vũng Tàu từ ngày 1/12, "
                 "cơ quan chức năng khẳng định đây là thông tin sai sự thật.")
    assert p.positive and p.score >= 0.9
    d = p.explanation["debunk"]
    assert d["id"] == "vt-cam-tam-bien" and d["link"] == "auto" and d["similarity"] >= clf.autolink
    assert {"claim", "verdict", "url", "similarity", "link"} <= set(d)
    assert "debunk:auto" in p.explanation["rules"]


def test_rumour_without_debunk_words_is_flagged_by_matching(clf: mi.MisinformationClassifier) -> None:
    p = _predict(clf, "", "Phú Mỹ đang có băng cướp giết người hàng loạt, tối nay mọi người đừng ra đường.")
    assert p.positive
    assert p.explanation["debunk"]["id"] == "pm-cuop-giet"
    assert any("cướp giết người" in t["term"] for t in p.explanation["matched_terms"])
    # the same rumour typed without diacritics
    p2 = _predict(clf, "", "phu my co cuop giet nguoi hang loat, toi dung ra duong")
    assert p2.positive and p2.explanation["debunk"]["id"] == "pm-cuop-giet"


@pytest.mark.parametrize("text", [
    "UBND tỉnh tổ chức hội nghị tổng kết công tác cải cách hành chính, chỉ số hài lòng đạt trên 90%.",
    "Giá xăng trong nước giảm nhẹ từ 15 giờ chiều nay sau kỳ điều chỉnh của liên bộ Công Thương – Tài chính.",
    "Vũng Tàu tăng cường lực lượng cứu hộ tại Bãi Sau trong dịp cuối tuần khi lượng khách tắm biển tăng cao.",
])
def test_ordinary_news_is_not_flagged(clf: mi.MisinformationClassifier, text: str) -> None:
    p = _predict(clf, "", text)
    assert not p.positive and "debunk" not in p.explanation


def test_score_mapping_is_monotonic(clf: mi.MisinformationClassifier) -> None:
    sims = np.linspace(0, 1, 101)
    scores = [clf.debunk_score(s) for s in sims]
    assert all(b >= a for a, b in zip(scores, scores[1:], strict=False))
    assert clf.debunk_score(clf.suggest - 1e-6) == 0.0
    assert clf.debunk_score(clf.suggest) == pytest.approx(clf.threshold)
    assert clf.debunk_score(clf.autolink) == pytest.approx(0.9) and clf.debunk_score(1.0) == pytest.approx(1.0)


def test_imported_debunks_are_matched() -> None:
    debunks, _ = import_tingia((TINGIA / "sitemap.xml").read_bytes(), local_pages(TINGIA))
    clf = mi.MisinformationClassifier(REPO_ROOT / "config", debunks=debunks)
    p = _predict(clf, "", "Cuối tuần này toàn tỉnh Bà Rịa – Vũng Tàu bị cắt điện liên tục 3 ngày, bà con chuẩn bị đèn pin!")
    assert p.positive and p.explanation["debunk"]["url"] == _url(ART_DIEN, 91001)
    assert p.explanation["debunk"]["source"] == "Trung tâm Xử lý tin giả Việt Nam"
    p = _predict(clf, "", "Từ năm sau xe máy trên 10 năm bị cấm lưu thông, nhà nước thu hồi hết.")
    assert p.explanation["debunk"]["verdict"] == "false" and "xe-may" in p.explanation["debunk"]["id"]


def test_empty_memory_still_predicts(tmp_path: Path) -> None:
    clf = mi.MisinformationClassifier(REPO_ROOT / "config", debunks=[])
    p = clf.predict([_doc("", "Tin đồn thất thiệt về việc cấm tắm biển là bịa đặt.")])[0]["misinformation"]
    assert p.positive and "debunk" not in p.explanation


# -- check-worthiness -------------------------------------------------------------------------------

def test_checkworthiness_orders_rumours_above_news(clf: mi.MisinformationClassifier) -> None:
    cw = clf.checkworthiness
    rumours = ["KHẨN CẤP!!! Chia sẻ ngay: uống nước chanh nóng chữa khỏi ung thư, bác sĩ giấu không nói!",
               "nghe noi tu thang sau di xe may bi phat 5 trieu, share gap cho ae"]
    news = ["Theo báo cáo của Sở Y tế, số ca sốt xuất huyết giảm 10%, ông Nguyễn Văn A cho biết.",
            "Cơ quan chức năng khẳng định thông tin lan truyền là sai sự thật."]
    r, n = cw.score([normalize_text(t) for t in rumours]), cw.score([normalize_text(t) for t in news])
    assert min(r) > 0.7 and max(n) < 0.3
    _, found = cw.analyze([normalize_text(rumours[0])])
    terms = {c["term"] for c in cw.cues(found[0])}
    assert {"chia sẻ ngay", "chữa khỏi"} <= terms


def test_checkworthiness_phrases_respect_syllable_boundaries() -> None:
    cw = mi.CheckWorthiness()
    # "sốc" must not fire inside "chăm sóc" (different syllable) nor "khẩn" inside another word
    feats = cw.featurize([normalize_text("Bệnh viện chăm sóc người bệnh chu đáo.")])
    assert feats[0, cw.groups.index("sensational")] == 0.0


# -- claim matching ---------------------------------------------------------------------------------

def test_split_units() -> None:
    units = split_units("Tiêu đề “trích dẫn đủ dài ở đây”", "Câu một có đủ tám âm tiết ở trong câu. Ngắn thôi. "
                        "Thành lập TP. Phú Mỹ, thuộc tỉnh Bà Rịa - Vũng Tàu và nhiều nội dung khác nữa.")
    assert units[0].startswith("Tiêu đề") and "trích dẫn đủ dài ở đây" in units
    assert any(u.startswith("Ngắn thôi. Thành lập TP. Phú Mỹ") for u in units)
    assert len(split_units("", "câu " * 2000)) >= 10
    assert split_units("", "") == []


def test_match_text_and_diacritics() -> None:
    assert match_text("Vũng Tàu: “cấm” tắm biển!") == "vũng tàu cấm tắm biển"
    assert has_diacritics("Vũng Tàu cấm tắm biển") and not has_diacritics("vung tau cam tam bien")
    assert refutes("UBND khẳng định không có chủ trương cấm tắm biển") and not refutes("Vũng Tàu cấm tắm biển")
    assert refutes("ubnd khang dinh khong co chu truong cam tam bien")
    assert shared_phrases("vung tau cam tam bien tu 1/12", "Vũng Tàu cấm tắm biển") == ["vũng tàu cấm tắm biển"]


def test_matcher_picks_the_right_claim_and_penalizes_corrections() -> None:
    claims = ["Vũng Tàu cấm tắm biển từ ngày 1/12", "Bãi Sau thu phí tắm biển 50.000 đồng mỗi người"]
    background = ["Người dân đi tắm biển đông vui.", "Giá vé tham quan không đổi."]
    m = ClaimMatcher(claims, background)
    best = m.best([("", "Nghe nói Bãi Sau bắt đầu thu phí tắm biển 50 nghìn một người."),
                   ("", "Từ 1/12 Vũng Tàu cấm tắm biển, mọi người hủy phòng đi."),
                   ("", "UBND phường khẳng định không có chủ trương cấm tắm biển từ ngày 1/12 ở Vũng Tàu.")])
    assert best[0].claim_index == 1 and best[1].claim_index == 0
    assert best[2].similarity < best[1].similarity
    plain = ClaimMatcher(claims, background, refute_penalty=1.0).best([("", best[2].unit)])[0]
    assert best[2].similarity == pytest.approx(plain.similarity * 0.75, abs=0.02)
    with pytest.raises(ValueError):
        ClaimMatcher([])


def test_aliases_count_as_phrasings() -> None:
    m = ClaimMatcher([["Giấy phép lái xe hạng A1 bị thu hồi", "bằng A1 sắp bị hủy phải thi lại"], "Cá mập ở Long Hải"])
    s, _, _ = m.doc_similarities([("", "Bằng A1 sắp bị hủy hết, phải thi lại từ đầu")])
    assert s.shape == (1, 2) and s[0, 0] > 0.5 > s[0, 1]


def test_pick_thresholds() -> None:
    sim = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    correct = np.array([1, 1, 1, 0, 1, 1, 0, 0])
    label = np.array([1, 1, 1, 0, 1, 1, 1, 0])
    suggest, autolink = pick_thresholds(sim, correct, label, min_precision=0.95, min_recall=0.8)
    assert autolink == pytest.approx(0.7) and suggest == pytest.approx(0.4)


def test_matching_set_shape() -> None:
    claims, texts = load_matching_set()
    ids = {c["claim_id"] for c in claims}
    assert len(claims) >= 25 and sum(c["area"] == "brvt" for c in claims) >= 3
    per_claim = {i: sum(t["label"] == 1 and t["claim_id"] == i for t in texts) for i in ids}
    assert min(per_claim.values()) >= 3 and max(per_claim.values()) <= 5
    assert {t["kind"] for t in texts} == {"report", "correction", "hard_negative", "other_rumour", "unrelated"}
    assert all(t["claim_id"] in ids for t in texts if t["label"] == 1)


def test_own_claim_matching_evaluation_runs_without_shared() -> None:
    from evaluation.framework import compute_metrics

    spec = next(s for s in mi.evaluations(Settings()) if s.key == "own/claim_matching")
    result = spec.run(Settings(shared_dir=Path("/nonexistent")))
    m = compute_metrics(result)
    assert m["n"] >= 200 and m["macro_f1"] >= 0.85 and m["auc"] >= 0.93


def test_train_writes_model_json_and_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mi, "MODEL_JSON", tmp_path / "misinformation.json")
    monkeypatch.setattr(mi, "MODEL_CARD", tmp_path / "misinformation.md")
    summary = mi.train(Settings(shared_dir=tmp_path / "no-shared"))
    meta = json.loads((tmp_path / "misinformation.json").read_text(encoding="utf-8"))
    assert summary["threshold"] == {"suggest": meta["thresholds"]["suggest"], "autolink": meta["thresholds"]["autolink"]}
    assert "missing" in meta["evaluation"]["vfnd/fake_news"] and "own/claim_matching" in summary["held_out"]["evaluation"]
    assert "not run" in (tmp_path / "misinformation.md").read_text(encoding="utf-8")


def test_train_with_analyst_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import classifiers.labels

    monkeypatch.setattr(mi, "MODEL_JSON", tmp_path / "misinformation.json")
    monkeypatch.setattr(mi, "MODEL_CARD", tmp_path / "misinformation.md")
    labels = [("Chia sẻ gấp: từ mai cấm xe máy vào trung tâm, ai chưa biết thì biết nhé!!!", 1),
              ("UBND tỉnh cho biết đã tổ chức hội nghị tổng kết năm.", 0)] * 3
    monkeypatch.setattr(classifiers.labels, "analyst_labels", lambda settings, name: labels)
    summary = mi.train(Settings(shared_dir=tmp_path / "no-shared"), with_labels=True)
    assert summary["labels"]["n_labels"] == 6
    assert summary["labels"]["cv_after"]["n"] == summary["labels"]["cv_before"]["n"] + 6


# -- debunk memory ----------------------------------------------------------------------------------

def test_shipped_memory_loads() -> None:
    debunks = load_debunks(REPO_ROOT / "config" / "debunks.yaml")
    assert {d.id for d in debunks} >= {"vt-cam-tam-bien", "pm-cuop-giet"}
    assert all(d.verdict in ("false", "misleading", "altered", "unproven") for d in debunks)


def test_save_load_roundtrip_and_validation(tmp_path: Path) -> None:
    path = tmp_path / "debunks.yaml"
    items = [Debunk(id="a-1", claim="Cá mập xuất hiện ở Long Hải", verdict="false", url="https://x.vn/a/1",
                    date="2026-01-02", source="X", aliases=["Long Hải có cá mập"])]
    save_debunks(path, items)
    assert load_debunks(path) == items
    assert load_debunks(tmp_path / "missing.yaml") == []
    path.write_text("debunks:\n- id: a\n  claim: ngắn\n  verdict: đúng\n- id: b\n  claim: Một tin sai đủ dài\n"
                    "  verdict: sai sự thật\n  source: X\n- id: b\n  claim: Một tin sai khác đủ dài\n"
                    "  verdict: false\n  source: X\n", encoding="utf-8")
    with pytest.raises(DebunkError) as exc:
        load_debunks(path)
    msg = str(exc.value)
    assert "mục 1" in msg and "kết luận không hợp lệ" in msg and "mục 3" in msg and "bị trùng" in msg


def test_keys_and_normalizers() -> None:
    assert claim_key("Vũng Tàu cấm tắm biển!") == claim_key("  vũng tàu  CẤM tắm biển ") == claim_key("vung tau cam tam bien")
    assert url_key("https://tingia.gov.vn/") is None and url_key(None) is None
    assert url_key("https://www.Tingia.gov.vn/tin-tuc/a/1/?utm=x") == "url:tingia.gov.vn/tin-tuc/a/1"
    assert normalize_verdict("Sai sự thật") == "false" and normalize_verdict("gây hiểu nhầm") == "misleading"
    assert normalize_verdict("cắt ghép") == "altered" and normalize_verdict("đúng") is None
    assert parse_date("05/03/2024") == "2024-03-05" and parse_date("2024-03-05T10:00:00+07:00") == "2024-03-05"
    assert parse_date("31/02/2024") is None and parse_date("hôm qua") is None


def test_merge_is_idempotent_by_url_and_claim() -> None:
    old = [Debunk(id="vt", claim="Vũng Tàu cấm tắm biển", url="https://tingia.gov.vn/", source="tingia.gov.vn")]
    new = [Debunk(id="x1", claim="VŨNG TÀU cấm tắm biển.", date="2026-01-01", source="Y"),
           Debunk(id="x2", claim="Côn Đảo dừng đón khách", url="https://t.vn/tin/1/", source="T"),
           Debunk(id="x3", claim="Côn Đảo ngừng đón khách du lịch", url="https://t.vn/tin/1", source="T"),
           Debunk(id="vt", claim="Một tin khác hẳn", source="Z")]
    first = merge_debunks(old, new)
    assert first.added == ["x2", "vt-2"] and first.updated == ["vt", "x2"] and first.unchanged == []
    merged = {d.id: d for d in first.debunks}
    assert merged["vt"].date == "2026-01-01" and merged["vt"].source == "tingia.gov.vn"
    assert merged["x2"].aliases == ["Côn Đảo ngừng đón khách du lịch"]
    second = merge_debunks(first.debunks, new)
    assert second.added == [] and second.updated == [] and len(second.debunks) == len(first.debunks)
    assert old[0].date is None  # inputs untouched


# -- CSV import -------------------------------------------------------------------------------------

def test_import_csv_ok(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes("\ufeffclaim,verdict,url,date,source\n"
                     "Cá mập xuất hiện ở Long Hải,sai sự thật,https://bp.vn/tin/1,05/03/2026,Biên phòng\n"
                     "\"Nước máy Vũng Tàu nhiễm khuẩn, không được dùng\",false,,2026-03-06,Công ty cấp nước\n"
                     ",,,,\n"
                     "Cá mập xuất hiện ở Long Hải,false,,2026-03-07,Khác\n".encode())
    out = import_csv(path)
    assert [d.claim for d in out] == ["Cá mập xuất hiện ở Long Hải", "Nước máy Vũng Tàu nhiễm khuẩn, không được dùng"]
    assert out[0].date == "2026-03-05" and out[0].verdict == "false" and out[0].id == "bp-tin"
    assert out[1].url is None and out[1].id.startswith("claim-")


def test_import_csv_semicolon_and_vietnamese_headers(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("Nội dung;Kết luận;Đường dẫn;Ngày;Nguồn;Ghi chú\n"
                    "Ảnh công văn cho học sinh nghỉ học;cắt ghép;https://a.vn/b;2026-01-01;A;đã xác minh\n",
                    encoding="utf-8")
    (d,) = import_csv(path)
    assert d.verdict == "altered" and d.note == "đã xác minh" and d.source == "A"


def test_import_csv_reports_every_bad_row_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("claim,verdict,url,date,source\n"
                    "Một tin sai hợp lệ ở dòng hai,false,https://a.vn/1,2026-01-01,A\n"
                    ",false,https://a.vn/2,2026-01-01,A\n"
                    "Tin sai có kết luận lạ,đúng một nửa,https://a.vn/3,2026-01-01,A\n"
                    "\"Tin sai có ô nhiều dòng\nvà url hỏng\",false,ftp://a.vn/4,2026-13-01,A\n"
                    "Tin sai không có nguồn,false,,2026-01-01,\n"
                    "Tin sai ngày tương lai,false,https://a.vn/6,2999-01-01,A\n",
                    encoding="utf-8")
    with pytest.raises(DebunkError) as exc:
        import_csv(path)
    lines = {n for n, _ in exc.value.errors}
    assert lines == {3, 4, 5, 7, 8}
    msg = str(exc.value)
    assert "dòng 3: thiếu nội dung" in msg and "dòng 4: kết luận không hợp lệ" in msg
    assert "dòng 5: đường dẫn không hợp lệ" in msg and "dòng 5: ngày không hợp lệ" in msg
    assert "dòng 7: cần ít nhất" in msg and "dòng 8: ngày 2999-01-01 ở tương lai" in msg


def test_import_csv_header_and_encoding_errors(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("text,label\nabc,1\n", encoding="utf-8")
    with pytest.raises(DebunkError, match="thiếu cột claim, verdict"):
        import_csv(path)
    path.write_bytes(b"claim,verdict,url,date,source\nTin sai \xe0 \xe1 du dai,false,,,A\n")
    with pytest.raises(DebunkError, match="dòng 2: tệp không phải UTF-8"):
        import_csv(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(DebunkError, match="rỗng"):
        import_csv(path)
    assert isinstance(DebunkError("x", [(1, "y")]), ValueError)


# -- tingia.gov.vn ----------------------------------------------------------------------------------

def test_parse_sitemap() -> None:
    entries = parse_sitemap((TINGIA / "sitemap.xml").read_bytes())
    assert len(entries) == 5  # the repeated URL is dropped
    assert entries[0] == (_url(ART_DIEN, 91001), "2026-10-14") and entries[2][1] == "2026-11-02"
    index = (TINGIA / "sitemap_index.xml").read_text(encoding="utf-8")
    assert is_sitemap_index(index) and parse_sitemap(index)[1][0].endswith("2026-11.xml")
    assert parse_sitemap("<urlset><url><loc>https://a.vn/x</loc></url></urlset>") == [("https://a.vn/x", None)]
    with pytest.raises(ValueError, match="không phải sitemap"):
        parse_sitemap("<rss><channel/></rss>")
    with pytest.raises(ValueError, match="không phải XML"):
        parse_sitemap("<urlset><url>")


def test_parse_sitemap_does_not_resolve_entities() -> None:
    xml = ('<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           '<urlset><url><loc>https://a.vn/&x;</loc></url></urlset>')
    # the DOCTYPE is removed before parsing (crawlers/safexml.py): the strict importer then refuses
    # the undefined entity instead of reading anything
    with pytest.raises(ValueError, match="không phải XML"):
        parse_sitemap(xml)


def test_parse_tingia_articles() -> None:
    d = parse_tingia_article((TINGIA / f"{ART_DIEN}.html").read_bytes(), _url(ART_DIEN, 91001))
    assert d.claim == "cắt điện toàn tỉnh Bà Rịa – Vũng Tàu 3 ngày" and d.verdict == "false"
    assert d.date == "2026-10-14" and d.source == "Trung tâm Xử lý tin giả Việt Nam"
    assert d.id == "tingia-thong-tin-cat-dien-toan-tinh-ba-ria-vung-tau-3" and d.url == _url(ART_DIEN, 91001)
    assert d.aliases and "cắt điện liên tục 3 ngày" in d.aliases[0] and "kèm" not in d.aliases[0]
    d = parse_tingia_article((TINGIA / f"{ART_XE}.html").read_text(encoding="utf-8"), _url(ART_XE, 91002))
    assert d.claim == "xe máy trên 10 năm bị cấm lưu thông" and d.date == "2026-10-20"
    assert d.aliases == ["từ năm tới xe máy sử dụng trên 10 năm sẽ bị cấm lưu thông và bị thu hồi"]
    d = parse_tingia_article((TINGIA / f"{ART_HOC}.html").read_bytes(), _url(ART_HOC, 91003))
    assert d.verdict == "altered" and d.date == "2026-11-02"
    assert d.source == "Trung tâm Xử lý tin giả Việt Nam (tingia.gov.vn)"
    assert d.aliases == ["học sinh cả nước được nghỉ học một tuần vì nắng nóng"]
    with pytest.raises(ValueError, match="không có tiêu đề"):
        parse_tingia_article((TINGIA / "suc-khoe-cong-dong.html").read_bytes(), "https://tingia.gov.vn/suc-khoe-cong-dong/")


def test_parse_article_without_date_falls_back_to_trafilatura() -> None:
    html = ("<html><head><meta name='date' content='2026-05-04'></head><body><h1>Thông tin “Côn Đảo dừng đón "
            "khách du lịch” là sai sự thật</h1><div class='content-detail'><p>Ban quản lý khẳng định Côn Đảo vẫn đón "
            "khách bình thường, các chuyến bay hoạt động theo lịch.</p></div></body></html>")
    d = parse_tingia_article(html, "https://example.vn/tin/con-dao.html")
    assert d.claim == "Côn Đảo dừng đón khách du lịch" and d.source == "example.vn" and d.id == "example-con-dao"


@pytest.mark.parametrize(("title", "claim"), [
    ("Thông tin “Vũng Tàu cấm tắm biển từ ngày 1/12” là sai sự thật", "Vũng Tàu cấm tắm biển từ ngày 1/12"),
    ("Cảnh báo: tin đồn về việc uống nước đá gây vỡ mạch máu não", "uống nước đá gây vỡ mạch máu não"),
    ("Sự thật về thông tin Côn Đảo dừng đón khách", "Côn Đảo dừng đón khách"),
    ("Clip cá mập ở Long Hải là cắt ghép", "cá mập ở Long Hải"),
])
def test_claim_from_title(title: str, claim: str) -> None:
    assert claim_from_title(title) == claim


def test_import_tingia_reports_problems_per_url() -> None:
    debunks, errors = import_tingia((TINGIA / "sitemap.xml").read_bytes(), local_pages(TINGIA))
    assert [d.url for d in debunks] == [_url(ART_DIEN, 91001), _url(ART_XE, 91002), _url(ART_HOC, 91003)]
    assert dict(errors).keys() == {"https://tingia.gov.vn/suc-khoe-cong-dong/",
                                   "https://tingia.gov.vn/tin-tuc/bai-chua-luu-trong-fixture/91004/"}
    recent, _ = import_tingia((TINGIA / "sitemap.xml").read_bytes(), local_pages(TINGIA), since="2026-10-15")
    assert [d.date for d in recent] == ["2026-10-20", "2026-11-02"]
    limited, _ = import_tingia((TINGIA / "sitemap.xml").read_bytes(), local_pages(TINGIA), limit=1)
    assert len(limited) == 1
    with pytest.raises(ValueError, match="sitemap index"):
        import_tingia((TINGIA / "sitemap_index.xml").read_bytes(), local_pages(TINGIA))


def test_local_pages_stays_inside_its_folder(tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "secret.html").write_text("x", encoding="utf-8")
    (tmp_path / "pages" / "pages.tsv").write_text("https://a.vn/x\t../secret.html\n", encoding="utf-8")
    assert local_pages(tmp_path / "pages")("https://a.vn/x") is None


def test_import_file_dispatch_and_merge_into(tmp_path: Path) -> None:
    memory = tmp_path / "debunks.yaml"
    save_debunks(memory, load_debunks(REPO_ROOT / "config" / "debunks.yaml"))
    debunks, errors = import_file(TINGIA / "sitemap.xml")
    assert len(debunks) == 3 and len(errors) == 2
    first = merge_into(memory, debunks)
    assert len(first.added) == 3
    again = merge_into(memory, import_file(TINGIA / f"{ART_DIEN}.html")[0])
    assert again.added == [] and again.updated == [] and again.unchanged == ["tingia-thong-tin-cat-dien-toan-tinh-ba-ria-vung-tau-3"]
    before = memory.read_bytes()
    assert merge_into(memory, debunks).added == [] and memory.read_bytes() == before
    csv_path = tmp_path / "x.csv"
    csv_path.write_text("claim,verdict,url,date,source\nNước máy Vũng Tàu nhiễm khuẩn,false,,2026-01-01,A\n",
                        encoding="utf-8")
    dry = merge_into(memory, import_file(csv_path)[0], dry_run=True)
    assert dry.added and memory.read_bytes() == before
    assert import_file(memory)[0] == load_debunks(memory)
    with pytest.raises(ValueError, match="không nhận dạng"):
        import_file(tmp_path / "x.txt")


# -- evaluations on ../shared -----------------------------------------------------------------------

def test_vfnd_evaluations(shared_data: Path) -> None:
    from evaluation.framework import compute_metrics

    settings = Settings(shared_dir=shared_data.parent)
    results = {s.key: s.run(settings) for s in mi.evaluations(settings) if s.key.startswith("vfnd/")}
    shipped = compute_metrics(results["vfnd/fake_news"])
    research = compute_metrics(results["vfnd/fake_news@research-tfidf"])
    assert shipped["n"] == 226 and results["vfnd/fake_news"].shipped
    assert shipped["macro_f1"] >= 0.6 and shipped["auc"] >= 0.75
    assert not results["vfnd/fake_news@research-tfidf"].shipped
    assert research["macro_f1"] >= 0.8 and research["auc"] >= 0.9


def test_real_news_rarely_links(shared_data: Path) -> None:
    settings = Settings(shared_dir=shared_data.parent)
    clf = mi.build(settings)
    check = mi.real_news_check(settings, clf.suggest, clf.autolink)
    assert check is not None and check["n_docs"] >= 100
    assert check["auto_links"] == 0 and check["suggest_links"] <= 0.03 * check["n_docs"]
