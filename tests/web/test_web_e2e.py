"""The widget with the real assistant, in headless Chromium (issue 4's browser scenarios).

Starts the action server, `rasa run` with the model in $MODEL_PATH and web/serve.py on free
local ports (fixture `web_stack`). Screenshots and timings go to tests/output/web/.
"""

from __future__ import annotations

import json
import re
import statistics

import pytest

from widget_page import (
    BOT, OUTPUT, ask, cut_off, focus_quick_reply, focused_has, open_by_keyboard, open_launcher,
    type_question, wait_bot_text,
)

pytestmark = [pytest.mark.browser, pytest.mark.model]

SPREAD_QUESTION = "where does breast cancer spread?"
SITES = ("bone", "brain", "liver", "lung")
GUIDANCE = "healthcare provider"
ANSWER_TIMEOUT = 30000


def bot_texts(page_or_frame) -> str:
    return "\n".join(page_or_frame.locator(BOT).all_inner_texts())


def wait_more_bot(page, before: int) -> None:
    """Wait until the assistant has said more than `before` messages.

    (A function, not an expression string: the pages' CSP forbids eval, as it should.)
    """
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length > n",
                           arg=[BOT, before], timeout=ANSWER_TIMEOUT)


def ask_spread(page_or_frame) -> None:
    ask(page_or_frame, SPREAD_QUESTION)
    wait_bot_text(page_or_frame, GUIDANCE, timeout=ANSWER_TIMEOUT)


def test_spread_answer_with_sites_guidance_and_quick_reply(page, web_stack, shots):
    open_launcher(page, web_stack.web)
    ask_spread(page)
    text = bot_texts(page).lower()
    for site in SITES:
        assert site in text, f"{site!r} missing from the answer: {text}"
    assert GUIDANCE in page.locator(BOT).last.inner_text().lower(), "the guidance comes last"
    body_map = page.locator("img[src$='/bodymap/breast.svg']")
    body_map.wait_for()
    alt = body_map.get_attribute("alt") or ""
    assert all(site in alt for site in SITES), alt
    body_map.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=body_map.element_handle(),
                           timeout=ANSWER_TIMEOUT)  # the map really loads from the project's server
    replies = page.get_by_role("group", name="Suggested replies")
    replies.last.wait_for()
    page.screenshot(path=str(shots / "spread-answer.png"))
    before = page.locator(BOT).count()
    first = replies.last.get_by_role("button").first
    title = first.inner_text()
    first.click()
    page.locator(".mc-user .mc-bubble", has_text=title).wait_for()
    wait_more_bot(page, before)
    assert page.dialogs == []


def test_conversation_is_back_after_reload(page, web_stack):
    open_launcher(page, web_stack.web)
    ask_spread(page)
    answers = page.locator(BOT).count()
    page.reload()
    page.locator(".mc-user .mc-bubble", has_text=SPREAD_QUESTION).wait_for()
    assert page.locator(BOT).count() == answers
    # And the conversation goes on in the same session.
    ask(page, "hello")
    wait_more_bot(page, answers)


@pytest.mark.parametrize("hostile", [
    "<img src=x onerror=alert(1)>",
    "<script>alert(document.cookie)</script>",
])
def test_html_sent_by_the_user_is_shown_literally(page, web_stack, hostile):
    open_launcher(page, web_stack.web)
    before = page.locator(BOT).count()
    ask(page, hostile)
    page.locator(".mc-user .mc-bubble", has_text=hostile).wait_for()
    wait_more_bot(page, before)
    page.wait_for_timeout(500)
    assert page.dialogs == []
    assert page.locator(".mc-log script").count() == 0
    assert page.locator(".mc-log img[src='x']").count() == 0


STORAGE_PROBE = """() => {
  try { window.sessionStorage.setItem('probe', '1'); return 'available'; }
  catch (e) { return e.name; }
}"""


def test_embed_in_cross_site_iframe(browser, web_stack, shots):
    """embed.html from 127.0.0.1 inside a page on localhost: a different site, as on a forum."""
    # A fresh profile with third-party cookies blocked (Chromium's default for new profiles,
    # and Safari's and Brave's): storage in a cross-site frame then throws SecurityError.
    context = browser.new_context(viewport={"width": 800, "height": 800})
    try:
        page = context.new_page()
        page.goto(web_stack.other_site.at("forum-post.html", host="localhost"))
        frame_element = page.wait_for_selector("iframe")
        frame = frame_element.content_frame()
        frame.wait_for_selector(".mc-input")
        storage = frame.evaluate(STORAGE_PROBE)
        ask_spread(frame)
        text = bot_texts(frame).lower()
        assert all(site in text for site in SITES)
        page.screenshot(path=str(shots / f"iframe-storage-{storage}.png"))
        (shots / "storage.txt").write_text(f"sessionStorage in the cross-site frame: {storage}\n")
    finally:
        context.close()


def test_keyboard_only_conversation(page, web_stack, shots):
    open_by_keyboard(page, web_stack.web.at("index.html"), presses=12)
    type_question(page, SPREAD_QUESTION)
    wait_bot_text(page, GUIDANCE, timeout=ANSWER_TIMEOUT)
    page.get_by_role("group", name="Suggested replies").last.wait_for()
    title = focus_quick_reply(page, presses=15)
    page.screenshot(path=str(shots / "keyboard-focus-on-quick-reply.png"))
    before = page.locator(BOT).count()
    page.keyboard.press("Enter")
    page.locator(".mc-user .mc-bubble", has_text=title).wait_for()
    wait_more_bot(page, before)
    assert focused_has(page, "mc-input")


def test_320px_screenshot_nothing_cut_off(browser, web_stack, shots):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        open_launcher(page, web_stack.web)
        ask_spread(page)
        page.screenshot(path=str(shots / "spread-answer-320px.png"))
        result = cut_off(page)
        assert result == {"bad": [], "scrollWidth": 320}
    finally:
        context.close()


# ---------------------------------------------------------------- rasa-webchat compatibility
def open_rasa_webchat(page, stack) -> None:
    page.goto(stack.other_site.at("rasa-webchat.html"))
    page.locator(".rw-launcher").click()
    page.locator(".rw-new-message").wait_for()


def test_rasa_webchat_1_0_1_gets_an_answer(page, web_stack):
    """Sites running rasa-webchat@1.0.1 (served locally from npm) can point it at this server."""
    open_rasa_webchat(page, web_stack)
    page.locator(".rw-new-message").fill(SPREAD_QUESTION)
    page.locator(".rw-new-message").press("Enter")
    # rasa-webchat first sends an empty message of its own (its initPayload), which gets the
    # assistant's "didn't understand" reply: wait for the answer to the question itself.
    page.wait_for_function(
        "([sel, words]) => { const t = [...document.querySelectorAll(sel)]"
        ".map((e) => e.textContent.toLowerCase()).join(' ');"
        " return words.every((w) => t.includes(w)); }",
        arg=[".rw-response", list(SITES)], timeout=ANSWER_TIMEOUT)


# ---------------------------------------------------------------- measurements
# Time from the Enter key to the first message of the answer in the DOM, measured in the page.
# Each run starts from a fresh load with empty storage (a new conversation), the same way for
# both widgets; rasa-webchat's typing indicator does not count as an answer.
TIMER = """(selector) => {
  const answered = () => [...document.querySelectorAll(selector)]
      .filter((el) => el.textContent.trim()).length;
  window.__lat = {t0: 0, t1: 0, before: 0};
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') window.__lat = {t0: performance.now(), t1: 0, before: answered()};
  }, true);
  new MutationObserver(() => {
    const lat = window.__lat;
    if (lat.t0 && !lat.t1 && answered() > lat.before) lat.t1 = performance.now();
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""

RUNS = 20
WIDGET = {
    "answer": BOT,
    "open": lambda page: page.get_by_role("button", name=re.compile("Chat about")).click(),
    "field": lambda page: page.get_by_label("Your question"),
    "ready": "() => window.MetastasisChat.instance && window.MetastasisChat.instance.ready",
}
RASA_WEBCHAT = {
    "answer": ".rw-message:not(.rw-typing-indication) .rw-response",
    "open": lambda page: page.locator(".rw-launcher").click(),
    "field": lambda page: page.locator(".rw-new-message"),
    "ready": "() => !!JSON.parse(sessionStorage.getItem('chat_session') || '{}').session_id",
    # It sends an empty message when it connects: let that reply finish before asking.
    "settle": True,
}

SETTLE = """([selector, quietMs]) => new Promise((resolve) => {
  let last = null, since = performance.now();
  const tick = () => {
    const now = document.querySelectorAll(selector).length + ':' +
        document.querySelectorAll('.rw-typing-indication').length;
    if (now !== last) { last = now; since = performance.now(); }
    if (performance.now() - since >= quietMs) resolve(true); else setTimeout(tick, 100);
  };
  tick();
})"""


def page_weight_kb(browser, url: str, widget: dict) -> float:
    """KB transferred (headers + encoded bodies) to show the page and open the chat, cold."""
    context = browser.new_context()
    try:
        page = context.new_page()
        sizes = []
        page.on("requestfinished", lambda request: sizes.append(
            (request.url, sum(request.sizes()[k] for k in ("responseBodySize",
                                                           "responseHeadersSize")))))
        page.goto(url)
        widget["open"](page)
        page.wait_for_function(widget["ready"], timeout=ANSWER_TIMEOUT)
        page.wait_for_load_state("networkidle")
        return round(sum(size for u, size in sizes if "/socket.io/" not in u) / 1024, 1)
    finally:
        context.close()


def enter_to_answer_ms(browser, url: str, widget: dict) -> list:
    context = browser.new_context()
    context.add_init_script("try { sessionStorage.clear(); } catch (e) {}")
    samples = []
    try:
        page = context.new_page()
        for _ in range(RUNS):
            page.goto(url)
            widget["open"](page)
            page.wait_for_function(widget["ready"], timeout=ANSWER_TIMEOUT)
            if widget.get("settle"):
                page.evaluate(SETTLE, [widget["answer"], 1500])
            page.evaluate(TIMER, widget["answer"])
            field = widget["field"](page)
            field.fill(SPREAD_QUESTION)
            field.press("Enter")
            page.wait_for_function("() => window.__lat.t1 > 0", timeout=ANSWER_TIMEOUT)
            samples.append(page.evaluate("() => window.__lat.t1 - window.__lat.t0"))
    finally:
        context.close()
    return samples


def test_measure_enter_to_answer_and_page_weight(browser, web_stack):
    """Median Enter-to-answer time over 20 questions: this widget vs rasa-webchat@1.0.1."""
    widget_url = web_stack.web.at("index.html")
    webchat_url = web_stack.other_site.at("rasa-webchat.html")
    widget_ms = enter_to_answer_ms(browser, widget_url, WIDGET)
    webchat_ms = enter_to_answer_ms(browser, webchat_url, RASA_WEBCHAT)
    summary = {
        "question": SPREAD_QUESTION,
        "runs": RUNS,
        "widget_median_ms": round(statistics.median(widget_ms), 1),
        "rasa_webchat_median_ms": round(statistics.median(webchat_ms), 1),
        "widget_page_kb_transferred": page_weight_kb(browser, widget_url, WIDGET),
        "rasa_webchat_page_kb_transferred": page_weight_kb(browser, webchat_url, RASA_WEBCHAT),
        "samples_ms": {"widget": [round(v, 1) for v in widget_ms],
                       "rasa_webchat": [round(v, 1) for v in webchat_ms]},
    }
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "measurements.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "samples_ms"}))
    # What is asserted is behaviour: every one of the questions got its answer in both widgets.
    # The times are reported (tests/output/web/measurements.json), not asserted: the project
    # keeps wall-clock thresholds out of tests (make bench measures speed). The two medians are
    # within ~15 ms of each other (67 vs 83 ms before issue 10, 69 vs 76 and 71 vs 70 after).
    assert len(widget_ms) == len(webchat_ms) == RUNS
    assert all(ms > 0 for ms in widget_ms + webchat_ms)


def test_forget_me_clears_the_widget_and_starts_a_new_conversation(page, web_stack, shots):
    """"Forget me" with the real assistant: asked, confirmed with the button, and then the
    widget keeps nothing of the conversation and the next question starts a new one (this
    stack's tracker store is in memory; the deletion in SQL is tests/production/test_forget_me.py)."""
    open_launcher(page, web_stack.web)
    ask(page, "my mum has breast cancer")
    wait_bot_text(page, GUIDANCE, timeout=ANSWER_TIMEOUT)
    old = page.evaluate("sessionStorage.getItem('metastasis-chat:session')")
    assert old
    ask(page, "please delete this conversation")
    wait_bot_text(page, "Do you want me to delete this conversation?", timeout=ANSWER_TIMEOUT)
    page.get_by_role("group", name="Suggested replies").last.get_by_role("button", name="Yes, delete it").click()
    wait_bot_text(page, "I have deleted this conversation", timeout=ANSWER_TIMEOUT)
    page.wait_for_function("old => sessionStorage.getItem('metastasis-chat:session') !== old", arg=old)
    page.screenshot(path=str(shots / "forgotten.png"))
    assert page.evaluate("sessionStorage.getItem('metastasis-chat:log')") is None
    assert page.locator(".mc-user").count() == 0
    assert "breast cancer" not in page.locator(".mc-log").inner_text()
    ask(page, "where can it spread?")
    # a new conversation: the cancer type told before is not known any more
    wait_bot_text(page, "Which cancer do you mean?", timeout=ANSWER_TIMEOUT)
    new = page.evaluate("sessionStorage.getItem('metastasis-chat:session')")
    assert new and new != old
    assert page.dialogs == []
