"""The moderator UI in a real headless browser (Debian chromium via Playwright).

Log in with a token, claim, decide with a keyboard shortcut, see the audit entry; listing text
that looks like HTML must appear as text; a senior settling a dispute sees both decisions.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

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


@contextmanager
def _serving(store):
    """The queue app on a free local port, in a thread; yields its URL."""
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=_free_port(),
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the queue server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def _browser_page():
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)  # CI machines are busy; real failures still fail
            expect.set_options(timeout=20_000)
            yield page
        finally:
            browser.close()


@pytest.fixture
def served(sqlite_url, new_case):
    store = open_store(sqlite_url, policy=QueuePolicy(second_review_share=0.0))
    token = store.users.add("anna", "moderator")
    store.enqueue([new_case(1, risk=0.9, listing={**new_case(1).listing, "title": HOSTILE_TITLE}),
                   new_case(2, risk=0.1)])
    with _serving(store) as url:
        yield store, token, url
    store.close()


def test_login_claim_decide_by_keyboard_and_see_audit(served):
    from playwright.sync_api import expect

    store, token, url = served
    with _browser_page() as page:
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

    decided = store.get_case(first_id)
    assert (decided.decision, decided.reason_code, decided.decided_by) == ("block", "prepayment_scam", "anna")


def test_senior_sees_both_decisions_of_a_dispute(sqlite_url, new_case):
    from playwright.sync_api import expect

    store = open_store(sqlite_url, policy=QueuePolicy(second_review_share=1.0))
    token = store.users.add("olga", "senior")
    store.enqueue([new_case(1)])
    (first,) = store.claim("anna", limit=1)
    store.decide(first.id, "anna", "block", "spam", note="рассылка")
    (second,) = store.claim("boris", limit=1)
    dispute_id = store.decide(second.id, "boris", "approve", "ok").dispute_case_id
    try:
        with _serving(store) as url, _browser_page() as page:
            page.goto(url)
            page.fill("#token", token)
            page.click("#login")
            expect(page.locator("#whoami")).to_have_text("olga (senior)")
            expect(page.locator("#queue-status")).to_contain_text("No cases held")  # app ready
            page.keyboard.press("c")
            expect(page.locator("#case-position")).to_contain_text(f"Case {dispute_id}")
            box = page.locator("#dispute-box")
            expect(box).to_be_visible()
            expect(page.locator("#dispute-first")).to_have_text("block / spam")
            expect(page.locator("#dispute-first-by")).to_have_text("anna")
            expect(page.locator("#dispute-first-note")).to_have_text("рассылка")
            expect(page.locator("#dispute-second")).to_have_text("approve / ok")
            expect(page.locator("#dispute-second-by")).to_have_text("boris")
            expect(page.locator("#appeal-box")).to_be_hidden()
            page.keyboard.press("a")  # approve: the senior's final word
            expect(page.locator("#last-case")).to_have_text(str(dispute_id))
        settled = store.get_case(dispute_id)
        assert (settled.decision, settled.decided_by) == ("approve", "olga")
    finally:
        store.close()
