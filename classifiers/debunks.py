"""The debunk memory: known false or misleading claims that documents are matched against.

Stored in ``config/debunks.yaml`` (list under ``debunks:``); each entry is a :class:`Debunk`:

=========  ====================================================================================
id         stable identifier (``[a-z0-9-]``); made from the source URL or the claim when absent
claim      the false statement, short, as it circulates ("Vũng Tàu cấm tắm biển từ ngày 1/12")
verdict    ``false`` | ``misleading`` | ``altered`` (edited/cut-together image, video, document)
           | ``unproven``; Vietnamese words are accepted on import ("sai sự thật" → false)
url        the debunk article (http/https); optional if ``source`` is given
date       date of the debunk, ``YYYY-MM-DD``
source     who debunked it ("Trung tâm Xử lý tin giả Việt Nam", "Công an tỉnh …")
aliases    optional other phrasings of the same claim (matched too; best phrasing counts)
note       optional free text for analysts
=========  ====================================================================================

Importers: :func:`import_csv` (analysts' spreadsheets), :func:`parse_sitemap` +
:func:`parse_tingia_article` / :func:`import_tingia` (the national fact-check site
tingia.gov.vn: a sitemap listing article URLs, and the article pages), :func:`import_file`
(dispatch on the file type, for the CLI). :func:`merge_debunks` adds imported entries to the
memory idempotently: an entry is the same as an existing one when it has the same article URL
or the same claim (normalized; :func:`claim_key`). Nothing here touches the network: pages are
read through a ``get_page`` callable (e.g. :func:`local_pages`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from pipeline.encoding import decode_bytes
from pipeline.normalize import fold_diacritics, normalize_text

VERDICTS = {"false": "Sai sự thật", "misleading": "Gây hiểu nhầm", "altered": "Cắt ghép, chỉnh sửa",
            "unproven": "Chưa được kiểm chứng"}
_VERDICT_WORDS = {
    "false": ["false", "fake", "sai", "sai sự thật", "không đúng sự thật", "tin giả", "bịa đặt", "tin đồn thất thiệt",
              "thông tin sai sự thật", "giả"],
    "misleading": ["misleading", "sai lệch", "gây hiểu nhầm", "gây hiểu lầm", "thiếu chính xác", "xuyên tạc",
                   "không chính xác", "mập mờ"],
    "altered": ["altered", "manipulated", "cắt ghép", "chỉnh sửa", "ảnh chế", "giả mạo", "deepfake", "cắt ghép, chỉnh sửa"],
    "unproven": ["unproven", "unverified", "chưa kiểm chứng", "chưa được kiểm chứng", "chưa được xác minh",
                 "chưa xác minh"],
}
VERDICT_ALIASES = {fold_diacritics(w).lower(): v for v, words in _VERDICT_WORDS.items() for w in words}
TINGIA_SOURCE = "Trung tâm Xử lý tin giả Việt Nam (tingia.gov.vn)"
CSV_COLUMNS = ("claim", "verdict", "url", "date", "source")
# Vietnamese / alternative header names accepted in CSV files (folded, lower case).
_HEADER_ALIASES = {
    "claim": "claim", "noi dung": "claim", "tin sai": "claim", "noi dung tin sai": "claim", "thong tin": "claim",
    "verdict": "verdict", "ket luan": "verdict", "danh gia": "verdict",
    "url": "url", "link": "url", "duong dan": "url", "source_url": "url", "nguon url": "url",
    "date": "date", "ngay": "date", "ngay dang": "date",
    "source": "source", "nguon": "source", "co quan": "source", "don vi": "source",
    "aliases": "aliases", "cach noi khac": "aliases", "note": "note", "ghi chu": "note", "id": "id",
}
_ID_SAFE = re.compile(r"[^a-z0-9]+")
_BAD_MEMORY = "sửa tệp bộ nhớ tin sai rồi chạy lại"


class DebunkError(ValueError):
    """Invalid debunk data. ``errors``: [(line or entry number, message)]; the message (str of
    the exception) lists them, one per line, in Vietnamese for analysts."""

    def __init__(self, what: str, errors: Sequence[tuple[int, str]], unit: str = "dòng",
                 outcome: str = "không nhập dòng nào") -> None:
        self.errors = list(errors)
        shown = "\n".join(f"  {unit} {n}: {msg}" for n, msg in self.errors[:50])
        more = f"\n  … và {len(self.errors) - 50} lỗi khác" if len(self.errors) > 50 else ""
        super().__init__(f"{what}: {len(self.errors)} lỗi, {outcome}\n{shown}{more}")


@dataclass
class Debunk:
    """One known false claim (see the module docstring for the fields)."""

    id: str
    claim: str
    verdict: str = "false"
    url: str | None = None
    date: str | None = None
    source: str | None = None
    aliases: list[str] = field(default_factory=list)
    note: str | None = None

    @property
    def key(self) -> str:
        """Identity for merging: the article URL when it points at an article (not a site's
        home page), else ``claim:<hash of the normalized claim>``."""
        return url_key(self.url) or f"claim:{claim_key(self.claim)}"

    @property
    def verdict_label(self) -> str:
        return VERDICTS.get(self.verdict, self.verdict)

    def phrasings(self) -> list[str]:
        """The claim followed by its aliases (what the matcher compares documents with)."""
        return [self.claim, *[a for a in self.aliases if a and a.strip()]]

    def to_dict(self) -> dict[str, Any]:
        """YAML/JSON form: empty optional fields left out."""
        return {k: v for k, v in asdict(self).items() if v not in (None, "", [])}


# -- keys and validation -----------------------------------------------------------------------

def claim_key(claim: str) -> str:
    """First 16 hex of SHA-256 of the claim, normalized: NFC, tone placement, lower case,
    diacritics folded, punctuation dropped (so re-typed copies of one claim share a key)."""
    text = fold_diacritics(normalize_text(claim)).lower()
    text = " ".join(re.sub(r"[^\w]+|_", " ", text).split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def url_key(url: str | None) -> str | None:
    """``url:<host><path>`` (lower-case host without www., no query/fragment, no trailing
    slash) when ``url`` points at a page below the site root; None for empty or root URLs."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    if not parts.hostname or not path:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    return f"url:{host}{path}"


def normalize_verdict(value: str) -> str | None:
    """Canonical verdict code for ``value`` (English code or a Vietnamese word), None if unknown."""
    v = " ".join(fold_diacritics(normalize_text(value or "")).lower().replace("_", " ").split())
    return VERDICT_ALIASES.get(v)


def parse_date(value: str) -> str | None:
    """``YYYY-MM-DD`` for ``2024-03-05``, ``05/03/2024``, ``5-3-2024`` or ``2024-03-05T10:00:00+07:00``;
    None when it is not such a date."""
    value = (value or "").strip()
    m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$", value)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", value)
        if not m:
            return None
        d, mo, y = (int(g) for g in m.groups())
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError:
        return None


def make_id(url: str | None, claim: str) -> str:
    """An id from the URL's last path segment (``tingia-<slug>``-style, ≤ 60 chars) or, without
    a URL, ``claim-<claim_key[:10]>``."""
    key = url_key(url)
    if key:
        parts = urlsplit(url or "")
        host = (parts.hostname or "").removeprefix("www.").split(".")[0]
        segs = [s for s in parts.path.split("/") if s and not s.isdigit()]
        slug = _ID_SAFE.sub("-", fold_diacritics(segs[-1] if segs else parts.path).lower()).strip("-")
        slug = re.sub(r"-(html?|aspx?|php)$", "", slug)
        if len(slug) > 48:
            slug = slug[:49].rsplit("-", 1)[0]
        return f"{host}-{slug}" if slug else f"{host}-{claim_key(claim)[:10]}"
    return f"claim-{claim_key(claim)[:10]}"


def _check(d: dict[str, Any], today: dt.date | None = None) -> tuple[Debunk | None, list[str]]:
    """Validate one raw entry (keys as in :class:`Debunk`); returns (debunk or None, errors)."""
    errors: list[str] = []
    claim = " ".join(str(d.get("claim") or "").split())
    if not claim:
        errors.append("thiếu nội dung tin sai (cột claim)")
    elif len(claim) < 8 or len(claim) > 500:
        errors.append(f"nội dung tin sai phải dài 8–500 ký tự (đang có {len(claim)})")
    verdict_value = d.get("verdict")
    raw_verdict = "false" if verdict_value is False else str(verdict_value or "").strip()  # YAML: verdict: false
    verdict = normalize_verdict(raw_verdict)
    if not raw_verdict:
        errors.append("thiếu kết luận (cột verdict)")
    elif verdict is None:
        errors.append(f"kết luận không hợp lệ “{raw_verdict}” (dùng: {', '.join(VERDICTS)} hoặc sai sự thật, "
                      "gây hiểu nhầm, cắt ghép, chưa kiểm chứng)")
    url = str(d.get("url") or d.get("source_url") or "").strip() or None
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in url:
            errors.append(f"đường dẫn không hợp lệ “{url[:80]}” (cần http:// hoặc https://)")
    raw_date = str(d.get("date") or "").strip()
    date = None
    if raw_date:
        date = parse_date(raw_date)
        if date is None:
            errors.append(f"ngày không hợp lệ “{raw_date}” (dùng YYYY-MM-DD hoặc DD/MM/YYYY)")
        elif dt.date.fromisoformat(date) > (today or dt.date.today()) + dt.timedelta(days=1):
            errors.append(f"ngày {date} ở tương lai")
    source = " ".join(str(d.get("source") or "").split()) or None
    if not url and not source:
        errors.append("cần ít nhất đường dẫn (url) hoặc tên nguồn (source)")
    aliases = d.get("aliases") or []
    if isinstance(aliases, str):
        aliases = [a for a in (x.strip() for x in aliases.split("|")) if a]
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        errors.append("aliases phải là danh sách chuỗi")
        aliases = []
    if errors:
        return None, errors
    ident = str(d.get("id") or "").strip() or make_id(url, claim)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", ident):
        return None, [f"id không hợp lệ “{ident[:40]}” (chỉ a-z, 0-9, dấu gạch ngang)"]
    return Debunk(id=ident, claim=claim, verdict=verdict or "false", url=url, date=date,
                  source=source or (urlsplit(url).hostname if url else None),
                  aliases=[" ".join(a.split()) for a in aliases], note=(str(d["note"]).strip() if d.get("note") else None)), []


# -- the YAML memory ---------------------------------------------------------------------------

def load_debunks(path: Path) -> list[Debunk]:
    """Entries of a debunk YAML file (``{"debunks": [...]}``); [] when the file is missing or
    empty. Older entries with ``source_url`` and a Vietnamese verdict are accepted. Raises
    DebunkError (numbered entries) when an entry is invalid or an id repeats."""
    if not Path(path).exists():
        return []
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    rows = data.get("debunks") or [] if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise DebunkError(str(path), [(0, "cần một danh sách dưới khóa debunks:")], unit="mục", outcome=_BAD_MEMORY)
    out, errors, seen = [], [], set()
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            errors.append((i, "mục phải là một bảng khóa: giá trị"))
            continue
        row = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()}
        deb, errs = _check(row)
        if deb is not None and deb.id in seen:
            errs = [f"id “{deb.id}” bị trùng"]
        errors.extend((i, e) for e in errs)
        if deb is not None and not errs:
            seen.add(deb.id)
            out.append(deb)
    if errors:
        raise DebunkError(str(path), errors, unit="mục", outcome=_BAD_MEMORY)
    return out


_YAML_HEADER = """\
# Debunk memory: known false claims the misinformation classifier matches documents against
# (classifiers/claimmatch.py; thresholds in classifiers/models/misinformation.json).
# Fields: id, claim (the false statement, short, as it circulates), verdict (false | misleading |
# altered | unproven), url (the debunk article), date (YYYY-MM-DD), source (who debunked it),
# aliases (optional other phrasings), note. Add entries by hand or with `mediawatch debunks import`.
"""


def save_debunks(path: Path, debunks: Sequence[Debunk]) -> None:
    """Write ``debunks`` to ``path`` (YAML with a header comment), atomically (temp file + rename)."""
    path = Path(path)
    body = yaml.safe_dump({"debunks": [d.to_dict() for d in debunks]}, allow_unicode=True, sort_keys=False,
                          width=120)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_YAML_HEADER + body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class MergeResult:
    """Result of :func:`merge_debunks`: the merged list and what happened to each new entry (ids)."""

    debunks: list[Debunk]
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def merge_debunks(existing: Sequence[Debunk], new: Iterable[Debunk]) -> MergeResult:
    """Add ``new`` entries to ``existing`` (order kept, new ones appended). A new entry equal to
    an existing one by article URL or by normalized claim (:func:`claim_key`) updates it: empty
    fields are filled, aliases are united, nothing set is overwritten; so merging the same
    import twice changes nothing. New ids that collide with a different entry get a suffix."""
    merged = [Debunk(**asdict(d)) for d in existing]
    by_url = {url_key(d.url): d for d in merged if url_key(d.url)}
    by_claim = {claim_key(d.claim): d for d in merged}
    ids = {d.id for d in merged}
    result = MergeResult(merged)
    for d in new:
        old = by_url.get(url_key(d.url)) if url_key(d.url) else None
        old = old or by_claim.get(claim_key(d.claim))
        if old is None:
            d = Debunk(**asdict(d))
            base, n = d.id, 2
            while d.id in ids:
                d.id, n = f"{base}-{n}", n + 1
            merged.append(d)
            ids.add(d.id)
            by_claim[claim_key(d.claim)] = d
            if url_key(d.url):
                by_url[url_key(d.url)] = d
            result.added.append(d.id)
            continue
        before = old.to_dict()
        for name in ("url", "date", "source", "note"):
            if not getattr(old, name) and getattr(d, name):
                setattr(old, name, getattr(d, name))
        known = {claim_key(p) for p in old.phrasings()}
        for phrasing in d.phrasings():
            if claim_key(phrasing) not in known:
                old.aliases.append(phrasing)
                known.add(claim_key(phrasing))
        if url_key(old.url):
            by_url[url_key(old.url)] = old
        (result.updated if old.to_dict() != before else result.unchanged).append(old.id)
    return result


def merge_into(path: Path, new: Iterable[Debunk], dry_run: bool = False) -> MergeResult:
    """Load the memory at ``path``, merge ``new`` (:func:`merge_debunks`) and save it unless
    ``dry_run`` or nothing changed."""
    result = merge_debunks(load_debunks(path), new)
    if not dry_run and (result.added or result.updated):
        save_debunks(path, result.debunks)
    return result


# -- CSV import ---------------------------------------------------------------------------------

def import_csv(path: Path | str, today: dt.date | None = None) -> list[Debunk]:
    """Debunks from a CSV file with a header row naming the columns ``claim, verdict, url, date,
    source`` (Vietnamese names accepted: nội dung, kết luận, đường dẫn, ngày, nguồn; optional
    ``aliases`` separated by ``|``, ``note``, ``id``). Delimiter ``,`` ``;`` or tab; UTF-8 with or
    without BOM. All-or-nothing: raises DebunkError listing every bad row with its line number
    (line 1 = the header), or for a missing column / an unreadable file. Rows repeating an
    earlier row's claim or URL are skipped."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DebunkError(str(path), [(text_line(raw, exc.start), "tệp không phải UTF-8 (lưu lại dạng “CSV UTF-8”)")]) from exc
    if not text.strip():
        raise DebunkError(str(path), [(1, "tệp rỗng")])
    first = text.splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    names = [_HEADER_ALIASES.get(" ".join(fold_diacritics(normalize_text(h)).lower().split()), "")
             for h in header]
    missing = [c for c in ("claim", "verdict") if c not in names]
    if missing or not ({"url", "source"} & set(names)):
        want = ", ".join(CSV_COLUMNS)
        raise DebunkError(str(path), [(1, f"thiếu cột {', '.join(missing) or 'url/source'} (cần các cột: {want})")])
    out: list[Debunk] = []
    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    line = reader.line_num + 1
    for row in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(names) and any(c.strip() for c in row[len(names):]):
            errors.append((start, f"có {len(row)} ô nhưng tiêu đề chỉ có {len(names)} cột (thiếu dấu ngoặc kép?)"))
            continue
        values = {n: row[i] for i, n in enumerate(names) if n and i < len(row)}
        deb, errs = _check(values, today)
        errors.extend((start, e) for e in errs)
        if deb is not None:
            keys = {deb.key, f"claim:{claim_key(deb.claim)}"}
            if keys & seen:
                continue
            seen |= keys
            out.append(deb)
    if errors:
        raise DebunkError(str(path), errors)
    return out


def text_line(raw: bytes, offset: int) -> int:
    """1-based line number of byte ``offset`` in ``raw``."""
    return raw.count(b"\n", 0, offset) + 1


# -- tingia.gov.vn ------------------------------------------------------------------------------

def _sitemap(xml: str | bytes) -> Any:
    from crawlers.sitemaps import SitemapError, read_sitemap

    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    try:
        return read_sitemap(data, strict=True)
    except SitemapError as exc:
        what = ("không phải XML hợp lệ" if str(exc).startswith("not XML")
                else "không phải sitemap (cần <urlset> hoặc <sitemapindex>)" if str(exc).startswith("not a sitemap")
                else "không đọc được sitemap")
        raise ValueError(f"{what}: {exc}") from exc


def parse_sitemap(xml: str | bytes) -> list[tuple[str, str | None]]:
    """[(url, lastmod)] of a sitemap (``<urlset>``: page URLs) or sitemap index
    (``<sitemapindex>``: URLs of further sitemaps), in file order, duplicates dropped.
    ``lastmod`` is ``YYYY-MM-DD`` (from a W3C date or datetime) or None. Namespace-agnostic;
    entities are not resolved and nothing is fetched (:func:`crawlers.sitemaps.read_sitemap`).
    Raises ValueError for non-sitemap or malformed XML."""
    return [(e.loc, parse_date(e.lastmod) if e.lastmod else None) for e in _sitemap(xml).entries]


def is_sitemap_index(xml: str | bytes) -> bool:
    """True when ``xml`` is a ``<sitemapindex>`` (its URLs are sitemaps, not articles)."""
    return bool(_sitemap(xml).kind == "sitemapindex")


_TITLE_PREFIX = re.compile(
    r"^(?:(?:cảnh báo|cảnh giác|tin giả|tin đồn|bác bỏ|sự thật|xác minh|kiểm chứng|thực hư|đính chính)\s*(?:về|:|-|–)?\s*)?"
    r"(?:(?:thông tin|tin đồn|tin|clip|video|hình ảnh|văn bản|bài viết|bài đăng)\s+)?"
    r"(?:(?:sai sự thật|không đúng sự thật|bịa đặt|xuyên tạc|thất thiệt|giả mạo|sai lệch)\s+)?"
    r"(?:(?:về việc|về|rằng|cho rằng|nói rằng)\s+)?", re.IGNORECASE)
_TITLE_SUFFIX = re.compile(
    r"\s*(?:[,:–-]\s*)?(?:là|chỉ là|hoàn toàn là)?\s*(?:tin giả|thông tin sai sự thật|sai sự thật|không đúng sự thật"
    r"|bịa đặt|tin bịa đặt|thông tin bịa đặt|thông tin thất thiệt|thông tin sai lệch|sai lệch|giả mạo|cắt ghép"
    r"|không chính xác|gây hiểu nhầm|xuyên tạc)\s*[.!]?$", re.IGNORECASE)
_CLAIM_IN_BODY = re.compile(
    r"(?:với nội dung|nội dung cho rằng|thông tin cho rằng|cho rằng|thông tin về việc|thông tin|nói rằng|khẳng định rằng)"
    r"\s*[:“\"]?\s*(.{15,240}?)[”\"]?(?:[.;]|,\s*(?:khiến|gây|thu hút|làm|kèm)|\s+(?:là|chỉ là)\s+(?:sản phẩm\s+)?"
    r"(?:cắt ghép|sai sự thật|tin giả|bịa đặt|không đúng|giả mạo|thông tin sai)|$)", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_DATE_TEXT = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")


def _text(el: Any) -> str:
    return " ".join(el.text_content().split()) if el is not None else ""


def _first(tree: Any, xpaths: Sequence[str]) -> Any:
    for xp in xpaths:
        found = tree.xpath(xp)
        if found:
            return found[0]
    return None


def verdict_from_text(text: str) -> str:
    """Verdict code suggested by a debunk's title + lead: ``altered`` for cut/edited media,
    ``misleading`` for distortion, else ``false``."""
    low = text.lower()
    if re.search(r"cắt ghép|chỉnh sửa|ảnh chế|deepfake|giả mạo (?:văn bản|công văn|chữ ký)", low):
        return "altered"
    if re.search(r"sai lệch|gây hiểu nhầm|gây hiểu lầm|thiếu chính xác|xuyên tạc|không chính xác", low) and not re.search(
            r"sai sự thật|tin giả|bịa đặt|không đúng sự thật", low):
        return "misleading"
    return "false"


def claim_from_title(title: str) -> str:
    """The circulating claim inside a debunk headline: the quoted part when there is one
    (“…”), else the headline without framing words ("Thông tin … là sai sự thật" → "…")."""
    t = " ".join(normalize_text(title).split())
    quoted = re.findall(r"[“\"]([^”\"]{8,300})[”\"]", t)
    if quoted:
        return max(quoted, key=len).strip(" .")
    core = _TITLE_SUFFIX.sub("", t)
    core = _TITLE_PREFIX.sub("", core, count=1).strip(" .:–-")
    return core if len(core) >= 8 else t


def parse_tingia_article(html: str | bytes, url: str) -> Debunk:
    """One debunk from a fact-check article page (tingia.gov.vn or a similar news CMS):

    * title: the first ``<h1>`` (else ``og:title`` of an ``og:type=article`` page); the claim is taken from it
      (:func:`claim_from_title`); a sentence of the lead/body reporting what circulated
      ("… cho rằng X", "với nội dung X") becomes an alias when it differs;
    * date: ``article:published_time`` / ``datePublished`` / ``<time datetime>`` / the first
      dd/mm/yyyy in a date-like element, else trafilatura's metadata;
    * body: the lead (``sapo``) and paragraphs of the article container, else trafilatura;
    * verdict: :func:`verdict_from_text` over title + lead; source: ``og:site_name`` or
      :data:`TINGIA_SOURCE` for tingia.gov.vn, else the host.

    Raises ValueError when the page has no headline or no body (not an article)."""
    from lxml import html as lxml_html

    text = html if isinstance(html, str) else decode_bytes(html).text
    text = _XML_DECL.sub("", text, count=1)
    try:
        tree = lxml_html.fromstring(text)
    except (ValueError, lxml_html.etree.ParserError) as exc:
        raise ValueError(f"{url}: không đọc được HTML ({exc})") from exc
    title = _text(_first(tree, ["//article//h1", "//h1"]))
    if not title and tree.xpath("//meta[@property='og:type'][@content='article']"):
        meta = _first(tree, ["//meta[@property='og:title']/@content"])
        title = " ".join(str(meta or "").split())
    if not title:
        raise ValueError(f"{url}: không có tiêu đề <h1> (không phải trang bài viết?)")
    date = None
    for xp in ("//meta[@property='article:published_time']/@content", "//meta[@itemprop='datePublished']/@content",
               "//*[@itemprop='datePublished']/@datetime", "//time/@datetime"):
        for value in tree.xpath(xp):
            date = date or parse_date(str(value)[:10]) or parse_date(str(value))
    if date is None:
        for el in tree.xpath("//*[contains(@class,'date') or contains(@class,'time') or contains(@class,'meta')]"):
            m = _DATE_TEXT.search(_text(el))
            if m:
                date = parse_date(m.group(0))
                break
    lead = _text(_first(tree, ["//*[contains(@class,'sapo')]", "//*[contains(@class,'lead')]",
                               "//*[contains(@class,'summary')]", "//meta[@name='description']"]))
    if not lead:
        desc = tree.xpath("//meta[@name='description']/@content")
        lead = " ".join(str(desc[0]).split()) if desc else ""
    container = _first(tree, ["//*[@id='maincontent']", "//*[contains(@class,'content-detail')]",
                              "//*[contains(@class,'detail-content')]", "//article"])
    paragraphs = [_text(p) for p in container.xpath(".//p")] if container is not None else []
    paragraphs = [p for p in paragraphs if len(p) > 30 and p != lead]
    if not paragraphs or date is None:
        import trafilatura

        if not paragraphs:
            body = trafilatura.extract(text, url=url, include_comments=False,
                                       include_tables=False, favor_precision=True) or ""
            paragraphs = [p.strip() for p in body.split("\n") if len(p.strip()) > 30]
        if date is None:
            meta = trafilatura.extract_metadata(text, default_url=url)
            date = parse_date(str(meta.date)) if meta is not None and meta.date else None
    if not lead and not paragraphs:
        raise ValueError(f"{url}: không có nội dung bài viết (trang chuyên mục?)")
    claim = claim_from_title(title)
    aliases = []
    for text in [lead, *paragraphs[:3]]:
        m = _CLAIM_IN_BODY.search(normalize_text(text))
        if m:
            alias = m.group(1).strip(" .,:“”\"")
            if len(alias) >= 15 and claim_key(alias) != claim_key(claim):
                aliases.append(alias)
            break
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    site = tree.xpath("//meta[@property='og:site_name']/@content")
    source = " ".join(str(site[0]).split()) if site else (TINGIA_SOURCE if host == "tingia.gov.vn" else host)
    note = (lead or (paragraphs[0] if paragraphs else ""))[:300] or None
    return Debunk(id=make_id(url, claim), claim=claim, verdict=verdict_from_text(f"{title} {lead}"), url=url,
                  date=date, source=source or None, aliases=aliases, note=note)


def local_pages(directory: Path | str) -> Callable[[str], bytes | None]:
    """A ``get_page`` for :func:`import_tingia` reading saved pages from ``directory``: the file
    named in ``directory/pages.tsv`` (``url<TAB>file`` lines) for the URL, else
    ``<last path segment>.html`` (or that segment as is); None when there is no such file."""
    directory = Path(directory)
    mapping: dict[str, str] = {}
    tsv = directory / "pages.tsv"
    if tsv.exists():
        for line in tsv.read_text(encoding="utf-8").splitlines():
            if "\t" in line and not line.startswith("#"):
                u, f = line.split("\t", 1)
                mapping[u.strip()] = f.strip()

    def get(url: str) -> bytes | None:
        names = [mapping[url]] if url in mapping else []
        segs = [s for s in urlsplit(url).path.split("/") if s]
        if segs:
            names += [f"{segs[-1]}.html", segs[-1]] + ([f"{segs[-2]}.html"] if len(segs) > 1 else [])
        for name in names:
            p = (directory / name).resolve()
            if p.is_file() and directory.resolve() in p.parents:
                return p.read_bytes()
        return None

    return get


def import_tingia(sitemap_xml: str | bytes, get_page: Callable[[str], str | bytes | None],
                  since: str | None = None, limit: int | None = None) -> tuple[list[Debunk], list[tuple[str, str]]]:
    """Debunks from the article pages a tingia.gov.vn-style sitemap lists. ``get_page(url)``
    returns the page (or None when unavailable); ``since`` (YYYY-MM-DD) skips entries whose
    lastmod is older; ``limit`` caps the pages read. Returns (debunks, [(url, error)]) — a page
    that cannot be read or parsed is reported, not fatal. Raises ValueError for a bad sitemap or
    a sitemap index (import each listed sitemap instead)."""
    if is_sitemap_index(sitemap_xml):
        raise ValueError("đây là sitemap index: hãy nhập từng sitemap con mà nó liệt kê")
    out, errors = [], []
    entries = [(u, m) for u, m in parse_sitemap(sitemap_xml) if not (since and m and m < since)]
    for url, _ in entries[:limit] if limit else entries:
        page = get_page(url)
        if page is None:
            errors.append((url, "không có trang đã lưu"))
            continue
        try:
            out.append(parse_tingia_article(page, url))
        except ValueError as exc:
            errors.append((url, str(exc)))
    return out, errors


def import_file(path: Path | str, pages_dir: Path | str | None = None) -> tuple[list[Debunk], list[tuple[str, str]]]:
    """Read debunks from ``path`` by type, for ``mediawatch debunks import FILE``:
    ``.csv`` → :func:`import_csv`; ``.xml`` → a sitemap, pages from ``pages_dir`` (default: the
    sitemap's folder) via :func:`local_pages`; ``.html``/``.htm`` → one article
    (:func:`parse_tingia_article`, URL from its canonical link or og:url); ``.yaml``/``.yml`` →
    another memory file (:func:`load_debunks`). Returns (debunks, [(url or file, problem)]).
    Raises DebunkError / ValueError for unusable input and ValueError for other file types."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return import_csv(path), []
    if suffix == ".xml":
        return import_tingia(path.read_bytes(), local_pages(pages_dir or path.parent))
    if suffix in (".html", ".htm"):
        from lxml import html as lxml_html

        raw = _XML_DECL.sub("", decode_bytes(path.read_bytes()).text, count=1)
        tree = lxml_html.fromstring(raw)
        found = tree.xpath("//link[@rel='canonical']/@href") + tree.xpath("//meta[@property='og:url']/@content")
        url = str(found[0]).strip() if found else ""
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{path}: trang không có đường dẫn gốc (link rel=canonical hoặc og:url)")
        return [parse_tingia_article(raw, url)], []
    if suffix in (".yaml", ".yml"):
        return load_debunks(path), []
    raise ValueError(f"{path}: không nhận dạng được loại tệp (cần .csv, .xml, .html hoặc .yaml)")
