"""Digest snapshot, escaping of scraped text, routing rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from alerts.digest import DigestData, DigestItem, build_digest
from mediawatch.settings import REPO_ROOT
from pipeline.triage import Routing, RoutingConfigError

SNAPSHOTS = Path(__file__).parent / "snapshots"


def _data(title: str = "Cảnh báo giả danh công an gọi điện “phạt nguội”") -> DigestData:
    item = DigestItem(
        id=1, title=title, url="https://baomau.example/phap-luat/a-100118.html", outlet="baomau.example",
        published="28/11/2026 06:30", priority=90, status="new", categories=["scam_fraud"],
        topics=["public_order"], places=["Phường Vũng Tàu"],
        explanations=["Lừa đảo 1.00 — từ khóa: giả danh công an, mã OTP"], suggested_unit="Công an tỉnh",
        cluster_size=2)
    concern = DigestItem(
        id=2, title="Người dân Tam Thắng phản ánh ngập úng", url="https://baomau.example/xa-hoi/b-100123.html",
        outlet="baomau.example", published="27/11/2026 10:00", priority=56, status="new",
        categories=["public_concern"], topics=["disasters_weather"], places=["Phường Tam Thắng"],
        explanations=["Phản ánh, kiến nghị của người dân 0.94 — từ khóa: phản ánh"], suggested_unit="Sở TT&TT",
        cluster_size=1)
    return DigestData(run_id=7, generated_at="29/11/2026 07:00", date_label="29/11/2026",
                      status_counts={"ok": 12, "dup-url": 8, "off-area": 3}, triage_status_counts={"new": 2},
                      sources_failed=[{"source": "x", "name": "Nguồn X", "error": "HTTP 500"}],
                      items=[item, concern], open_items=2, file_date="2026-11-29", topic_labels={"public_order": "An ninh, trật tự",
                                                           "disasters_weather": "Thiên tai, thời tiết"})


@pytest.mark.parametrize("kind", ["html", "txt"])
def test_digest_snapshot(kind: str) -> None:
    subject, html, text = build_digest(_data())
    assert "29/11/2026" in subject
    rendered = html if kind == "html" else text
    path = SNAPSHOTS / f"digest.{kind}"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def test_scraped_title_is_escaped_in_html() -> None:
    _, html, _ = build_digest(_data('<script>alert(1)</script><img src=x onerror="alert(2)">'))
    assert "<script>alert(1)" not in html and "onerror=\"alert" not in html
    assert "&lt;script&gt;" in html


def test_routing_refuses_police_for_public_concern(tmp_path: Path) -> None:
    text = (REPO_ROOT / "config" / "routing.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "routing.yaml"
    bad.write_text(text.replace("public_concern: so-tttt", "public_concern: cong-an"), encoding="utf-8")
    with pytest.raises(RoutingConfigError, match="public_concern"):
        Routing.load(bad)


def test_default_routing_is_valid() -> None:
    routing = Routing.load(REPO_ROOT / "config" / "routing.yaml")
    police = {u["code"] for u in routing.units if u.get("is_police")}
    assert {c for c, u in routing.routes.items() if u in police} == {"scam_fraud", "threat_violence"}
