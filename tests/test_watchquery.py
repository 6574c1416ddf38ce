"""Tests for alerts.watchquery (watchlist query language)."""

from __future__ import annotations

import unicodedata

import pytest

from alerts.watchquery import Match, PreparedText, Query, QueryError, parse, prepare


def hit(query: str, text: str) -> bool:
    return parse(query).matches(text) is not None


def highlighted(query: str, text: str) -> list[str]:
    m = parse(query).matches(text)
    assert m is not None
    return [text[s:e] for s, e in m.spans]


# --------------------------------------------------------------------------
# structure: precedence, implicit AND, normalized form
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "normalized"),
    [
        ("bão lũ", "bão AND lũ"),
        ("a OR b c", "a OR b AND c"),
        ("a b OR c", "a AND b OR c"),
        ("(a OR b) c", "(a OR b) AND c"),
        ("a AND (b AND c)", "a AND b AND c"),
        ("((a))", "a"),
        ("a NOT b", "a AND NOT b"),
        ("NOT NOT a", "a"),
        ("a NOT (b OR c)", "a AND NOT (b OR c)"),
        ("a NEAR/3 b c", "a NEAR/3 b AND c"),
        ("a OR b NEAR/3 c", "a OR b NEAR/3 c"),
        ("x NOT (a NEAR/2 b)", "x AND NOT (a NEAR/2 b)"),
        ('  "cầu   Phú Mỹ"   OR  “Phu My” ', '"cầu Phú Mỹ" OR "Phu My"'),
        ('"AND" a', '"AND" AND a'),
        ("and or not near", "and AND or AND not AND near"),  # lower case: plain words
    ],
)
def test_normalized_form_round_trips(query: str, normalized: str) -> None:
    q = parse(query)
    assert str(q) == normalized
    assert parse(str(q)) == q
    assert str(parse(str(q))) == normalized


def test_implicit_and_equals_explicit() -> None:
    assert parse("bão lũ miền Trung") == parse("bão AND lũ AND miền AND Trung")


def test_precedence_and_over_or() -> None:
    q = "a OR b c"  # a OR (b AND c)
    assert hit(q, "a")
    assert hit(q, "b c")
    assert not hit(q, "b")
    assert not hit(q, "c")


def test_precedence_not_over_and() -> None:
    q = "a NOT b c"  # a AND (NOT b) AND c
    assert hit(q, "a c")
    assert not hit(q, "a b c")
    assert not hit(q, "a")


def test_precedence_near_over_and_and_or() -> None:
    q = "x OR a NEAR/1 b c"  # x OR ((a NEAR/1 b) AND c)
    assert hit(q, "x")
    assert hit(q, "a b c")
    assert not hit(q, "a b")
    assert not hit(q, "a q q q b c")


def test_not_binds_tighter_than_near() -> None:
    # NOT a NEAR/2 b would be (NOT a) NEAR/2 b: rejected with a hint, parentheses make it valid.
    with pytest.raises(QueryError) as err:
        parse("x NOT a NEAR/2 b")
    assert err.value.position == 8
    assert "NOT (a NEAR/5 b)" in err.value.message_vi
    q = parse("x NOT (a NEAR/2 b)")
    assert hit("x NOT (a NEAR/2 b)", "x a q q q b")
    assert q.matches("x a b") is None


def test_parentheses() -> None:
    q = "(xăng OR dầu) giá"
    assert hit(q, "Giá xăng tăng")
    assert hit(q, "giá dầu")
    assert not hit(q, "xăng dầu")


def test_or_of_negations_with_positive_branch() -> None:
    q = "(a NOT b) OR (c NOT d)"
    assert hit(q, "a d")
    assert hit(q, "c b")
    assert not hit(q, "a b c d")


# --------------------------------------------------------------------------
# terms, phrases, folding, syllable boundaries
# --------------------------------------------------------------------------


def test_phrase_needs_adjacent_syllables_in_order() -> None:
    q = '"cầu Phú Mỹ"'
    assert hit(q, "Thông xe cầu Phú Mỹ hôm qua")
    assert not hit(q, "cầu ở Phú Mỹ")
    assert not hit(q, "Phú Mỹ cầu")
    assert hit("cầu Phú Mỹ", "cầu ở Phú Mỹ")  # unquoted: three terms anywhere


def test_punctuation_between_syllables_is_ignored() -> None:
    assert hit('"TP HCM"', "Tại TP.HCM hôm nay")
    assert hit("COVID-19", "dịch Covid 19")
    assert hit('"Phú Mỹ"', "Phú-Mỹ")
    assert not hit("COVID-19", "covid 20")


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("phu my", "Cầu Phú Mỹ"),
        ("PHÚ MỸ", "cầu phú mỹ"),
        ("Phú Mỹ", "CAU PHU MY"),
        ("duong", "Đường Trường Sơn"),
        ("Đường", "duong truong son"),
        ("đồng", "ĐỒNG NAI"),
        ("hoa", "Hoà Bình"),
        ("hòa", "hoà"),  # both tone placements
        ("thuy", "Thủy điện"),
        ('"tin gia"', "Tin giả lan truyền"),
        ("Phú", unicodedata.normalize("NFD", "cầu Phú Mỹ")),  # decomposed text
        (unicodedata.normalize("NFD", "Phú"), "cầu Phú Mỹ"),  # decomposed query
    ],
)
def test_diacritic_and_case_insensitive(query: str, text: str) -> None:
    assert hit(query, text)


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("my", "Khu công nghiệp Phú Mỹ Xuân", True),
        ("hu", "Phú Mỹ", False),
        ("phu", "Phúc Lợi", False),
        ("Phúc", "Phú", False),
        ('"Phú Mỹ"', "Phú Mỹ Hưng", True),
        ('"ú Mỹ"', "Phú Mỹ", False),
        ("ha", "Hà Nội", True),
        ("ha", "Hàng Bông", False),
        ("19", "COVID-19", True),
        ("covid19", "COVID-19", False),
    ],
)
def test_syllable_boundaries(query: str, text: str, expected: bool) -> None:
    assert hit(query, text) is expected


def test_empty_and_punctuation_only_text() -> None:
    assert parse("a").matches("") is None
    assert parse("a").matches("... !!! ---") is None


# --------------------------------------------------------------------------
# NEAR
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bão lũ", True),  # adjacent
        ("lũ bão", True),  # reverse order
        ("bão x y z lũ", True),  # 3 between: boundary
        ("lũ x y z bão", True),
        ("bão x y z w lũ", False),  # 4 between
        ("lũ x y z w bão", False),
        ("bão x y z w lũ ... bão", True),  # a later pair is close enough
        ("bão", False),
        ("lũ", False),
    ],
)
def test_near_distance_both_orders(text: str, expected: bool) -> None:
    assert hit("bão NEAR/3 lũ", text) is expected


def test_near_with_phrases_counts_syllables_between() -> None:
    q = '"Bộ Y tế" NEAR/2 "vắc xin"'
    assert hit(q, "Bộ Y tế phân bổ vắc xin")
    assert hit(q, "vắc xin do Bộ Y tế")
    assert not hit(q, "Bộ Y tế đã phân bổ vắc xin")
    assert not hit(q, "Bộ Y vắc xin tế")


def test_near_needs_two_separate_occurrences() -> None:
    assert not hit("bão NEAR/5 bão", "cơn bão")
    assert hit("bão NEAR/5 bão", "bão chồng bão")
    assert not hit('phú NEAR/3 "phú mỹ"', "phú mỹ")  # overlapping occurrence does not count
    assert hit('phú NEAR/3 "phú mỹ"', "phú mỹ phú")


def test_near_spans_are_the_close_occurrences_only() -> None:
    text = "bão a b c lũ x y z bão lũ"
    m = parse("bão NEAR/1 lũ").matches(text)
    assert m is not None
    assert m.terms == ["bão", "lũ"]
    assert m.spans == [(19, 22), (23, 25)]
    assert [text[s:e] for s, e in m.spans] == ["bão", "lũ"]


# --------------------------------------------------------------------------
# NOT
# --------------------------------------------------------------------------


def test_not_excludes() -> None:
    q = 'bão NOT "tin giả"'
    assert hit(q, "bão số 3")
    assert not hit(q, "Tin giả về bão số 3")
    assert hit(q, "bão, tin tức giả")  # the phrase, not its syllables


def test_not_terms_are_not_positive_and_never_reported() -> None:
    q = parse('bão NOT "tin giả" NOT (lũ OR NOT sạt)')
    assert q.positive_terms() == ["bão", "sạt"]
    m = q.matches("bão sạt lở")
    assert m == Match(terms=["bão", "sạt"], spans=[(0, 3), (4, 7)])


def test_double_negation_under_or_reports_the_term() -> None:
    q = parse("x OR NOT (NOT b OR c)")  # x OR (b AND NOT c)
    assert q.positive_terms() == ["x", "b"]
    assert q.matches("b") == Match(terms=["b"], spans=[(0, 1)])
    assert q.matches("b c") is None


# --------------------------------------------------------------------------
# Match contents and spans
# --------------------------------------------------------------------------


def test_match_terms_as_written_in_query_order() -> None:
    q = parse('lũ OR "Cầu  Phú Mỹ" OR bao OR lũ')
    m = q.matches("BÃO lớn, lũ về cầu Phú Mỹ")
    assert m is not None
    assert m.terms == ["lũ", "Cầu Phú Mỹ", "bao"]
    assert q.positive_terms() == ["lũ", "Cầu Phú Mỹ", "bao"]


def test_spans_every_occurrence_sorted() -> None:
    text = "Bão, rồi lại bão; BÃO!"
    assert highlighted("bao", text) == ["Bão", "bão", "BÃO"]
    m = parse("bao").matches(text)
    assert m is not None
    assert m.spans == [(0, 3), (13, 16), (18, 21)]


def test_phrase_span_covers_the_whole_phrase() -> None:
    text = "Tại TP.HCM, cầu  Phú Mỹ thông xe"
    assert highlighted('"TP HCM" "cầu Phú Mỹ"', text) == ["TP.HCM", "cầu  Phú Mỹ"]


def test_or_reports_only_branches_that_hold() -> None:
    m = parse("(a b) OR c").matches("a c")
    assert m == Match(terms=["c"], spans=[(2, 3)])


def test_spans_map_back_to_decomposed_text() -> None:
    text = unicodedata.normalize("NFD", "Đường Hồ Chí Minh qua Đắk Lắk")
    assert len(text) > len(unicodedata.normalize("NFC", text))
    got = highlighted('duong "ho chi minh" OR dak', text)
    assert [unicodedata.normalize("NFC", s) for s in got] == ["Đường", "Hồ Chí Minh", "Đắk"]
    got = highlighted('"Dak Lak" OR zzz', text)
    assert [unicodedata.normalize("NFC", s) for s in got] == ["Đắk Lắk"]
    assert got[0] == text[-len(got[0]) :]  # slice of the original, combining marks included


def test_spans_with_d_stroke_and_mixed_forms() -> None:
    text = "ĐÀ NẴNG và đà nẵng và Da Nang"
    assert highlighted('"đà nẵng"', text) == ["ĐÀ NẴNG", "đà nẵng", "Da Nang"]
    text = "Thủ tướng: “Đảm bảo an toàn”"
    assert highlighted("dam bao", text) == ["Đảm", "bảo"]


def test_invisible_joiners_stay_inside_a_syllable() -> None:
    assert highlighted("phumy", "Phú\u00adMỹ") == ["Phú\u00adMỹ"]  # soft hyphen joins
    assert hit("phu", "Ph\u200dú") and not hit("ph", "Ph\u200dú")  # zero-width joiner joins
    assert hit("ph", "Ph\u200bú")  # zero-width space separates


# --------------------------------------------------------------------------
# Prepared text reused across queries
# --------------------------------------------------------------------------


def test_prepared_text_matches_like_str() -> None:
    text = "Bão số 3 gây lũ ở Đồng Nai; tin giả lan truyền."
    pt = prepare(text)
    assert isinstance(pt, PreparedText)
    queries = ["bão lũ", '"tin giả"', "dong nai NOT bao", "số NEAR/1 lũ", "3 NEAR/2 lũ", "x OR y"]
    for q in queries:
        assert parse(q).matches(pt) == parse(q).matches(text), q
    assert pt.syllables[:3] == ["bao", "so", "3"]
    assert pt.text[pt.starts[0] : pt.ends[0]] == "Bão"


def test_bad_argument_types() -> None:
    with pytest.raises(TypeError):
        parse(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        prepare(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse("a").matches(42)  # type: ignore[arg-type]


def test_query_is_hashable_and_compares_structurally() -> None:
    assert parse("a b") == parse("a  AND  b")
    assert parse("a b") != parse("b a")
    assert len({parse("a b"), parse("a AND b")}) == 1
    assert isinstance(parse("a"), Query)
    assert parse("a b").source == "a b"


# --------------------------------------------------------------------------
# errors: position, English str(), Vietnamese message
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "position", "en", "vi"),
    [
        ("", 0, "empty", "Truy vấn đang trống"),
        ("   ", 0, "empty", "Truy vấn đang trống"),
        ("(bão lũ", 0, "Missing closing parenthesis", "Thiếu dấu ngoặc đóng"),
        ("bão (lũ OR (sạt lở)", 4, "Missing closing parenthesis", "Thiếu dấu ngoặc đóng"),
        ("bão (", 4, "Missing closing parenthesis", "Thiếu dấu ngoặc đóng"),
        ("bão lũ)", 6, "Unmatched closing parenthesis", "không có dấu ngoặc mở"),
        (")", 0, "Unmatched closing parenthesis", "không có dấu ngoặc mở"),
        ("(a) b)", 5, "Unmatched closing parenthesis", "không có dấu ngoặc mở"),
        ("a ()", 2, "Empty parentheses", "không chứa gì"),
        ('bão "tin giả', 4, "Missing closing quote", "Thiếu dấu ngoặc kép đóng"),
        ('bão ""', 4, "no letters or digits", "không có chữ cái hay chữ số"),
        ('bão " ... "', 4, "no letters or digits", "không có chữ cái hay chữ số"),
        ("bão ...", 4, "no letters or digits", "không có chữ cái hay chữ số"),
        ("bão AND", 4, "AND at position 4 is missing its right operand", "thiếu từ khóa phía sau"),
        ("bão OR", 4, "right operand", "thiếu từ khóa phía sau"),
        ("bão OR )", 4, "right operand", "thiếu từ khóa phía sau"),
        ("(bão OR) lũ", 5, "right operand", "thiếu từ khóa phía sau"),
        ("bão AND OR lũ", 4, "right operand", "thiếu từ khóa phía sau"),
        ("bão NOT", 4, "NOT at position 4 is missing its right operand", "thiếu từ khóa phía sau"),
        ("bão NEAR/3", 4, "NEAR/3 at position 4 is missing its right operand", "thiếu từ khóa phía sau"),
        ("AND bão", 0, "missing its left operand", "thiếu từ khóa phía trước"),
        ("(OR bão)", 1, "missing its left operand", "thiếu từ khóa phía trước"),
        ("NEAR/2 bão", 0, "missing its left operand", "thiếu từ khóa phía trước"),
        ("bão NEAR lũ", 4, "needs a distance", "cần có khoảng cách"),
        ("bão NEAR/ lũ", 4, "needs a distance", "cần có khoảng cách"),
        ("bão NEAR/x lũ", 4, "whole number from 1 to 50", "số nguyên từ 1 đến 50"),
        ("bão NEAR/2.5 lũ", 4, "whole number from 1 to 50", "số nguyên từ 1 đến 50"),
        ("bão NEAR/-1 lũ", 4, "whole number from 1 to 50", "số nguyên từ 1 đến 50"),
        ("bão NEAR/0 lũ", 4, "whole number from 1 to 50", "số nguyên từ 1 đến 50"),
        ("bão NEAR/51 lũ", 4, "whole number from 1 to 50", "số nguyên từ 1 đến 50"),
        ("(a OR b) NEAR/3 c", 9, "must be a term or a quoted phrase", "phải là từ khóa hoặc cụm từ"),
        ("a NEAR/3 NOT b", 2, "must be a term or a quoted phrase", "phải là từ khóa hoặc cụm từ"),
        ("a NEAR/3 b NEAR/3 c", 11, "cannot be chained", "Không thể nối tiếp nhiều NEAR"),
        ("NOT bão", 0, "none of its terms", "không chứa từ khóa nào"),
        ("NOT bão NOT lũ", 0, "none of its terms", "không chứa từ khóa nào"),
        ("NOT (bão lũ)", 0, "none of its terms", "không chứa từ khóa nào"),
        ("bão OR NOT lũ", 7, "none of its terms", "không chứa từ khóa nào"),
        ("bão*", 3, "Wildcard", "ký tự đại diện"),
        ('"cầu Phú*"', 8, "Wildcard", "ký tự đại diện"),
        ("-bão", 0, "leading '-'", "hãy dùng NOT"),
    ],
)
def test_errors(query: str, position: int, en: str, vi: str) -> None:
    with pytest.raises(QueryError) as err:
        parse(query)
    e = err.value
    assert isinstance(e, ValueError)
    assert e.position == position
    assert en in str(e)
    assert vi in e.message_vi
    assert f"ký tự thứ {position + 1}" in e.message_vi or position == 0 and "trống" in e.message_vi
    assert e.message_vi == unicodedata.normalize("NFC", e.message_vi)


def test_error_message_example() -> None:
    with pytest.raises(QueryError) as err:
        parse("bão OR (lũ sạt")
    assert err.value.position == 7
    assert str(err.value) == "Missing closing parenthesis for '(' at position 7"
    assert err.value.message_vi == "Thiếu dấu ngoặc đóng “)” cho dấu ngoặc mở ở ký tự thứ 8."


def test_errors_come_in_left_to_right_order() -> None:
    with pytest.raises(QueryError) as err:
        parse(") bão*")
    assert err.value.position == 0


def test_query_length_limit() -> None:
    ok = "(" + " OR ".join(["bão"] * 10) + ")"
    ok = ok + " " * (1000 - len(ok))
    assert len(ok) == 1000
    parse(ok)
    with pytest.raises(QueryError) as err:
        parse(ok + "x")
    assert err.value.position == 1000
    assert "1000" in err.value.message_vi


def test_term_count_limit() -> None:
    terms = [f"t{i}" for i in range(51)]
    parse(" OR ".join(terms[:50]))
    query = " OR ".join(terms)
    with pytest.raises(QueryError) as err:
        parse(query)
    assert err.value.position == query.index("t50")
    assert "50 từ khóa" in err.value.message_vi


def test_nesting_limit_instead_of_recursion_error() -> None:
    with pytest.raises(QueryError) as err:
        parse("(" * 200 + "a" + ")" * 200)
    assert err.value.position == 50
    parse("(" * 50 + "a" + ")" * 50)
    assert str(parse("NOT " * 101 + "a b")) == "NOT a AND b"


def test_error_is_raised_for_every_limit_not_a_crash() -> None:
    for query in ["NOT " * 250, "(" * 999, '"' * 999, ")" * 999, "a " * 500]:
        with pytest.raises(QueryError):
            parse(query)


# --------------------------------------------------------------------------
# performance sanity
# --------------------------------------------------------------------------


def test_large_text_many_terms() -> None:
    words = "Cơn bão số 3 đổ bộ vào Quảng Ninh gây mưa lớn , lũ quét và sạt lở đất ở nhiều tỉnh miền núi phía Bắc .".split()
    text = " ".join(words[i % len(words)] for i in range(14000))
    assert len(text) > 50_000
    query = (
        '("bão số 3" OR "áp thấp" OR "siêu bão") AND (lũ OR "sạt lở" OR "ngập lụt" OR mưa) '
        'AND (Quảng NEAR/5 Ninh OR "Hải Phòng" OR "Lào Cai" OR "Yên Bái") NOT ("tin giả" OR "bịa đặt" OR diễn tập)'
        ' OR "mưa lớn" NEAR/3 "lũ quét" OR thiệt hại'
    )
    q = parse(query)
    assert len(q.positive_terms()) >= 15
    pt = prepare(text)
    m = q.matches(pt)
    assert m is not None
    assert "bão số 3" in m.terms and "Quảng" in m.terms
    assert len(m.spans) > 1000
    for s, e in m.spans[:50]:
        assert text[s:e].strip() == text[s:e] and text[s:e]
