"""Rules for the ``scam_fraud`` flag: phrase patterns, the ChongLuaDao blocklist and lookalike domains.

Every rule has a ``name`` and weights in one or more *groups*:

* ``scam`` (log-odds units): evidence that the text is itself a scam — requests for OTP / transfers /
  up-front fees, account-lock threats, prizes, fake jobs and loans, impersonation of authorities
  (công an, thuế, ngân hàng, EVN, VNeID, BHXH…), suspicious links. Negative weight for safety advice
  ("không cung cấp mã OTP cho bất kỳ ai"), which genuine notices and warnings contain.
* ``report`` (log-odds units): evidence that the text *reports on* scams (news, police warnings,
  victims' accounts: "thủ đoạn", "cảnh báo", "đối tượng", "khởi tố", "nạn nhân"…).
* ``ioc`` (a probability): a concrete indicator in the text — a host on the ChongLuaDao blocklist
  (0.95) or a lookalike government domain (0.9). It sets a floor under the final score whatever
  the framing of the text, because such a link is actionable (report / takedown).

Phrase patterns are matched on a *folded* copy of the text (NFC, invisible characters removed,
whitespace collapsed, lower-cased, diacritics removed, ``đ`` → ``d``), so one pattern covers text with
and without diacritics. A rule's regex runs only when the literals of its ``need`` clauses occur in
the text (a cheap prefilter with the same result; tested). Summed weights are damped for texts over
1,000 characters (:func:`length_damping`). Rules marked ``negatable`` do not fire when a
negation ("không", "đừng", "tuyệt đối không", "không bao giờ"…) stands just before the match in the
same clause.

URLs / hosts are found with a regular expression (scheme optional; "[.]" defanging undone); the host
is lower-cased, ``www.`` stripped, and the host and each parent domain (down to two labels) are looked
up in the blocklist; entries with a path ("sites.google.com/view/…") match by prefix. No public
suffix list is used (no tldextract/courlan: nothing downloads at run time).

Data: ``classifiers/data/scam_fraud/chongluadao/urls.txt`` (or ``urls.txt.gz``) and ``ips.txt``,
copied from the ChongLuaDao blocklist mirror (BSD-3-Clause, see the LICENSE beside them);
:func:`refresh_blocklist` replaces the copy from a newer ``urls.txt``.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipeline.normalize import fold_diacritics, strip_invisible

DATA_DIR = Path(__file__).resolve().parent / "data" / "scam_fraud"
BLOCKLIST_DIR = DATA_DIR / "chongluadao"
GZIP_ABOVE_BYTES = 2_000_000  # urls.txt larger than this is stored gzip-compressed
MAX_RULE_CHARS = 20_000  # rules look at the first 20,000 characters (like the model)

IOC_BLOCKLISTED = 0.95
IOC_LOOKALIKE_GOV = 0.90
IMPERSONATION_CAP = 0.75  # total scam log-odds from authority / brand names


# --------------------------------------------------------------------------------------------
# Phrase rules
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """One named pattern (on folded text) with its weight per group (see the module docstring)."""

    name: str
    pattern: str
    scam: float = 0.0
    report: float = 0.0
    negatable: bool = False
    description: str = ""
    need: tuple[str, ...] = ()  # prefilter: every "a|b|c" clause must have one literal in the folded text

    @property
    def clauses(self) -> tuple[Clause, ...]:
        """The ``need`` clauses, compiled for :func:`_present`."""
        return tuple(Clause.of((_key(lit), lit) for lit in c.split("|")) for c in self.need)


@dataclass(frozen=True)
class Clause:
    """Literals of one ``need`` clause grouped by key syllable: a literal is looked for in the text only
    when its key syllable is one of the text's tokens (one set intersection instead of a scan per literal)."""

    keys: frozenset[str]
    by_key: dict[str, tuple[str, ...]]
    keyless: tuple[str, ...]

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Clause:
        by_key: dict[str, list[str]] = {}
        keyless = []
        for key, lit in pairs:
            if key:
                by_key.setdefault(key, []).append(lit)
            else:
                keyless.append(lit)
        return cls(frozenset(by_key), {k: tuple(v) for k, v in by_key.items()}, tuple(keyless))


_NEG = (r"(?:khong|ko|k|kg|khg|dung|chua|dung bao gio|khong bao gio|chua bao gio|tuyet doi khong|khong duoc|"
        r"khong nen|khong the|khong he|deu khong|se khong)")
_NEGATION_BEFORE = re.compile(r"\b" + _NEG + r"\b[^.!?\n;:]{0,24}$")

# Authority / brand names that scammers impersonate. Weak alone (news mention them all the time).
IMPERSONATED = {
    "cong_an": r"cong an|canh sat|csgt|bo cong an|cuc canh sat|doi canh sat|can bo dieu tra|co quan dieu tra",
    "toa_an_vks": r"vien kiem sat|toa an",
    "thue": r"co quan thue|chi cuc thue|cuc thue|tong cuc thue|can bo thue|etax|ma so thue",
    "ngan_hang": (r"ngan hang|vietcombank|vcb|bidv|techcombank|agribank|vietinbank|mb ?bank|tpbank|vpbank|"
                  r"sacombank|acb|hdbank|shb|ocb|fe ?credit|home ?credit|ngan hang nha nuoc"),
    "evn": r"evn\w*|dien luc|nganh dien|cong ty dien",
    "vneid_dvc": r"vneid|dinh danh dien tu|dich vu cong|cong thong tin",
    "bhxh": r"bhxh|bao hiem xa hoi|bhyt|vssid",
    "nha_mang": r"viettel|vinaphone|mobifone|vnpt|nha mang",
    "san_tmdt": r"shopee|lazada|tiki|tiktok|amazon",
    "vi_dien_tu": r"momo|zalopay|zalo pay|vnpay",
    "buu_chinh": r"vnpost|buu dien|ghn|giao hang nhanh|viettel post|hai quan",
}

def _key(literal: str) -> str:
    """A syllable of ``literal`` that is a whole token whenever ``literal`` occurs (an inner syllable
    when there is one, else the longest); "" for literals that are not plain syllables ("%", "/")."""
    sylls = literal.strip().split(" ")
    if not literal.strip() or not all(x.isalnum() and x.isascii() for x in sylls):
        return ""
    return sylls[1] if len(sylls) >= 3 else max(sylls, key=len)


def _present(clause: Clause, tokens: set[str], folded: str) -> bool:
    for key in clause.keys & tokens:
        for lit in clause.by_key[key]:
            if lit in folded:
                return True
    return any(lit in folded for lit in clause.keyless)


_TOKEN_RE = re.compile(r"[a-z0-9]+")


def _combos(firsts: str, seconds: str) -> str:
    """"a|b" × "x|y" → "a x|a y|b x|b y" (need clauses for two-part patterns)."""
    return "|".join(f"{a} {b}" for a in firsts.split("|") for b in seconds.split("|"))


RULES: tuple[Rule, ...] = (
    # --- requests: the core of a scam -----------------------------------------------------------
    Rule("otp_request",
         r"\b(?:cung cap|doc|gui|nhap|cho|dua|bao|chup|nhan tin|soan|khai bao|xac nhan)\s+(?:lai\s+|giup\s+|cho\s+\w+\s+)?"
         r"(?:(?:ma|so)\s+)?(?:otp|smart ?otp|xac thuc|ma pin|mat khau|cvv|6 so|ma xac nhan|ma vua gui)\b",
         scam=1.6, negatable=True, description="asks for an OTP / PIN / password / CVV",
         need=("otp|smartotp|xac thuc|ma pin|mat khau|cvv|6 so|ma xac nhan|ma vua gui",)),
    Rule("otp_mention", r"\b(?:ma\s+)?otp\b", scam=0.3, description="mentions an OTP", need=("otp",)),
    Rule("transfer_request",
         r"\b(?:chuyen khoan|chuyen tien|ck|nap tien|nop tien|dong tien|gui tien|chuyen|nop)\b[^.!?\n]{0,40}"
         r"\b(?:vao|den|qua|toi|cho)\s+(?:so\s+)?(?:tai khoan|tk|stk|so tk|vi|tai khoan ca nhan)\b",
         scam=1.2, negatable=True, description="asks to transfer money to an account",
         need=("chuyen|ck|nap tien|nop|dong tien|gui tien",
               _combos("vao|den|qua|toi|cho", "tai khoan|tk|stk|vi|so"))),
    Rule("transfer_request", r"\b(?:stk|so tai khoan|so tk)\s*[:\-]?\s*\d[\d .]{5,}",
         scam=1.2, description="gives an account number", need=("stk|so tai khoan|so tk",)),
    Rule("transfer_request", r"\b(?:chuyen|ck)\s+(?:gap|ngay|truoc|tam)\b", scam=1.2, negatable=True,
         description="asks to transfer now", need=("chuyen gap|chuyen ngay|chuyen truoc|chuyen tam|ck ",)),
    Rule("safe_account",
         r"\btai khoan\s+(?:tam giu|an toan|giam sat|tam thoi|cua co quan|chi dinh|cua bo)",
         scam=1.5, negatable=True, description="'safe account' (police impersonation)",
         need=("tai khoan tam|tai khoan an toan|tai khoan giam sat|tai khoan cua|tai khoan chi dinh",)),
    Rule("safe_account", r"\b(?:tien|nop tien)\s+(?:bao lanh|xac minh|tam ung)\b", scam=1.5, negatable=True,
         description="bail / verification money", need=("tien bao lanh|tien xac minh|tien tam ung",)),
    Rule("upfront_fee",
         r"\b(?:phi|le phi|tien)\s+(?:ho so|bao hiem(?: khoan vay)?|kich hoat|giai ngan|van chuyen|ship|thu tuc|mo khoa|"
         r"xac minh|dam bao|ky quy|thong quan|cong chung|truoc ba|rut tien|gia han|tai lieu|dong phuc|mo bang|luu kho)\b",
         scam=1.0, negatable=True, description="an up-front fee before receiving money / a prize / a loan",
         need=("phi |tien ", "ho so|bao hiem|kich hoat|giai ngan|van chuyen|ship|thu tuc|mo khoa|xac minh|dam bao|ky quy|"
               "thong quan|cong chung|truoc ba|rut tien|gia han|tai lieu|dong phuc|mo bang|luu kho")),
    Rule("upfront_fee", r"\b(?:nop|dong|chuyen)\s+(?:them\s+)?(?:\d+\s*%|phi|thue)\b", scam=1.0, negatable=True,
         description="pay a percentage / fee / tax first", need=("nop |dong |chuyen ", "%|phi|thue")),
    Rule("account_lock",
         r"\b(?:tai khoan|tk|the|sim|thue bao|so dien thoai|vi|ho so|cccd|dinh danh|giay phep lai xe|gplx|"
         r"ma so thue)\b[^.!?\n]{0,40}\b(?:se bi|bi|da bi|tam)\s+(?:tam\s+)?(?:khoa|dong bang|vo hieu hoa|phong toa|thu hoi|"
         r"cat|ngung|huy|xoa|treo|khoa 2 chieu)\b",
         scam=1.2, description="threatens that an account / SIM / card will be locked",
         need=(_combos("bi|tam", "khoa|dong bang|vo hieu|phong toa|thu hoi|cat|ngung|huy|xoa|treo"),)),
    Rule("account_lock", r"\bkhoa vinh vien\b", scam=1.2, description="locked for good", need=("khoa vinh vien",)),
    Rule("update_info",
         r"\b(?:cap nhat|xac thuc|xac minh|bo sung|chuan hoa|dong bo|tich hop|kich hoat)\s+(?:lai\s+)?"
         r"(?:thong tin|sinh trac hoc|cccd|can cuoc|tai khoan|ho so|dinh danh|du lieu|vneid|giay phep)\b",
         scam=0.6, description="asks to update / verify identity data",
         need=("cap nhat|xac thuc|xac minh|bo sung|chuan hoa|dong bo|tich hop|kich hoat",
               "thong tin|sinh trac|cccd|can cuoc|tai khoan|ho so|dinh danh|du lieu|vneid|giay phep")),
    Rule("click_link",
         r"\b(?:truy cap|bam|nhan|click|an|vao|dang nhap|dang ky|xac nhan|kich hoat|thanh toan|mo khoa|nop phat|tra cuu)"
         r"\s+(?:vao\s+|ngay\s+|tai\s+|qua\s+)?(?:link|duong link|duong dan|lien ket|day|trang|website|web)\b",
         scam=0.9, negatable=True, description="asks to open a link",
         need=("truy cap|bam|nhan|click|an |vao |dang nhap|dang ky|xac nhan|kich hoat|thanh toan|mo khoa|nop phat|tra cuu",
               "link|duong dan|lien ket| day|trang|web|website")),
    Rule("click_link",
         r"\b(?:tai|cai dat|cai)\s+(?:ung dung|app|phan mem)\b[^.!?\n]{0,30}\b(?:link|duong dan|theo huong dan|file)\b",
         scam=0.9, negatable=True, description="asks to install an app from a link",
         need=("ung dung|app|phan mem", "link|duong dan|theo huong dan|file")),
    Rule("apk_file", r"\.apk\b|\b(?:file|tep)\s+apk\b", scam=1.5, negatable=True,
         description="an APK file (Android app outside the store)", need=("apk",)),
    Rule("prize",
         r"\b(?:trung thuong|trung giai|nhan qua|qua tri an|tri an khach hang|quay so may man|vong quay may man|"
         r"phan thuong|khach hang may man|duoc chon|li xi|tang ban)\b",
         scam=0.9, description="prize / gift / lucky draw",
         need=("trung thuong|trung giai|nhan qua|tri an|may man|phan thuong|duoc chon|li xi|tang ban",)),
    Rule("fake_job",
         r"\bviec nhe luong cao\b|\b(?:tuyen|can tuyen|can)\s+(?:gap\s+)?(?:\d+\s+)?(?:ctv|cong tac vien)\b|"
         r"\bctv\s+(?:shopee|lazada|tiki|tiktok)\b|\b(?:lam|nhan|hoan thanh)\s+nhiem vu\b|\bchot don\b|\btha tim\b|"
         r"\blike\s+(?:video|bai|fanpage)\b|\bhoa hong\s+(?:tu\s+)?\d+|\bkhong can kinh nghiem\b|\blam tai nha\b",
         scam=1.2, description="fake job: 'việc nhẹ lương cao', CTV, tasks, commission",
         need=("luong cao|ctv|cong tac vien|nhiem vu|chot don|tha tim|like |hoa hong|kinh nghiem|tai nha",)),
    Rule("fake_job",
         r"\b\d+\s*(?:k|tr|trieu|nghin)?\s*(?:-\s*\d+\s*(?:k|tr|trieu)?\s*)?(?:/|moi|mot)\s*(?:ngay|like|tim|video|don)\b",
         scam=1.2, description="pay per day / like / task", need=("/|moi|mot", "ngay|like|tim|video|don")),
    Rule("fake_loan",
         r"\bvay\s+(?:tien|von|nhanh|online|tin chap|tieu dung|nong|\d+)|\bho tro vay\b|\bgiai ngan\s+(?:nhanh|trong|ngay|24h)|"
         r"\bno xau\s+(?:van|cung)\s+(?:vay|duyet)\b|\bduyet\s+(?:ho so|vay|tu dong)\b|\bxoa no xau\b",
         scam=1.1, description="fake / predatory loan offer",
         need=(_combos("vay", "tien|von|nhanh|online|tin chap|tieu dung|nong|0|1|2|3|4|5|6|7|8|9")
               + "|ho tro vay|giai ngan|no xau|duyet ho so|duyet vay|duyet tu dong",)),
    Rule("fake_loan",
         r"\bkhong\s+(?:can\s+)?(?:the chap|tham dinh|chung minh thu nhap|giay to|gap mat)\b|\bchi can\s+(?:cccd|can cuoc|cmnd)\b",
         scam=1.1, description="no collateral / only an ID card",
         need=("the chap|tham dinh|chung minh thu nhap|giay to|gap mat|chi can",)),
    Rule("investment",
         r"\bloi nhuan\s+\d+\s*%|\blai\s+\d+(?:[.,]\d+)?\s*%\s*(?:/|moi|mot)\s*(?:ngay|tuan)|\bcam ket\s+(?:loi nhuan|lai|khong lo)\b|"
         r"\b(?:tien ao|coin|usdt|forex|san quoc te|san giao dich)\b|\bnhan doi\b|\bx2 tai khoan\b|\bgap doi\b|\bhoan von\b",
         scam=1.0, description="investment promise (crypto, forex, x2)",
         need=("loi nhuan|lai |cam ket|tien ao|coin|usdt|forex|san quoc te|san giao dich|nhan doi|x2|gap doi|hoan von",)),
    Rule("urgency",
         r"\b(?:ngay lap tuc|trong (?:vong )?\d+\s*(?:h|gio|phut|tieng|p)|truoc \d+\s*(?:h|gio)|khan cap|han cuoi|"
         r"het han|qua han|cham nhat|trong hom nay|ngay hom nay)\b",
         scam=0.4, description="urgency / deadline",
         need=("lap tuc|trong vong|" + "|".join(f"trong {d}|truoc {d}" for d in range(10))
               + "|khan cap|han cuoi|het han|qua han|cham nhat|hom nay",)),
    Rule("threat_legal",
         r"\b(?:lien quan|dinh liu)\s+(?:den|toi)?\s*(?:vu an|duong day|rua tien|ma tuy|buon lau|chuyen an)|"
         r"\b(?:lenh|quyet dinh)\s+(?:bat|tam giam|khoi to)|\bcuong che\b|\bbi khoi kien\b|\bgiay trieu tap\b",
         scam=0.9, description="legal threat (arrest, prosecution, enforcement)",
         need=("vu an|duong day|rua tien|ma tuy|buon lau|chuyen an|lenh bat|lenh tam giam|lenh khoi to|dinh bat|"
               "dinh tam giam|dinh khoi to|cuong che|khoi kien|trieu tap",)),
    Rule("secrecy",
         r"\b(?:giu bi mat|khong (?:duoc )?(?:noi|bao) voi (?:ai|bat ky ai|nguoi than)|dung noi voi ai|khong duoc tat may|"
         r"tu cach ly)\b",
         scam=1.2, description="demands secrecy / isolation", need=("bi mat|noi voi|bao voi|tat may|cach ly",)),
    Rule("refund_recovery",
         r"\bhoan\s+(?:tien|thue|phi|lai tien|tien dien)\b|\blay lai\s+(?:\d+%\s+)?(?:tien|so tien)\b|\bthu hoi\s+(?:tien|so tien)\b",
         scam=0.7, description="refund / recovery of money",
         need=("hoan tien|hoan thue|hoan phi|hoan lai tien|lay lai|thu hoi tien|thu hoi so tien",)),
    Rule("contact_chat",
         r"\b(?:lien he|lh|ib|inbox|ket ban|kb|add|nhan tin)\s+(?:qua\s+|ngay\s+)?(?:zalo|telegram|tele|sdt)\b"
         r"|\bzalo\s*[:.]?\s*0\d[\d .x]{7,}|\btelegram\s+@\w+",
         scam=0.6, description="move the conversation to Zalo / Telegram", need=("zalo|tele|telegram|sdt",)),
    Rule("self_identification",
         r"\b(?:toi|em|minh|chung toi|day)\s+(?:la|o|ben|goi tu|tu)\s+(?:can bo|nhan vien|dai dien|cong an|canh sat|"
         r"dai uy|thuong uy|trung uy|thieu ta|trung ta|vien kiem sat|toa an|ngan hang|dien luc|nha mang|bao hiem|phong)\b",
         scam=0.8, description="caller introduces themselves as an official / bank / utility employee",
         need=(_combos("toi|em|minh|day", "la|o|ben|tu") + "|goi tu",
               "can bo|nhan vien|dai dien|cong an|canh sat|uy|ta|kiem sat|toa an|ngan hang|dien luc|nha mang|bao hiem|phong")),
    Rule("power_cut_pay",
         r"\b(?:cat|ngung cap|ngung|ngat)\s+dien\b[^.!?\n]{0,60}\b(?:thanh toan|chuyen khoan|chuyen tien|nop|link)\b",
         scam=0.9, description="power cut unless paid now (EVN impersonation)",
         need=("cat dien|ngung cap dien|ngung dien|ngat dien", "thanh toan|chuyen|nop|link")),
    Rule("power_cut_pay", r"\btien dien\s+(?:qua han|no)\b", scam=0.9, description="overdue electricity bill",
         need=("tien dien qua han|tien dien no",)),
    Rule("traffic_fine_pay",
         r"\bphat nguoi\b[^.!?\n]{0,60}\b(?:nop phat|chuyen khoan|thanh toan|link|truy cap)\b|\bnop phat\s+(?:qua|tai)\s+"
         r"(?:link|duong link|tai khoan)",
         scam=0.9, negatable=True, description="traffic fine ('phạt nguội') to pay via a link",
         need=("phat nguoi|nop phat",)),
    Rule("parcel_held",
         r"\b(?:don hang|buu pham|kien hang|qua tang)\b[^.!?\n]{0,40}\b(?:bi giu|tam giu|hai quan|luu kho)\b",
         scam=0.8, description="parcel held, fee required",
         need=("don hang|buu pham|kien hang|qua tang", "giu|hai quan|luu kho")),
    Rule("emergency_money",
         r"\b(?:cap cuu|tai nan|bi bat|dang o dong|ket tien|can tien gap)\b[^.!?\n]{0,80}\b(?:chuyen|gui|muon|can)\s+"
         r"(?:gap\s+|ngay\s+|tam\s+)?(?:\d+|tien)",
         scam=1.0, description="family / friend emergency asking for money",
         need=("cap cuu|tai nan|bi bat|dang o dong|ket tien|can tien gap",)),
    Rule("deposit_first",
         r"\b(?:chuyen khoan|chuyen)\s+(?:coc|truoc)\b|\bcoc\s+(?:truoc|\d+\s*%)|\bdat coc\b[^.!?\n]{0,30}\b(?:giu|suat|ngay)\b",
         scam=0.7, negatable=True, description="deposit / payment before delivery",
         need=("chuyen coc|chuyen truoc|chuyen khoan coc|chuyen khoan truoc|coc truoc|coc |dat coc",)),
    Rule("send_id_photo",
         r"\bchup\s+(?:hai mat|2 mat|anh)\s+(?:cccd|can cuoc|the)|\b(?:so the|ngay het han|cvv|ma pin)\b",
         scam=0.8, negatable=True, description="asks for ID-card photos or card details",
         need=("chup|so the|ngay het han|cvv|ma pin",)),
    Rule("safety_advice",
         r"\b(?:khong bao gio|tuyet doi khong|khong\s+(?:cung cap|chia se|bam|click|lam theo|chuyen tien|chuyen khoan|doc ma)|"
         r"dung\s+(?:cung cap|chia se|bam|chuyen))\b",
         scam=-1.0, report=0.4, description="safety advice (genuine notices and warnings)",
         need=("khong bao gio|tuyet doi khong|khong cung cap|khong chia se|khong bam|khong click|khong lam theo|"
               "khong chuyen|khong doc ma|dung cung cap|dung chia se|dung bam|dung chuyen",)),
    # --- reporting about scams --------------------------------------------------------------------
    Rule("scam_word", r"\blua dao\b|\blua tien\b", report=0.5, description="names the crime ('lừa đảo')",
         need=("lua dao|lua tien",)),
    Rule("appropriation", r"\bchiem doat\b", report=0.6, description="'chiếm đoạt tài sản'", need=("chiem doat",)),
    Rule("impersonation_word", r"\b(?:gia danh|mao danh|gia mao|tu xung|gia lam|dong vai|nick gia|fanpage gia|trang gia)\b",
         report=0.5, description="describes impersonation",
         need=("gia danh|mao danh|gia mao|tu xung|gia lam|dong vai|nick gia|fanpage gia|trang gia",)),
    Rule("warning_word",
         r"\b(?:thu doan|chieu (?:tro|lua)|canh bao|canh giac|khuyen cao|luu y|nhan biet|tuyen truyen|sap bay|can than|"
         r"chia se de)\b",
         report=0.5, description="warning / awareness vocabulary",
         need=("thu doan|chieu tro|chieu lua|canh bao|canh giac|khuyen cao|luu y|nhan biet|tuyen truyen|sap bay|can than|"
               "chia se de",)),
    Rule("law_enforcement",
         r"\b(?:bat giu|bat khan cap|tam giu hinh su|khoi to|truy to|xet xu|tuyen phat|tuyen an|bi cao|bi can|trinh bao|"
         r"to giac|triet pha|dan do|cao trang|don to cao)\b",
         report=0.6, description="arrest / prosecution / complaint",
         need=("bat giu|bat khan cap|tam giu|khoi to|truy to|xet xu|tuyen phat|tuyen an|bi cao|bi can|trinh bao|to giac|"
               "triet pha|dan do|cao trang|to cao",)),
    Rule("victim", r"\b(?:nan nhan|bi lua|bi hai|thiet hai|mat trang|mat tien|bi chiem doat)\b", report=0.5,
         description="victims and losses", need=("nan nhan|bi lua|bi hai|thiet hai|mat trang|mat tien|bi chiem doat",)),
    Rule("third_person", r"\b(?:doi tuong|cac doi tuong|ke gian|nghi pham|ke lua dao)\b", report=0.5,
         description="third-person narration of offenders", need=("doi tuong|ke gian|nghi pham|ke lua dao",)),
)

def _imp_literal(alt: str) -> tuple[str, str]:
    """(key, literal) for one impersonation alternative; alternatives with regex syntax ("evn\\w*",
    "mb ?bank") are looked for as a plain substring ("evn", "bank")."""
    if re.fullmatch(r"[a-z ]+", alt):
        return _key(alt), alt
    return "", re.sub(r"[^a-z ]|\bw\b", "", alt.replace(" ?", " ").replace("\\w*", "")).strip().split(" ")[-1]


_IMPERSONATION = [(kind, re.compile(r"\b(?:" + alts + r")\b"), Clause.of(_imp_literal(a) for a in alts.split("|")))
                  for kind, alts in IMPERSONATED.items()]
_IMPERSONATION_WEIGHT = 0.25


# --------------------------------------------------------------------------------------------
# Hosts, blocklist and lookalike domains
# --------------------------------------------------------------------------------------------

_DEFANG = re.compile(r"\[\.\]|\(\.\)|\[dot\]|\(dot\)")
_HOST_RE = re.compile(
    r"(?<![\w@.\-/])(?P<scheme>(?:https?|hxxps?)://)?"
    r"(?P<host>(?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+[a-z][a-z0-9\-]{0,61}[a-z0-9])"
    r"(?::\d{2,5})?(?P<path>/[^\s\"'<>()\[\]{}]*)?", re.IGNORECASE)
_DOT_LETTER = re.compile(r"[^\s.]\.[a-z]")
_IPV4_RE = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")

COMMON_TLDS = frozenset("""
com net org info biz vn xyz top vip online site club shop live me cc io co pro fun win cfd life click store icu app
asia tk ml ga cf gq pw cyou sbs bond lol rest monster buzz link website space tech work cloud today world one us uk
cn ru de fr jp kr sg my th ph id in la kh tw hk au ca eu mobi tv ly gl gd to ws bet casino games game vin tokyo ltd
""".split())
SUSPICIOUS_TLDS = frozenset("""
xyz top vip icu click online site cc tk ml ga cf gq cyou cfd sbs bond lol rest monster buzz pw win fun live shop
store club work today space website bet casino vin tokyo ltd
""".split())
SHORTENERS = frozenset("""
bit.ly tinyurl.com cutt.ly rb.gy s.id t.ly shorturl.at is.gd goo.gl ow.ly tiny.cc rebrand.ly shorten.asia
""".split())
# Hosts never reported as blocklisted, whatever the list says (community lists contain mistakes).
NEVER_BLOCK = frozenset("""
google.com youtube.com facebook.com fb.com zalo.me zalo.vn tiktok.com apple.com microsoft.com gov.vn chinhphu.vn
shopee.vn lazada.vn tiki.vn vietcombank.com.vn bidv.com.vn agribank.com.vn evn.com.vn csgt.vn
""".split())
_FOREIGN_GOV = re.compile(r"(?:^|\.)gov(?:\.(?:uk|au|sg|cn|kr|jp|in|ph|my|th|la|kh|id|br|za|nz|hk|tw|ca|us))?$")

# brand token -> regex of its official hosts (a host with the token that is not official is a lookalike)
BRANDS: dict[str, str] = {
    "vietcombank": r"(?:^|\.)vietcombank\.com\.vn$",
    "vcb": r"(?:^|\.)vietcombank\.com\.vn$",
    "bidv": r"(?:^|\.)bidv\.com\.vn$",
    "techcombank": r"(?:^|\.)techcombank\.com(?:\.vn)?$",
    "agribank": r"(?:^|\.)agribank\.com\.vn$",
    "vietinbank": r"(?:^|\.)vietinbank\.vn$",
    "mbbank": r"(?:^|\.)mbbank\.com\.vn$",
    "tpbank": r"(?:^|\.)tpb(?:ank)?\.(?:com\.)?vn$",
    "vpbank": r"(?:^|\.)vpbank\.com\.vn$",
    "sacombank": r"(?:^|\.)sacombank\.com(?:\.vn)?$",
    "hdbank": r"(?:^|\.)hdbank\.com\.vn$",
    "evn": r"(?:^|\.)evn[a-z0-9]*\.(?:com\.)?vn$",
    "vneid": r"(?:^|\.)vneid\.gov\.vn$",
    "dichvucong": r"(?:^|\.)dichvucong\.gov\.vn$",
    "shopee": r"(?:^|\.)shopee\.(?:vn|com|sg|ph|tw|co\.id|co\.th|com\.my|com\.br)$",
    "lazada": r"(?:^|\.)lazada\.(?:vn|com|sg|co\.id|co\.th|com\.my|com\.ph)$",
    "tiki": r"(?:^|\.)tiki\.vn$",
    "zalo": r"(?:^|\.)(?:zalo\.(?:me|vn)|zalopay\.vn|zaloapp\.com)$",
    "momo": r"(?:^|\.)momo\.vn$",
    "viettel": r"(?:^|\.)viettel[a-z]*\.(?:com\.)?vn$",
    "vinaphone": r"(?:^|\.)vinaphone\.com\.vn$",
    "mobifone": r"(?:^|\.)mobifone\.vn$",
    "bhxh": r"(?:^|\.)baohiemxahoi\.gov\.vn$",
    "baohiemxahoi": r"(?:^|\.)baohiemxahoi\.gov\.vn$",
    "bocongan": r"(?:^|\.)bocongan\.gov\.vn$",
    "csgt": r"(?:^|\.)csgt\.vn$",
    "facebook": r"(?:^|\.)(?:facebook\.com|facebook\.net)$",
}
_BRAND_OFFICIAL = {k: re.compile(v) for k, v in BRANDS.items()}


def registered_candidates(host: str) -> list[str]:
    """``host`` lower-cased without ``www.`` and each parent domain down to two labels, longest first:
    ``"a.b.example.com"`` → ``["a.b.example.com", "b.example.com", "example.com"]``."""
    host = host.lower().strip(".")
    if host.startswith("www."):
        host = host[4:]
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(0, max(1, len(labels) - 1))]


def gov_lookalike(host: str) -> str | None:
    """Why ``host`` imitates a Vietnamese government domain, or None.

    Lookalike: contains "gov" but is not ``gov.vn`` / ``*.gov.vn`` — e.g. ``gplxgov.org``,
    ``dichvucong-gov.com``, ``x.gov.vn.cc``, ``csgt.gov-vn.example``. Foreign government suffixes
    (``.gov``, ``.gov.uk``…) and words like "government" are not flagged.
    """
    h = registered_candidates(host)[0]
    if "gov" not in h or h == "gov.vn" or h.endswith(".gov.vn"):
        return None
    if ".gov.vn." in h or h.startswith("gov.vn."):
        return "'.gov.vn' followed by another suffix"
    if _FOREIGN_GOV.search(h):
        return None
    parts = [p for p in re.split(r"[.\-]", h) if "gov" in p]
    if parts and all(p.startswith("govern") for p in parts):
        return None
    if "-gov." in h or "gov-" in h:
        return "'gov' joined by a hyphen, not a .gov.vn domain"
    return "contains 'gov' but is not a .gov.vn domain"


def brand_lookalike(host: str) -> str | None:
    """The impersonated brand when ``host`` contains a bank / utility / platform name but is not one
    of its official domains (``vcb-sinhtrachoc.com`` → "vcb"), else None."""
    h = registered_candidates(host)[0]
    if h.endswith(".gov.vn"):
        return None
    parts = re.split(r"[.\-]", h)
    for brand, official in _BRAND_OFFICIAL.items():
        if brand == "evn":
            hit = any(p.startswith("evn") or p.endswith("evn") for p in parts)
        else:
            hit = brand in h
        if hit and not official.search(h):
            return brand
    return None


@dataclass
class Blocklist:
    """Hosts (lower-case, no ``www.``), host+path prefixes and IPv4 addresses from ChongLuaDao."""

    hosts: frozenset[str]
    paths: dict[str, tuple[str, ...]]
    ips: frozenset[str]
    tlds: frozenset[str]
    sha256: str
    n_entries: int

    @classmethod
    def from_lines(cls, lines: Iterable[str], ips: Iterable[str] = (), sha256: str = "") -> Blocklist:
        hosts: set[str] = set()
        paths: dict[str, list[str]] = {}
        n = 0
        for line in lines:
            entry = clean_entry(line)
            if not entry:
                continue
            n += 1
            host, _, path = entry.partition("/")
            if path:
                paths.setdefault(host, []).append("/" + path)
            else:
                hosts.add(host)
        tlds = frozenset(h.rsplit(".", 1)[-1] for h in hosts if "." in h)
        return cls(frozenset(hosts), {k: tuple(v) for k, v in paths.items()},
                   frozenset(i.strip() for i in ips if i.strip()), tlds, sha256, n)

    def match(self, host: str, path: str = "") -> str | None:
        """The blocklist entry that ``host`` (+ ``path``) falls under, or None. The host and each parent
        domain are compared; never for hosts in NEVER_BLOCK."""
        cands = registered_candidates(host)
        if cands[0] in NEVER_BLOCK:
            return None
        for cand in cands:
            if cand in self.hosts and cand not in NEVER_BLOCK:
                return cand
        for p in self.paths.get(cands[0], ()):
            if path.lower().startswith(p.lower()):
                return cands[0] + p
        return None


_ENTRY_HOST = re.compile(r"(?:[^\W](?:[\w\-]{0,61}[^\W_])?\.)+[^\W_][\w\-]{0,61}[^\W_]")


def clean_entry(line: str) -> str:
    """One blocklist line → ``host[/path]`` (lower-case, no scheme, no ``*.`` / ``www.`` / trailing ``/*``),
    or "" for blank lines, comments and lines that are not a hostname."""
    s = line.strip().lower()
    if not s or s.startswith("#"):
        return ""
    s = re.sub(r"^[a-z]+://", "", s)
    s = s.removeprefix("*.").removesuffix("/*").rstrip("/")
    if s.startswith("www."):
        s = s[4:]
    host, sep, path = s.partition("/")
    host = re.sub(r":\d{1,5}$", "", host)  # port
    if not _ENTRY_HOST.fullmatch(host):
        return ""
    return host + sep + path


def blocklist_paths(directory: Path = BLOCKLIST_DIR) -> list[Path]:
    """The shipped blocklist files that exist (``urls.txt`` or ``urls.txt.gz``, then ``ips.txt``)."""
    return [p for p in (directory / "urls.txt", directory / "urls.txt.gz", directory / "ips.txt") if p.exists()]


@lru_cache(maxsize=4)
def _load_blocklist(directory: Path, stamp: tuple[tuple[str, int, int], ...]) -> Blocklist:
    del stamp  # part of the cache key only: a refreshed file is reloaded
    h = hashlib.sha256()
    lines: list[str] = []
    for name in ("urls.txt", "urls.txt.gz"):
        path = directory / name
        if path.exists():
            raw = path.read_bytes()
            h.update(raw)
            text = gzip.decompress(raw).decode("utf-8") if name.endswith(".gz") else raw.decode("utf-8")
            lines.extend(text.splitlines())
    ip_path = directory / "ips.txt"
    ips = ip_path.read_text(encoding="utf-8").splitlines() if ip_path.exists() else []
    return Blocklist.from_lines(lines, ips, h.hexdigest())


def load_blocklist(directory: Path = BLOCKLIST_DIR) -> Blocklist:
    """The shipped ChongLuaDao blocklist (cached; reloaded when a file changes). An empty list when the
    files are missing (the phrase rules still work)."""
    stamp = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in blocklist_paths(directory))
    return _load_blocklist(directory, stamp)


def refresh_blocklist(source: Path, directory: Path = BLOCKLIST_DIR) -> int:
    """Replace the shipped blocklist copy with the entries of ``source`` (a ChongLuaDao ``urls.txt``:
    one host or host/path per line; ``http(s)://``, ``*.`` and ``/*`` are stripped, invalid lines dropped,
    duplicates removed, sorted). Written as ``urls.txt`` or, above 2 MB, ``urls.txt.gz`` (the other
    variant is removed). ``ips.txt`` and ``LICENSE`` next to ``source`` are copied too when present.

    Returns the number of entries written. Raises FileNotFoundError when ``source`` does not exist and
    ValueError when it holds no valid entry (the shipped copy is then left unchanged).
    """
    source = Path(source)
    raw = source.read_bytes()
    text = gzip.decompress(raw).decode("utf-8") if source.suffix == ".gz" else raw.decode("utf-8", errors="replace")
    entries = sorted({e for e in (clean_entry(line) for line in text.splitlines()) if e})
    if not entries:
        raise ValueError(f"{source}: no valid blocklist entry; shipped copy unchanged")
    directory.mkdir(parents=True, exist_ok=True)
    data = ("\n".join(entries) + "\n").encode("utf-8")
    plain, packed = directory / "urls.txt", directory / "urls.txt.gz"
    if len(data) > GZIP_ABOVE_BYTES:
        tmp = packed.with_suffix(".gz.tmp")
        tmp.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
        tmp.replace(packed)
        plain.unlink(missing_ok=True)
    else:
        tmp = plain.with_suffix(".txt.tmp")
        tmp.write_bytes(data)
        tmp.replace(plain)
        packed.unlink(missing_ok=True)
    for extra in ("ips.txt", "LICENSE"):
        src = source.parent / extra
        if src.exists() and src.resolve() != (directory / extra).resolve():
            (directory / extra).write_bytes(src.read_bytes())
    return len(entries)


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------

@dataclass
class RuleHit:
    rule: str
    term: str
    scam: float = 0.0
    report: float = 0.0
    ioc: float = 0.0


@dataclass
class RuleResult:
    """What the rules found in one text. ``scam`` / ``report``: summed weights, damped for long texts
    (× :func:`length_damping`); ``ioc``: probability floor from a blocklisted / lookalike host (0 when
    none); ``scam_topic``: the text has scam vocabulary ("lừa", "chiếm đoạt", "giả danh", "tự xưng",
    "đường link", "mã OTP", "cảnh giác"…: a report about scams must); ``hosts``: URLs/hosts found with a verdict; ``chars``: length of the text looked at."""

    hits: list[RuleHit] = field(default_factory=list)
    scam: float = 0.0
    report: float = 0.0
    ioc: float = 0.0
    scam_topic: bool = False
    hosts: list[dict[str, str]] = field(default_factory=list)
    chars: int = 0

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(h.rule for h in self.hits))


_WS = re.compile(r"\s+")


def _fold_table() -> dict[int, str]:
    """Precomposed Latin letters (incl. all Vietnamese ones) → base letter; đ/Đ → d/D."""
    table: dict[int, str] = {ord("đ"): "d", ord("Đ"): "D"}
    for cp in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        base = "".join(c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c))
        if len(base) == 1 and base != chr(cp) and base.isascii():
            table[cp] = base
    return table


_FOLD = _fold_table()


# A report about scams uses some of this vocabulary; without any, the report part of the score is 0.
SCAM_TOPIC = ("lua dao", "lua tien", "bi lua", "chieu lua", "ke lua", "lua gat", "lua lay", "chiem doat", "gia danh", "mao danh", "gia mao", "gia lam", "tu xung", "xung la",
              "thu doan", "sap bay", "nick gia", "tai khoan ao", "fanpage gia", "trang gia", "ung dung la",
              "so dien thoai la", "link la", "duong link", "ma otp", "mat tien", "mat trang", "canh giac", "scam", "phishing")
DAMPING_CHARS = 1_000


def length_damping(chars: int) -> float:
    """Factor on the summed rule weights: 1 up to DAMPING_CHARS characters, then sqrt(DAMPING_CHARS / chars)
    (0.71 at 2,000, 0.45 at 5,000): incidental matches pile up in long articles, scam messages are short."""
    return 1.0 if chars <= DAMPING_CHARS else math.sqrt(DAMPING_CHARS / chars)


def fold(text: str) -> tuple[str, str]:
    """(display copy, folded copy): NFC, invisible characters removed, whitespace runs → one space,
    lower-cased; and that without diacritics. The two have the same length for Vietnamese text
    (checked by the caller before slicing). Tone placement is not unified (the folded copy has no tones)."""
    norm = _WS.sub(" ", strip_invisible(unicodedata.normalize("NFC", text[:MAX_RULE_CHARS]))).lower()
    folded = norm.translate(_FOLD)
    return norm, folded if folded.isascii() else fold_diacritics(folded)


class ScamRules:
    """All rules compiled once; :meth:`match` one text at a time (≈0.1–0.3 ms per 2 KB text)."""

    def __init__(self, blocklist: Blocklist | None = None) -> None:
        self.blocklist = blocklist if blocklist is not None else load_blocklist()
        self.rules = RULES
        self._compiled = [(r, re.compile(r.pattern), r.clauses) for r in RULES]
        self.url_tlds = COMMON_TLDS | self.blocklist.tlds

    @property
    def version(self) -> str:
        h = hashlib.sha256()
        for r in self.rules:
            h.update(f"{r.name}|{r.pattern}|{r.scam}|{r.report}|{r.negatable}".encode())
        h.update(self.blocklist.sha256.encode())
        return f"rules-{h.hexdigest()[:8]}"

    def match(self, text: str, prefilter: bool = True) -> RuleResult:
        """Rule hits of ``text`` (any str; normalized here). A rule's regex runs only when one of its
        ``triggers`` occurs in the folded text (``prefilter=False`` runs them all; same result)."""
        norm, folded = fold(text)
        same = len(norm) == len(folded)
        res = RuleResult()
        done: set[str] = set()
        tokens = set(_TOKEN_RE.findall(folded))
        for rule, rx, clauses in self._compiled:
            if rule.name in done or (prefilter and not all(_present(c, tokens, folded) for c in clauses)):
                continue
            for m in rx.finditer(folded):
                if rule.negatable and _NEGATION_BEFORE.search(folded[max(0, m.start() - 40):m.start()]):
                    continue
                term = (norm if same else folded)[m.start():m.end()].strip()
                res.hits.append(RuleHit(rule.name, term[:80], rule.scam, rule.report))
                done.add(rule.name)
                break  # one hit per rule name
        imp_weight = 0.0
        for kind, rx, clause in _IMPERSONATION:
            if prefilter and not _present(clause, tokens, folded):
                continue
            m = rx.search(folded)
            if m is None:
                continue
            w = min(_IMPERSONATION_WEIGHT, IMPERSONATION_CAP - imp_weight)
            if w <= 0:
                break
            imp_weight += w
            term = (norm if same else folded)[m.start():m.end()]
            res.hits.append(RuleHit(f"impersonation:{kind}", term, scam=w))
        self._match_hosts(norm, res)
        damp = length_damping(len(folded))
        res.chars = len(folded)
        res.scam = sum(h.scam for h in res.hits) * damp
        res.report = sum(h.report for h in res.hits) * damp
        res.ioc = max((h.ioc for h in res.hits), default=0.0)
        res.scam_topic = any(t in folded for t in SCAM_TOPIC)
        return res

    def _match_hosts(self, norm: str, res: RuleResult) -> None:
        if "[" in norm or "(" in norm:
            norm = _DEFANG.sub(".", norm)
        # only whitespace-separated tokens with "<char>.<letter>" inside can hold a host
        spans = []
        for m in _DOT_LETTER.finditer(norm):
            if spans and m.start() < spans[-1][1]:
                continue
            spans.append((norm.rfind(" ", 0, m.start()) + 1, len(norm) if (e := norm.find(" ", m.end())) < 0 else e))
        text = " ".join(norm[a:b] for a, b in spans)
        for m in _HOST_RE.finditer(text):
            host, path, scheme = m.group("host").lower(), m.group("path") or "", m.group("scheme")
            tld = host.rsplit(".", 1)[-1]
            urlish = bool(scheme) or tld in self.url_tlds
            entry = self.blocklist.match(host, path)
            gov = gov_lookalike(host)
            if entry:
                res.hits.append(RuleHit("blocklisted_domain", host, scam=2.0, ioc=IOC_BLOCKLISTED))
                res.hosts.append({"host": host, "verdict": "blocklisted", "entry": entry})
            elif gov:
                res.hits.append(RuleHit("lookalike_gov_domain", host, scam=2.0, ioc=IOC_LOOKALIKE_GOV))
                res.hosts.append({"host": host, "verdict": "lookalike-gov", "reason": gov})
            elif urlish:
                brand = brand_lookalike(host)
                official = registered_candidates(host)[0].endswith(".gov.vn") or any(
                    _BRAND_OFFICIAL[b].search(host) for b in _BRAND_OFFICIAL)
                if brand:
                    res.hits.append(RuleHit("brand_lookalike_domain", host, scam=1.4))
                    res.hosts.append({"host": host, "verdict": "brand-lookalike", "brand": brand})
                elif registered_candidates(host)[0] in SHORTENERS:
                    res.hits.append(RuleHit("url_shortener", host, scam=0.6))
                    res.hosts.append({"host": host, "verdict": "shortener"})
                elif tld in SUSPICIOUS_TLDS:
                    res.hits.append(RuleHit("suspicious_tld", host, scam=0.7))
                    res.hosts.append({"host": host, "verdict": "suspicious-tld"})
                elif not official:
                    res.hits.append(RuleHit("url_in_text", host, scam=0.3))
                    res.hosts.append({"host": host, "verdict": "unknown"})
        for ip in self.blocklist.ips:
            if ip in norm and ip in _IPV4_RE.findall(norm):
                res.hits.append(RuleHit("blocklisted_ip", ip, scam=2.0, ioc=IOC_BLOCKLISTED))
                res.hosts.append({"host": ip, "verdict": "blocklisted"})
        # one contribution per kind of host rule (several links do not add up)
        kept: dict[str, RuleHit] = {}
        others = []
        for h in res.hits:
            if h.rule in {"blocklisted_domain", "lookalike_gov_domain", "brand_lookalike_domain", "url_shortener",
                          "suspicious_tld", "url_in_text", "blocklisted_ip"}:
                if h.rule not in kept:
                    kept[h.rule] = h
            else:
                others.append(h)
        res.hits = others + list(kept.values())


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def logit(p: float, eps: float = 1e-4) -> float:
    p = min(max(p, eps), 1 - eps)
    return math.log(p / (1 - p))
