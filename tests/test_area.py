"""Area relevance: gazetteer matching, ambiguity and supporting context."""

from __future__ import annotations

import json

import pytest

from mediawatch.settings import REPO_ROOT
from pipeline.area import Gazetteer
from pipeline.normalize import normalize_text


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load(REPO_ROOT / "config/gazetteer.yaml", REPO_ROOT / "config/area.yaml")


def _rel(gaz: Gazetteer, text: str) -> bool:
    return gaz.match("", normalize_text(text)).relevant


@pytest.mark.parametrize("text", [
    "Tàu Hải Thành 26 chìm ở vùng biển Vũng Tàu, 9 thủy thủ mất tích.",
    "Người dân phường Tam Thắng phản ánh ngập úng.",
    "UBND tỉnh Bà Rịa – Vũng Tàu họp báo.",
    "Khu vực BR-VT cũ đón 2 triệu lượt khách.",
    "Ba Ria - Vung Tau tang truong kinh te",  # no diacritics
    "Thị xã Phú Mỹ thu hút đầu tư vào khu công nghiệp.",
    "Tổ hợp hóa dầu Long Sơn vận hành thương mại.",
    "xã Long Sơn, TP.HCM có tổ hợp hóa dầu.",
    "Sân bay Côn Đảo được nâng cấp.",
    "Cuối tuần, bãi biển Hồ Tràm đông khách.",
    "Ngập sâu ở phường Tam Thắng, TP.HCM (khu vực Vũng Tàu cũ).",
])
def test_area_items_are_kept(gaz: Gazetteer, text: str) -> None:
    assert _rel(gaz, text)


@pytest.mark.parametrize("text", [
    "Tỷ phú Mỹ Elon Musk đầu tư vào trí tuệ nhân tạo.",
    "Một tỷ phú Mỹ vừa mua lại hãng xe.",
    "Ùn tắc trên cầu Phú Mỹ và khu đô thị Phú Mỹ Hưng, Quận 7.",
    "Nông dân xã Long Sơn, huyện Anh Sơn, Nghệ An trúng mùa chè.",
    "Du khách tham quan Kim Long, Huế.",
    "Thị trấn Phú Mỹ, huyện Phú Tân, An Giang.",
    "Đất đỏ bazan thích hợp trồng cà phê.",
    "TP.HCM khởi công nhà ga T3 Tân Sơn Nhất.",
])
def test_confusables_are_not_area(gaz: Gazetteer, text: str) -> None:
    assert not _rel(gaz, text)


def test_ambiguous_name_needs_context(gaz: Gazetteer) -> None:
    alone = gaz.match("", normalize_text("Lễ hội ở Long Hải thu hút người dân."))
    assert not alone.relevant and alone.matches and not alone.matches[0].accepted
    supported = gaz.match("", normalize_text("Lễ hội ở Long Hải (Bà Rịa – Vũng Tàu) thu hút người dân."))
    assert supported.relevant
    long_hai = [m for m in supported.matches if "Long Hải" in m.matched_text][0]
    assert long_hai.accepted and "supported by" in long_hai.evidence


def test_old_style_tones_match(gaz: Gazetteer) -> None:
    assert _rel(gaz, "Xã Hoà Hội, huyện Xuyên Mộc, Bà Rịa - Vũng Tàu")


def test_shared_excerpts_precision_recall(gaz: Gazetteer, shared_corpus) -> None:  # type: ignore[no-untyped-def]
    tp = fp = fn = 0
    for line in (shared_corpus / "excerpts" / "pages_corpus_brvt.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec["relevance"] == "brvt-keyword-only":
            continue
        gold = rec["relevance"] in ("brvt", "brvt-misinformation", "brvt-partial")
        got = gaz.match("", normalize_text(rec["excerpt"])).relevant
        tp, fp, fn = tp + (got and gold), fp + (got and not gold), fn + (gold and not got)
    assert tp / (tp + fp) >= 0.97 and tp / (tp + fn) >= 0.95, (tp, fp, fn)
