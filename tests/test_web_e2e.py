"""End to end in headless Chromium (Debian's package, driven by Playwright): sign in, filter the
queue, open an item, confirm a route, edit a watchlist and see its preview.

Skips when /usr/bin/chromium is absent; fails instead when MEDIAWATCH_REQUIRE_BROWSER=1 (.ci/run
installs Debian's chromium and sets it). With MEDIAWATCH_SCREENSHOT_DIR set, saves screenshots
of the queue and the item page there (docs/ holds the committed ones).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from mediawatch.cycle import run_demo
from storage.models import TriageItem
from tests.conftest import free_port
from web.app import create_app
from web.users import add_user

CHROMIUM = Path(os.environ.get("MEDIAWATCH_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture
def browser_path() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("MEDIAWATCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is required (MEDIAWATCH_REQUIRE_BROWSER=1) but missing")
        pytest.skip("Debian chromium not installed")
    return CHROMIUM


@pytest.fixture
def live_server(settings, session_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    import uvicorn

    run_demo(settings)
    with session_factory() as s:
        add_user(s, "chuyenvien", "mat-khau-chuyen-vien", "analyst", display_name="Nguyễn Văn An")
        add_user(s, "lienlac.ca", "mat-khau-lien-lac", "liaison", unit_code="cong-an", display_name="Trần Thị Bình")
        s.commit()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, session_factory), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_analyst_day_in_the_browser(browser_path, live_server, session_factory) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    # CI runs this beside other work on two cores: a sign-in (argon2) plus the first queue page can
    # take longer than Playwright's 5 s default, which is not what this test is about.
    expect.set_options(timeout=30_000)
    shots = os.environ.get("MEDIAWATCH_SCREENSHOT_DIR")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(browser_path), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        page.set_default_timeout(60_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

        # sign in (anonymous is sent to the sign-in page)
        page.goto(f"{live_server}/queue")
        expect(page).to_have_url(f"{live_server}/login?next=/queue")
        page.fill("input[name=username]", "chuyenvien")
        page.fill("input[name=password]", "mat-khau-chuyen-vien")
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{live_server}/queue")
        expect(page.locator("header")).to_contain_text("Nguyễn Văn An")
        if shots:
            page.screenshot(path=str(Path(shots) / "web-queue.png"), full_page=True)

        # filter the queue to scams
        page.select_option("select[name=category]", "scam_fraud")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**category=scam_fraud**")
        rows = page.locator("table tbody tr")
        expect(rows).to_have_count(1)

        # open the item and confirm the suggested police route, with a reason
        rows.first.locator("a[href^='/items/']").first.click()
        page.wait_for_url("**/items/*")
        expect(page.locator("h1")).to_be_visible()
        if shots:
            page.screenshot(path=str(Path(shots) / "web-item.png"), full_page=True)
        route = page.locator("form[action$='/route']")
        route.locator("select[name=unit]").select_option("cong-an")
        route.locator("textarea[name=reason]").fill("Giả danh công an yêu cầu chuyển tiền: đề nghị xác minh")
        route.locator("button[type=submit]").click()
        page.wait_for_load_state()
        expect(page.locator("body")).to_contain_text("Đã chuyển")
        with session_factory() as s:
            item = s.scalar(select(TriageItem).where(TriageItem.top_category == "scam_fraud"))
            assert item.status == "routed" and item.route_confirmed_by == "chuyenvien"

        # a watchlist: the preview updates while typing, then save and edit it
        page.goto(f"{live_server}/watchlists/new")
        page.fill("input[name=name]", "Cảng Cái Mép")
        page.locator("textarea[name=query]").press_sequentially('"cai mep" OR "Phu My"', delay=20)
        expect(page.locator("#preview")).to_contain_text("Cái Mép")
        page.click("form.watchlist-form button[type=submit]")
        page.wait_for_url(f"{live_server}/watchlists**")
        expect(page.locator("body")).to_contain_text("Cảng Cái Mép")
        page.locator("a[href$='/edit']").first.click()
        page.locator("textarea[name=query]").fill("")
        page.locator("textarea[name=query]").press_sequentially('("cai mep"', delay=20)
        expect(page.locator("#preview")).to_contain_text("ngoặc")
        assert not errors, errors
        browser.close()
