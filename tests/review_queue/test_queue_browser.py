"""The moderator UI in a real headless browser (Debian chromium via Playwright).

Log in with a token, claim, decide with a keyboard shortcut, see the audit entry; listing text
that looks like HTML must appear as text.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn

from review_queue import QueuePolicy, open_store
from review_queue.api import create_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
HOSTILE_TITLE = '<img src=x onerror="window.pwned=1"><b>iPhone</b>'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(sqlite_url, new_case):
    store = open_store(sqlite_url, policy=QueuePolicy(second_review_share=0.0))
    token = store.users.add("anna", "moderator")
    store.enqueue([new_case(1, risk=0.9, listing={**new_case(1).listing, "title": HOSTILE_TITLE}),
                   new_case(2, risk=0.1)])
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=_free_port(),
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the queue server did not start")
        time.sleep(0.05)
    yield store, token, f"http://127.0.0.1:{server.config.port}/"
    server.should_exit = True
    thread.join(timeout=10)
    store.close()


def test_login_claim_decide_by_keyboard_and_see_audit(served):
    from playwright.sync_api import expect, sync_playwright

    store, token, url = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)  # CI machines are busy; real failures still fail
            expect.set_options(timeout=20_000)
            page.goto(url)
            page.fill("#token", "rq_wrong")
            page.click("#login")
            expect(page.locator("#login-error")).to_contain_text("unknown or disabled token")

            page.fill("#token", token)
            page.click("#login")
            expect(page.locator("#whoami")).to_have_text("anna (moderator)")
            expect(page.locator("#queue-status")).to_contain_text("No cases held")
            page.keyboard.press("c")

            title = page.locator("#listing-title")
            expect(title).to_have_text(HOSTILE_TITLE)  # shown as text, not markup
            assert page.locator("#listing-title img, #listing-title b").count() == 0
            assert page.evaluate("window.pwned") is None
            expect(page.locator("#listing-description mark").first).to_have_text("телеграм @seller")
            expect(page.locator("#contributions")).to_contain_text("text_prepayment")
            expect(page.locator("#seller")).to_contain_text("Past blocks")
            first_id = int(page.locator("#case-position").inner_text().split()[1])

            page.keyboard.press("n")
            page.keyboard.type("предоплата на карту")
            page.keyboard.press("Escape")  # leave the note field, stay on the case
            expect(page.locator("#case-view")).to_be_visible()
            page.keyboard.press("2")  # block: prepayment_scam

            expect(page.locator("#last-case")).to_have_text(str(first_id))
            expect(page.locator("#audit-entries")).to_contain_text(
                "anna decide: block / prepayment_scam — предоплата на карту"
            )
            expect(page.locator("#audit-entries")).to_contain_text("anna claim")
            expect(page.locator("#case-position")).not_to_contain_text(f"Case {first_id} ")  # next case at once
        finally:
            browser.close()

    decided = store.get_case(first_id)
    assert (decided.decision, decided.reason_code, decided.decided_by) == ("block", "prepayment_scam", "anna")
