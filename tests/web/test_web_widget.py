"""The widget in headless Chromium against the scripted fake bot (no model needed).

These pin down what the widget does with each payload shape Rasa's socketio channel sends,
including hostile ones that the real bot never sends.
"""

from __future__ import annotations

import re

import pytest

from widget_page import (
    BOT, ask, cut_off, focus_quick_reply, focused_has, open_by_keyboard, open_launcher, type_question,
    wait_bot_text,
)

pytestmark = pytest.mark.browser

def test_launcher_opens_and_closes_with_keyboard(page, fake_web):
    page.goto(fake_web.at("index.html"))
    launcher = page.get_by_role("button", name=re.compile("Chat about"))
    assert launcher.get_attribute("aria-expanded") == "false"
    assert page.locator(".mc-panel").is_hidden()
    launcher.focus()
    page.keyboard.press("Enter")
    assert launcher.get_attribute("aria-expanded") == "true"
    # Opening moves focus to the question field.
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") is not None
    assert focused_has(page, "mc-input")
    page.keyboard.press("Escape")
    assert page.locator(".mc-panel").is_hidden()
    assert focused_has(page, "mc-launcher")


def test_disclaimer_and_accessible_structure(page, fake_web):
    open_launcher(page, fake_web)
    disclaimer = page.locator(".mc-disclaimer").inner_text()
    assert "Carenity, 'Cancer metastases: what are they?'" in disclaimer
    assert "Verywell Health, 'What Is Metastatic Cancer?'" in disclaimer
    assert "not medical advice" in disclaimer
    assert "healthcare provider" in disclaimer
    log = page.locator(".mc-log")
    assert log.get_attribute("role") == "log"
    assert log.get_attribute("aria-live") == "polite"
    # Every control has an accessible name.
    assert page.get_by_label("Your question").count() == 1
    for name in ("Send", "Close chat", "New chat"):
        assert page.get_by_role("button", name=re.compile(name)).count() == 1
    # The disclaimer sits right under the header.
    header_box = page.locator(".mc-header").bounding_box()
    disclaimer_box = page.locator(".mc-disclaimer").bounding_box()
    assert abs(disclaimer_box["y"] - (header_box["y"] + header_box["height"])) < 2


def test_markdown_rendered_and_html_shown_as_text(page, fake_web):
    open_launcher(page, fake_web)
    ask(page, "markdown")
    wait_bot_text(page, "A heading")
    bot = page.locator(BOT)
    assert bot.locator("strong", has_text="bold").count() == 1
    assert bot.locator("li").count() == 2
    link = bot.locator("a", has_text="a source")
    assert link.get_attribute("href") == "https://example.org/article"
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in link.get_attribute("rel").split()
    # Raw HTML in the bot's message is text, not elements.
    text = bot.all_inner_texts()
    assert any("<img src=x onerror=alert(1)>" in t for t in text)
    assert any("<script>alert(2)</script>" in t for t in text)
    assert page.locator(".mc-log img, .mc-log script, .mc-log h1, .mc-log h2").count() == 0
    page.wait_for_timeout(300)
    assert page.dialogs == []


@pytest.mark.parametrize("hostile", [
    "<img src=x onerror=alert(1)>",
    "<script>alert('typed')</script>",
    "<svg onload=alert(1)>**not bold**",
])
def test_typed_html_is_shown_literally(page, fake_web, hostile):
    open_launcher(page, fake_web)
    ask(page, hostile)
    # The user's bubble and the bot's echo both show the characters typed.
    page.locator(".mc-user .mc-bubble", has_text=hostile).wait_for()
    wait_bot_text(page, "Echo: ")
    assert page.locator(BOT).last.inner_text().endswith(hostile) or \
        hostile.replace("**", "") in page.locator(BOT).last.inner_text()
    assert page.locator(".mc-log img, .mc-log script, .mc-log svg").count() == 0
    page.wait_for_timeout(300)
    assert page.dialogs == []


def test_quick_replies_send_payload_and_show_title(page, fake_web):
    open_launcher(page, fake_web)
    ask(page, "buttons")
    group = page.get_by_role("group", name="Suggested replies")
    group.wait_for()
    # Titles are text too, never HTML.
    assert group.get_by_role("button", name="Option B <b>bold</b>").count() == 1
    group.get_by_role("button", name="Option A").click()
    page.locator(".mc-user .mc-bubble", has_text="Option A").wait_for()
    wait_bot_text(page, "You picked A.")
    # The buttons of an answered turn go away; focus goes back to the question field.
    assert page.locator(".mc-replies").count() == 0
    assert focused_has(page, "mc-input")


def test_payload_reaches_server_with_session_id(page, fake_web, fake_bot):
    open_launcher(page, fake_web)
    ask(page, "buttons")
    page.get_by_role("button", name="Option A").click()
    wait_bot_text(page, "You picked A.")
    session = page.evaluate("sessionStorage.getItem('metastasis-chat:session')")
    assert session
    mine = [r for r in fake_bot.received() if r["session_id"] == session]
    assert [r["message"] for r in mine] == ["buttons", "/pick_a"]


def test_custom_buttons_key(page, fake_web):
    open_launcher(page, fake_web)
    ask(page, "custom buttons")
    page.get_by_role("button", name="Go").click()
    wait_bot_text(page, "You picked A.")


def test_images_with_alt_text(page, fake_web):
    open_launcher(page, fake_web)
    ask(page, "image")
    img = page.get_by_role("img", name="Body map marking bone, brain, liver and lung")
    img.wait_for()
    page.wait_for_function(
        "() => { const i = document.querySelector('.mc-image'); return i && i.complete && i.naturalWidth > 0; }")
    ask(page, "bad image")
    ask(page, "html reply")
    wait_bot_text(page, "<script>alert(2)</script>")
    # A javascript: image URL is dropped.
    assert page.locator(".mc-image").count() == 1


def test_conversation_survives_reload(page, fake_web, fake_bot):
    open_launcher(page, fake_web)
    ask(page, "remember me")
    wait_bot_text(page, "Echo: remember me")
    session = page.evaluate("sessionStorage.getItem('metastasis-chat:session')")
    page.reload()
    # The panel was open: it reopens with the earlier messages.
    page.locator(".mc-user .mc-bubble", has_text="remember me").wait_for()
    assert page.locator(BOT, has_text="Echo: remember me").count() == 1
    ask(page, "second")
    wait_bot_text(page, "Echo: second")
    mine = [r["message"] for r in fake_bot.received() if r["session_id"] == session]
    assert mine == ["remember me", "second"]


def test_new_chat_clears_conversation(page, fake_web, fake_bot):
    open_launcher(page, fake_web)
    ask(page, "first conversation")
    wait_bot_text(page, "Echo: first conversation")
    old = page.evaluate("sessionStorage.getItem('metastasis-chat:session')")
    page.get_by_role("button", name=re.compile("New chat")).click()
    assert page.locator(".mc-user").count() == 0
    ask(page, "fresh start")
    wait_bot_text(page, "Echo: fresh start")
    new = page.evaluate("sessionStorage.getItem('metastasis-chat:session')")
    assert new and new != old


def test_forgotten_conversation_is_dropped_by_the_widget_too(page, fake_web, fake_bot):
    """After the assistant's "deleted" marker: no session id or transcript is kept, the
    confirmation stays on screen (not stored), and the next message opens a new session."""
    open_launcher(page, fake_web)
    ask(page, "my private words")
    wait_bot_text(page, "Echo: my private words")
    old = page.evaluate("sessionStorage.getItem('metastasis-chat:session')")
    ask(page, "forget")
    wait_bot_text(page, "I have deleted this conversation")
    page.wait_for_function("() => sessionStorage.getItem('metastasis-chat:session') !== %r" % old)
    assert page.evaluate("sessionStorage.getItem('metastasis-chat:log')") is None
    assert page.locator(".mc-user").count() == 0
    assert page.locator(BOT, has_text="my private words").count() == 0
    assert [" ".join(t.split()) for t in page.locator(BOT).all_inner_texts()] == [
        "Assistant: Done. I have deleted this conversation. If you write again, we start a new one."]
    ask(page, "fresh start")
    wait_bot_text(page, "Echo: fresh start")
    new = page.evaluate("sessionStorage.getItem('metastasis-chat:session')")
    assert new and new != old
    assert [r["message"] for r in fake_bot.received() if r["session_id"] == new] == ["fresh start"]
    stored = page.evaluate("sessionStorage.getItem('metastasis-chat:log')")
    assert "fresh start" in stored and "private" not in stored and "deleted" not in stored
    # A reload shows the new conversation only.
    page.reload()
    page.locator(".mc-user .mc-bubble", has_text="fresh start").wait_for()
    assert "private" not in page.locator(".mc-log").inner_text()


def test_forget_marker_without_storage(context, fake_web):
    """Storage blocked (cross-site frame): the in-memory copy is dropped the same way."""
    context.add_init_script("""
      for (const name of ['sessionStorage', 'localStorage']) {
        Object.defineProperty(window, name, {get() {
          throw new DOMException('The operation is insecure.', 'SecurityError'); }});
      }""")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(fake_web.at("embed.html"))
    ask(page, "secret")
    wait_bot_text(page, "Echo: secret")
    ask(page, "forget")
    wait_bot_text(page, "I have deleted this conversation")
    page.wait_for_function("() => !document.querySelector('.mc-user')")
    ask(page, "again")
    wait_bot_text(page, "Echo: again")
    assert "secret" not in page.locator(".mc-log").inner_text()
    assert errors == []


def test_storage_blocked_falls_back_to_memory(context, fake_web):
    # As in a cross-site iframe with third-party storage blocked: touching storage throws.
    context.add_init_script("""
      for (const name of ['sessionStorage', 'localStorage']) {
        Object.defineProperty(window, name, {get() {
          throw new DOMException('The operation is insecure.', 'SecurityError'); }});
      }""")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(fake_web.at("embed.html"))
    ask(page, "no storage here")
    wait_bot_text(page, "Echo: no storage here")
    assert errors == []


def test_keyboard_only(page, fake_web, shots):
    # The launcher is the only control after the page's link.
    open_by_keyboard(page, fake_web.at("index.html"), presses=10)
    type_question(page, "buttons")
    page.get_by_role("group", name="Suggested replies").wait_for()
    # The quick replies end the log, right before the question field: Shift+Tab reaches them.
    focused = focus_quick_reply(page, presses=5)
    page.screenshot(path=str(shots / "focused-quick-reply.png"))
    page.keyboard.press("Enter")
    page.locator(".mc-user .mc-bubble", has_text=focused).wait_for()
    wait_bot_text(page, "You picked")


def test_narrow_viewport_nothing_cut_off(browser, fake_web, shots):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        open_launcher(page, fake_web)
        ask(page, "buttons")
        page.get_by_role("group", name="Suggested replies").wait_for()
        ask(page, "a long message " + "without-any-spaces-" * 8)
        wait_bot_text(page, "Echo: a long message")
        page.screenshot(path=str(shots / "launcher-320.png"))
        overflow = cut_off(page)
        assert overflow["bad"] == []
        assert overflow["scrollWidth"] <= 320
        # The question field and Send button are on screen.
        for selector in (".mc-input", ".mc-send", ".mc-close"):
            box = page.locator(selector).bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= 640
    finally:
        context.close()


CONTRAST_JS = """
(sel) => {
  function rgb(s) { const m = s.match(/[\\d.]+/g).map(Number); return m; }
  function lum([r, g, b]) {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  }
  function bg(el) {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  }
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    if (!el.textContent.trim() || el.closest('.mc-sr-only')) continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    out.push([el.className || el.tagName, Math.round(ratio * 100) / 100]);
  }
  return out;
}
"""


def test_text_contrast_at_least_4_5(page, fake_web):
    open_launcher(page, fake_web)
    ask(page, "buttons")
    page.get_by_role("group", name="Suggested replies").wait_for()
    ratios = page.evaluate(CONTRAST_JS, ".mc-root .mc-title, .mc-root .mc-icon-button, "
                           ".mc-root .mc-disclaimer, .mc-root .mc-bubble, .mc-root .mc-bubble a, "
                           ".mc-root .mc-reply, .mc-root .mc-send, .mc-root .mc-launcher")
    assert ratios, "nothing measured"
    low = [r for r in ratios if r[1] < 4.5]
    assert low == [], low


def test_embed_mode_is_full_frame(browser, fake_web, shots):
    context = browser.new_context(viewport={"width": 400, "height": 600})
    try:
        page = context.new_page()
        page.goto(fake_web.at("embed.html"))
        assert page.locator(".mc-launcher").count() == 0
        assert page.locator(".mc-close").count() == 0
        assert page.get_by_role("heading", level=1).count() == 1
        box = page.locator(".mc-panel").bounding_box()
        assert box["width"] == 400 and box["height"] == 600
        ask(page, "hello embed")
        wait_bot_text(page, "Echo: hello embed")
        page.screenshot(path=str(shots / "embed.png"))
    finally:
        context.close()


def test_no_console_errors_and_no_outside_requests(page, fake_web):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    open_launcher(page, fake_web)
    ask(page, "markdown")
    wait_bot_text(page, "A heading")
    assert page.console_errors == []
    outside = [u for u in requests if not re.match(r"^(http://127\.0\.0\.1:|ws://127\.0\.0\.1:|data:)", u)]
    assert outside == []


def test_server_query_parameter_is_ignored_unless_allowed(page, fake_web):
    """?server= must not let a link point the project's page at someone else's bot."""
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(fake_web.at("embed.html?server=http://127.0.0.2:9"))
    ask(page, "which server")
    wait_bot_text(page, "Echo: which server")
    assert not [u for u in requests if u.startswith(("http://127.0.0.2", "ws://127.0.0.2"))]


def test_controls_have_their_visible_text_in_their_name(page, fake_web):
    """WCAG 2.5.3: speech users say what they see."""
    open_launcher(page, fake_web)
    names = page.evaluate("""() => [...document.querySelectorAll('.mc-root button')]
        .filter((b) => b.offsetParent !== null)
        .map((b) => [b.textContent.trim(), b.getAttribute('aria-label') || b.textContent.trim()])""")
    for visible, name in names:
        if visible.isalnum() or " " in visible:
            assert visible.lower() in name.lower(), (visible, name)


def test_works_as_plain_text_if_markdown_libraries_fail_to_load(page, fake_web):
    page.route("**/vendor/marked.umd.js", lambda route: route.abort())
    page.route("**/vendor/purify.min.js", lambda route: route.abort())
    page.goto(fake_web.at("embed.html"))
    ask(page, "markdown")
    wait_bot_text(page, "A heading")
    assert "**bold**" in page.locator(BOT).last.inner_text() or \
        "**bold**" in " ".join(page.locator(BOT).all_inner_texts())
    assert page.locator(".mc-log img, .mc-log script").count() == 0
    assert page.dialogs == []
