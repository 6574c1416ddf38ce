"""Tips (admin, analyst): GET /tips shows the form, POST /tips (CSRF) submits a link or a
pasted text through :func:`mediawatch.tips.submit_tip` and shows where it ended (the
existing document when it was already stored, the triage item when one exists).
A refused tip (empty, both fields, an internal address) is shown with its Vietnamese
message (422) and the form keeps what was typed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from mediawatch.tips import TipRefused, submit_tip
from storage.models import User
from web.app import templates
from web.deps import check_csrf, get_db, require_user

router = APIRouter(include_in_schema=False)
EDITORS = ("admin", "analyst")


def _page(request: Request, values: dict[str, str], *, result: Any = None, error: str | None = None,
          status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, "tips.html", {"values": values, "result": result, "error": error},
                                      status_code=status_code)


@router.get("/tips")
def tips_form(request: Request, user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    return _page(request, {"url": "", "text": "", "note": ""})


@router.post("/tips")
def tips_submit(request: Request, url: str = Form(""), text: str = Form(""), note: str = Form(""),
                csrf_token: str = Form(""), db: Session = Depends(get_db, scope="function"),  # noqa: B008
                user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    check_csrf(request, csrf_token)
    values = {"url": url, "text": text, "note": note}
    try:
        result = submit_tip(db, request.app.state.settings, url=url, text=text, by=user.username, note=note,
                            via="web")
    except TipRefused as exc:
        return _page(request, values, error=str(exc), status_code=422)
    return _page(request, {"url": "", "text": "", "note": ""}, result=result)
