"""Canonical URLs and near-duplicate clustering."""

from __future__ import annotations

import pytest

from pipeline import dedup
from pipeline.canonical import canonical_url
from pipeline.normalize import normalize_text


@pytest.mark.parametrize(("url", "expected"), [
    ("https://vnexpress.net/a-123.html?utm_source=rss&utm_medium=feed", "https://vnexpress.net/a-123.html"),
    ("https://m.vnexpress.net/a-123.html#box_comment", "https://vnexpress.net/a-123.html"),
    ("https://vnexpress.net/amp/thoi-su/a-123.html", "https://vnexpress.net/thoi-su/a-123.html"),
    ("https://amp.dantri.com.vn/xa-hoi/b-2022.htm?fbclid=X1", "https://dantri.com.vn/xa-hoi/b-2022.htm"),
    ("https://baomau.example/x/c-1.html/amp", "https://baomau.example/x/c-1.html"),
    ("https://BaoMau.example:443/x/c-1.html?b=2&a=1", "https://baomau.example/x/c-1.html?a=1&b=2"),
])
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


BASE = ("Sau trận mưa lớn chiều qua, nhiều tuyến đường ở phường Tam Thắng ngập sâu hơn nửa mét. "
        "Người dân phản ánh tình trạng này kéo dài nhiều năm nhưng chưa được giải quyết dứt điểm. "
        "Ông Nguyễn Văn A, một người dân, cho biết nước tràn vào nhà khiến đồ đạc hư hỏng. "
        "Đại diện UBND phường cho biết dự án chống ngập đang được triển khai và sẽ hoàn thành vào năm sau. "
        "Cơ quan chức năng đã cử lực lượng hỗ trợ người dân khơi thông cống rãnh.")


def test_syndicated_copy_is_near_duplicate() -> None:
    copy = BASE.replace("Sau trận mưa lớn chiều qua", "Chiều hôm qua, sau cơn mưa lớn").replace(
        " Cơ quan chức năng đã cử lực lượng hỗ trợ người dân khơi thông cống rãnh.", "")
    other = "Cảng Cái Mép – Thị Vải đón tàu container lớn nhất từ trước đến nay, nâng sản lượng hàng hóa thông qua."
    index = dedup.NearDuplicateIndex(threshold=0.6)
    index.add(1, dedup.signature(normalize_text(BASE)))
    assert index.best_match(dedup.signature(normalize_text(copy)))[0] == 1
    assert index.best_match(dedup.signature(normalize_text(other))) is None


def test_signature_roundtrip_and_hash() -> None:
    mh = dedup.signature(normalize_text(BASE))
    assert dedup.from_bytes(dedup.to_bytes(mh)).jaccard(mh) == 1.0
    assert dedup.content_hash("Hoà  Bình") == dedup.content_hash("hoà bình")
