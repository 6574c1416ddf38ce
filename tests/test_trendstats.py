"""reports.trendstats (spikes, emerging phrases) and reports.charts (PNG rendering)."""

from __future__ import annotations

import base64
import datetime as dt
import re
import struct

import pytest

from reports import charts, trendstats
from reports.trendstats import Phrase, Spike, detect_fast_spikes, detect_spikes, emerging_phrases

# --------------------------------------------------------------------------------------------------
# Spikes
# --------------------------------------------------------------------------------------------------


def test_spike_on_jump() -> None:
    series = {"sạt lở": [2, 1, 3, 2, 2, 1, 2, 3, 2, 2, 1, 2, 3, 2, 15], "giao thông": [5] * 14 + [6]}
    spikes = detect_spikes(series)
    assert [s.key for s in spikes] == ["sạt lở"]
    s = spikes[0]
    assert isinstance(s, Spike)
    assert s.count == 15
    assert s.baseline_mean == pytest.approx(2.0)
    assert s.score == pytest.approx((15 - 2.0) / max(0.6546537, 2.0**0.5, 1.0), rel=1e-4)
    assert s.ratio == pytest.approx(7.5)


def test_no_spike_on_flat_or_noisy_series() -> None:
    series = {
        "flat": [4] * 15,
        "flat-plus-one": [4] * 14 + [6],  # sigma 0 would give z = inf without the Poisson floor
        "noisy": [3, 7, 2, 8, 4, 6, 5, 3, 7, 2, 8, 4, 6, 5, 9],
    }
    assert detect_spikes(series) == []


def test_zero_to_one_is_not_a_spike_even_without_min_count() -> None:
    assert detect_spikes({"quiet": [0] * 14 + [1]}) == []
    assert detect_spikes({"quiet": [0] * 14 + [2]}, min_count=1) == []  # z = 2 / 1.0 < 3
    assert [s.key for s in detect_spikes({"quiet": [0] * 14 + [3]})] == ["quiet"]  # z = 3.0 >= 3


def test_min_count_blocks_small_absolute_counts() -> None:
    series = {"rare": [0] * 14 + [4]}
    assert detect_spikes(series, min_count=5) == []
    assert [s.key for s in detect_spikes(series, min_count=4)] == ["rare"]


def test_baseline_window_and_ordering() -> None:
    # Only the last `baseline_days` values before today count: an old burst is outside the window.
    series = {"a": [50, 50, 50] + [1] * 14 + [10], "b": [1] * 14 + [20], "c": [9]}
    spikes = detect_spikes(series, baseline_days=14)
    assert [s.key for s in spikes] == ["b", "a"]  # sorted by score; "c" has no baseline
    assert spikes[1].baseline_mean == pytest.approx(1.0)
    assert detect_spikes({"a": [50, 50, 50] + [1] * 14 + [10]}, baseline_days=17) == []


def test_negative_counts_rejected() -> None:
    with pytest.raises(ValueError):
        detect_spikes({"bad": [1, -1, 2, 9]})


def test_fast_spikes_use_the_previous_hours() -> None:
    hourly = {"cháy chợ": [0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 9], "thời tiết": [3, 4, 2, 3, 5, 3, 4, 2, 3, 4, 3, 3, 5]}
    spikes = detect_fast_spikes(hourly)
    assert [s.key for s in spikes] == ["cháy chợ"]
    assert spikes[0].baseline_mean == pytest.approx(4 / 12)
    # A spike 13 hours ago is outside the 12-hour baseline and does not mask the new one.
    assert detect_fast_spikes({"k": [40] + [0] * 12 + [5]})[0].baseline_mean == 0.0
    assert detect_fast_spikes({"k": [40] + [0] * 12 + [5]}, baseline_hours=13) == []


# --------------------------------------------------------------------------------------------------
# Emerging phrases
# --------------------------------------------------------------------------------------------------

_BACKGROUND_SENTENCES = [
    "Ủy ban nhân dân tỉnh tổ chức hội nghị tổng kết công tác cải cách hành chính.",
    "Giá xăng dầu trong nước tiếp tục giảm theo xu hướng thế giới.",
    "Sở Giáo dục và Đào tạo công bố lịch thi tuyển sinh lớp mười.",
    "Nông dân thu hoạch lúa vụ hè thu, năng suất đạt khá.",
    "Công an huyện triệu tập đối tượng đăng tin sai sự thật lên mạng xã hội.",
    "Bệnh viện đa khoa tỉnh tiếp nhận thiết bị y tế hiện đại.",
    "Thành phố đầu tư nâng cấp tuyến đường ven biển phục vụ du lịch.",
    "Doanh nghiệp xuất khẩu thủy sản gặp khó khăn về đơn hàng.",
]
_INJECTED = "Hiện tượng cá chết hàng loạt xuất hiện trên sông Thạch Hãn, người dân lo lắng."


def _corpora() -> tuple[list[str], list[str]]:
    n = len(_BACKGROUND_SENTENCES)
    background = [" ".join(_BACKGROUND_SENTENCES[(i + k) % n] for k in range(3)) for i in range(24)]
    current = [" ".join(_BACKGROUND_SENTENCES[(i + k) % n] for k in range(2)) for i in range(8)]
    for i in range(0, 8, 2):  # the new story is in 4 of the 8 current documents, in no background one
        current[i] += " " + _INJECTED
    return current, background


def test_underthesea_segmenter_works_offline() -> None:
    # conftest sets HF_HUB_OFFLINE=1; the CRF model ships inside the underthesea wheel.
    assert trendstats.segmenter_name() == "underthesea"


def test_emerging_phrases_find_the_injected_story() -> None:
    current, background = _corpora()
    phrases = emerging_phrases(current, background, top=5)
    assert phrases and all(isinstance(p, Phrase) for p in phrases)
    texts = [p.text for p in phrases]
    assert any("cá chết" in t or "thạch hãn" in t or "hàng loạt" in t for t in texts[:3]), texts
    for p in phrases:
        assert p.count_current >= 3 and p.count_background == 0 and p.z > 0
    assert [p.z for p in phrases] == sorted((p.z for p in phrases), reverse=True)
    # Stopwords, numbers and punctuation never form phrases.
    assert not any(t in trendstats.STOPWORDS for t in texts)
    assert all(re.fullmatch(r"[^\W\d_]+( [^\W\d_]+)+", t) for t in texts), texts


def test_emerging_phrases_deterministic_and_bounded() -> None:
    current, background = _corpora()
    first = emerging_phrases(current, background, top=3)
    assert first == emerging_phrases(list(current), list(background), top=3)
    assert len(first) <= 3
    assert emerging_phrases(current, background, min_count=5) == []  # the story is in only 4 documents
    assert emerging_phrases([], background) == []
    assert emerging_phrases(current, []) == []  # nothing to compare against


def test_emerging_phrases_truncate_long_documents() -> None:
    current, background = _corpora()
    padded = [("Ủy ban nhân dân tỉnh họp. " * 400) + doc for doc in current]  # story beyond 5,000 chars
    assert all(len(d) > trendstats.MAX_DOC_CHARS for d in padded)
    texts = [p.text for p in emerging_phrases(padded, background)]
    assert not any("thạch hãn" in t or "cá chết" in t for t in texts)


def test_emerging_phrases_syllable_bigram_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trendstats, "_segmenter", lambda: ("syllable-bigrams", None))
    assert trendstats.segmenter_name() == "syllable-bigrams"
    current, background = _corpora()
    texts = [p.text for p in emerging_phrases(current, background, top=5)]
    assert any(t in {"cá chết", "thạch hãn", "hàng loạt", "sông thạch"} for t in texts), texts


# --------------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------------


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    try:
        import io

        from PIL import Image
    except ImportError:
        return width, height
    with Image.open(io.BytesIO(png)) as img:
        img.verify()
        assert img.size == (width, height)
    return width, height


def test_volume_chart_png() -> None:
    days = [dt.date(2024, 9, 1) + dt.timedelta(days=i) for i in range(28)]
    series = {f"Chủ đề {i}: sạt lở ở Hướng Hóa, Đắk Rông": [(i * 7 + d * 3) % 11 for d in range(28)] for i in range(11)}
    png = charts.volume_chart(days, series, "Số bài theo chủ đề — tuần 36 (Ủy ban nhân dân tỉnh)")
    assert png.startswith(b"\x89PNG")
    assert _png_size(png) == (800, 400)
    assert png == charts.volume_chart(days, series, "Số bài theo chủ đề — tuần 36 (Ủy ban nhân dân tỉnh)")
    assert _png_size(charts.volume_chart([], {}, "Trống")) == (800, 400)
    with pytest.raises(ValueError):
        charts.volume_chart(days, {"x": [1, 2]}, "sai độ dài")


def test_bar_chart_png() -> None:
    labels = ["Sạt lở đất", "Dịch sốt xuất huyết", "Giao thông – tai nạn nghiêm trọng trên quốc lộ 9 kéo dài"]
    png = charts.bar_chart(labels, [12, 7, 0], [4.5, 8.25, 1.0], "Chủ đề nổi bật tuần này")
    assert _png_size(png) == (800, 400)
    custom = charts.bar_chart(labels, [1, 2, 3], [0.0, 0.0, 0.0], "Nguồn tin", "Kỳ này", "Kỳ trước")
    assert _png_size(custom) == (800, 400)
    assert _png_size(charts.bar_chart([], [], [], "Trống")) == (800, 400)
    with pytest.raises(ValueError):
        charts.bar_chart(labels, [1], [1.0, 2.0, 3.0], "sai độ dài")


def test_many_charts_do_not_leak_figures() -> None:
    import gc

    from matplotlib.figure import Figure

    def live_figures() -> int:
        gc.collect()
        return sum(isinstance(o, Figure) for o in gc.get_objects())

    before = live_figures()
    for _ in range(21):  # pyplot would warn (an error here) after 20 open figures
        charts.bar_chart(["a"], [1], [0.5], "Lặp")
    assert live_figures() == before


def test_png_data_uri() -> None:
    png = charts.bar_chart(["Đà Nẵng"], [3], [1.5], "Thử")
    uri = charts.png_data_uri(png)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == png
    with pytest.raises(ValueError):
        charts.png_data_uri(b"GIF89a")
