"""Periodic activity report for the plan's reporting duty (yearly before 11 November, or on demand).

:func:`collect_activity` counts, for a period [start, end): documents monitored
(by status and outlet type), documents flagged per category, triage items
created per category and their current status, items routed per unit with
acknowledgement and resolution times (median and 90th percentile, hours),
dismissals, overdue items, exports and mails. :func:`write_activity` writes it as
XLSX (openpyxl), HTML (Jinja2, autoescaped) and PDF (fpdf2 with the DejaVu Sans
font that matplotlib ships, which covers Vietnamese). Every figure is a direct
database count, so the report's totals match the database (tested).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import AuditEvent, Document, Flag, MailSend, Source, TriageItem, Unit

CATEGORY_LABELS = {
    "misinformation": "Thông tin sai sự thật",
    "scam_fraud": "Lừa đảo",
    "threat_violence": "Đe dọa, bạo lực",
    "hate_abuse": "Xúc phạm, thù ghét",
    "public_concern": "Phản ánh, kiến nghị",
}
STATUS_LABELS = {"new": "Mới", "in_review": "Đang xem xét", "routed": "Đã chuyển", "acknowledged": "Đã tiếp nhận",
                 "resolved": "Đã giải quyết", "dismissed": "Đã bỏ qua"}
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class UnitRow:
    unit: str
    routed: int
    acknowledged: int
    resolved: int
    ack_median_h: float | None
    ack_p90_h: float | None
    resolve_median_h: float | None
    resolve_p90_h: float | None


@dataclass
class ActivityReport:
    start: dt.datetime
    end: dt.datetime
    generated_at: dt.datetime
    timezone: str
    documents_total: int
    documents_by_status: dict[str, int]
    documents_by_outlet_type: dict[str, int]
    sources_active: int
    flags_by_category: dict[str, int]
    triage_created: int
    triage_by_category: dict[str, int]
    triage_by_status: dict[str, int]
    units: list[UnitRow] = field(default_factory=list)
    dismissed: int = 0
    overdue: int = 0
    exports: int = 0
    mails_sent: int = 0
    items: list[list[Any]] = field(default_factory=list)

    def label(self, value: dt.datetime) -> str:
        return value.astimezone(ZoneInfo(self.timezone)).strftime("%d/%m/%Y")

    @property
    def period_label(self) -> str:
        return f"{self.label(self.start)} – {self.label(self.end - dt.timedelta(seconds=1))}"

    def summary_rows(self) -> list[tuple[str, Any]]:
        return [
            ("Kỳ báo cáo", self.period_label),
            ("Số bài viết, bài đăng đã thu thập", self.documents_total),
            ("  trong đó đã phân tích (thuộc địa bàn, tiếng Việt)", self.documents_by_status.get("ok", 0)),
            ("Số nguồn có bài trong kỳ", self.sources_active),
            ("Số mục đưa vào hàng đợi xử lý", self.triage_created),
            ("Số mục đã chuyển đơn vị", sum(u.routed for u in self.units)),
            ("Số mục đơn vị đã tiếp nhận", sum(u.acknowledged for u in self.units)),
            ("Số mục đã giải quyết", sum(u.resolved for u in self.units)),
            ("Số mục bỏ qua (có lý do)", self.dismissed),
            ("Số mục quá hạn chưa giải quyết", self.overdue),
            ("Số lần xuất dữ liệu", self.exports),
            ("Số thư đã gửi (bản tin, cảnh báo)", self.mails_sent),
        ]


def _hours(deltas: list[dt.timedelta]) -> tuple[float | None, float | None]:
    hours = sorted(d.total_seconds() / 3600 for d in deltas)
    if not hours:
        return None, None
    p90 = statistics.quantiles(hours, n=10, method="inclusive")[-1] if len(hours) > 1 else hours[0]
    return round(statistics.median(hours), 1), round(p90, 1)


def collect_activity(session: Session, settings: Any, start: dt.datetime, end: dt.datetime,
                     now: dt.datetime | None = None) -> ActivityReport:
    """Count the activity of [start, end) (aware datetimes); ``now`` decides what is overdue."""
    now = now or dt.datetime.now(dt.UTC)
    tz = ZoneInfo(settings.timezone)
    in_period = (Document.created_at >= start, Document.created_at < end)
    by_status = dict(session.execute(select(Document.status, func.count()).where(*in_period)
                                     .group_by(Document.status)).all())
    by_type: Counter[str] = Counter()
    for outlet_type, n in session.execute(select(Source.outlet_type, func.count()).select_from(Document)
                                          .outerjoin(Source, Source.id == Document.source_id)
                                          .where(*in_period).group_by(Source.outlet_type)):
        by_type[outlet_type or "khác"] += n
    sources_active = session.scalar(select(func.count(func.distinct(Document.source_id))).where(*in_period)) or 0
    flags = dict(session.execute(select(Flag.category, func.count(func.distinct(Flag.document_id)))
                                 .join(Document, Document.id == Flag.document_id)
                                 .where(*in_period, Document.status == "ok").group_by(Flag.category)).all())
    items = list(session.scalars(select(TriageItem).where(TriageItem.created_at >= start, TriageItem.created_at < end)
                                 .order_by(TriageItem.id)))
    units = {u.id: u.short_name or u.name for u in session.scalars(select(Unit).order_by(Unit.id))}
    unit_rows = []
    for unit_id, name in units.items():
        routed = [i for i in items if i.routed_unit_id == unit_id and i.routed_at]
        acked = [i for i in routed if i.acknowledged_at]
        resolved = [i for i in routed if i.resolved_at]
        am, a90 = _hours([i.acknowledged_at - i.routed_at for i in acked])
        rm, r90 = _hours([i.resolved_at - i.created_at for i in resolved])
        unit_rows.append(UnitRow(name, len(routed), len(acked), len(resolved), am, a90, rm, r90))
    overdue = sum(1 for i in items if i.due_at and i.status not in ("resolved", "dismissed") and i.due_at < now)
    exports = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "export", AuditEvent.at >= start, AuditEvent.at < end)) or 0
    mails = session.scalar(select(func.count()).select_from(MailSend).where(
        MailSend.state.in_(("sent", "outbox")), MailSend.created_at >= start, MailSend.created_at < end)) or 0

    def t(v: dt.datetime | None) -> str:
        return v.astimezone(tz).strftime("%Y-%m-%d %H:%M") if v else ""

    detail = [[i.id, CATEGORY_LABELS.get(i.top_category, i.top_category), STATUS_LABELS.get(i.status, i.status),
               i.priority, units.get(i.routed_unit_id, ""), t(i.created_at), t(i.due_at), t(i.routed_at),
               t(i.acknowledged_at), t(i.resolved_at)] for i in items]
    return ActivityReport(
        start=start, end=end, generated_at=now, timezone=settings.timezone,
        documents_total=sum(by_status.values()), documents_by_status=by_status, documents_by_outlet_type=dict(by_type),
        sources_active=sources_active, flags_by_category=flags, triage_created=len(items),
        triage_by_category=dict(Counter(i.top_category for i in items)),
        triage_by_status=dict(Counter(i.status for i in items)), units=unit_rows,
        dismissed=sum(1 for i in items if i.status == "dismissed"), overdue=overdue, exports=exports,
        mails_sent=mails, items=detail)


DETAIL_COLUMNS = ["Mã mục", "Nhóm cờ chính", "Trạng thái", "Ưu tiên", "Đơn vị đã chuyển", "Tạo lúc", "Hạn xử lý",
                  "Chuyển lúc", "Tiếp nhận lúc", "Giải quyết lúc"]
UNIT_COLUMNS = ["Đơn vị", "Số mục đã chuyển", "Đã tiếp nhận", "Đã giải quyết", "Thời gian tiếp nhận – trung vị (giờ)",
                "Tiếp nhận – 90% (giờ)", "Thời gian giải quyết – trung vị (giờ)", "Giải quyết – 90% (giờ)"]


def category_rows(r: ActivityReport) -> list[list[Any]]:
    rows = [[label, r.flags_by_category.get(cat, 0), r.triage_by_category.get(cat, 0)]
            for cat, label in CATEGORY_LABELS.items()]
    rows.append(["Tổng", sum(r.flags_by_category.values()), r.triage_created])
    return rows


def unit_rows(r: ActivityReport) -> list[list[Any]]:
    rows: list[list[Any]] = [[u.unit, u.routed, u.acknowledged, u.resolved, u.ack_median_h, u.ack_p90_h,
                              u.resolve_median_h, u.resolve_p90_h] for u in r.units]
    rows.append(["Tổng", sum(u.routed for u in r.units), sum(u.acknowledged for u in r.units),
                 sum(u.resolved for u in r.units), None, None, None, None])
    return rows


def write_xlsx(r: ActivityReport, path: Path) -> Path:
    """The report as a workbook: Tổng hợp, Nhóm cờ, Đơn vị, Chi tiết mục."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws.append(["BÁO CÁO HOẠT ĐỘNG THEO DÕI THÔNG TIN"])
    ws["A1"].font = Font(bold=True, size=14)
    for label, value in r.summary_rows():
        ws.append([label, value])
    ws.append(["Trạng thái bài viết", "Số lượng"])
    for status, n in sorted(r.documents_by_status.items()):
        ws.append([status, n])
    ws.column_dimensions["A"].width = 55
    ws.column_dimensions["B"].width = 25
    for title, columns, rows in (("Nhóm cờ", ["Nhóm cờ", "Số bài bị gắn cờ", "Số mục hàng đợi"], category_rows(r)),
                                 ("Đơn vị", UNIT_COLUMNS, unit_rows(r)),
                                 ("Chi tiết mục", DETAIL_COLUMNS, r.items)):
        sheet = wb.create_sheet(title)
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        for col in sheet.columns:
            sheet.column_dimensions[col[0].column_letter].width = max(12, min(45, len(str(col[0].value)) + 4))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def render_html(r: ActivityReport) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("activity.html.j2").render(
        r=r, category_rows=category_rows(r), unit_rows=unit_rows(r), unit_columns=UNIT_COLUMNS,
        detail_columns=DETAIL_COLUMNS, status_labels=STATUS_LABELS)


def _font_paths() -> tuple[Path, Path]:
    import matplotlib

    base = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return base / "DejaVuSans.ttf", base / "DejaVuSans-Bold.ttf"


def write_pdf(r: ActivityReport, path: Path) -> Path:
    """The summary, category and unit tables as an A4 PDF (fpdf2, DejaVu Sans)."""
    from fpdf import FPDF

    regular, bold = _font_paths()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, "BÁO CÁO HOẠT ĐỘNG THEO DÕI THÔNG TIN", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 6, f"Kỳ báo cáo: {r.period_label} · lập lúc {r.generated_at.astimezone(ZoneInfo(r.timezone)):%d/%m/%Y %H:%M}",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    def table(title: str, columns: list[str], rows: list[list[Any]], widths: tuple[int, ...]) -> None:
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=5) as t:
            for row in [columns, *rows]:
                cells = t.row()
                for v in row:
                    cells.cell("" if v is None else str(v))
        pdf.ln(3)

    table("Tổng hợp", ["Chỉ tiêu", "Giá trị"], [list(x) for x in r.summary_rows()], (3, 1))
    table("Theo nhóm cờ", ["Nhóm cờ", "Số bài bị gắn cờ", "Số mục hàng đợi"], category_rows(r), (2, 1, 1))
    table("Theo đơn vị", UNIT_COLUMNS, unit_rows(r), (3, 1, 1, 1, 1, 1, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def write_activity(r: ActivityReport, directory: Path) -> dict[str, Path]:
    """Write bao-cao-hoat-dong-<start>-<end>.{xlsx,html,pdf}; returns {format: path}."""
    tz = ZoneInfo(r.timezone)
    stem = f"bao-cao-hoat-dong-{r.start.astimezone(tz):%Y%m%d}-{(r.end - dt.timedelta(seconds=1)).astimezone(tz):%Y%m%d}"
    directory.mkdir(parents=True, exist_ok=True)
    html_path = directory / f"{stem}.html"
    html_path.write_text(render_html(r), encoding="utf-8")
    return {"xlsx": write_xlsx(r, directory / f"{stem}.xlsx"), "html": html_path,
            "pdf": write_pdf(r, directory / f"{stem}.pdf")}


def default_period(now: dt.datetime, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The plan's reporting year, which ends before 11 November: from the last 11 November
    (local midnight) up to ``now``. For a closed year pass the dates explicitly."""
    local = now.astimezone(tz)
    start = dt.datetime(local.year, 11, 11, tzinfo=tz)
    if local < start:
        start = start.replace(year=local.year - 1)
    return start, now
