"""What the browser tests do on a page: open the widget, ask, wait for the answer, move the
focus by keyboard, find what sticks out of the viewport. (The servers are in tests/support.)"""

from __future__ import annotations

import re

import pytest

from tests.support.servers import REPO

OUTPUT = REPO / "tests" / "output" / "web"  # screenshots, logs and measurements (ignored by git)


# ---------------------------------------------------------------- page actions
BOT = ".mc-bot:not(.mc-welcome)"  # the assistant's messages in the widget (not the greeting)


def open_launcher(page, web, path: str = "index.html") -> None:
    page.goto(web.at(path))
    page.get_by_role("button", name=re.compile("Chat about")).click()
    page.wait_for_selector(".mc-panel:not([hidden])")


def ask(page_or_frame, text: str) -> None:
    field = page_or_frame.get_by_label("Your question")
    field.fill(text)
    field.press("Enter")


def wait_bot_text(page_or_frame, text: str, timeout: float = 15000) -> None:
    page_or_frame.locator(BOT, has_text=text).last.wait_for(timeout=timeout)


def focused_has(page, css_class: str) -> bool:
    return page.evaluate(f"document.activeElement.classList.contains('{css_class}')")


def press_until_focused(page, key: str, css_class: str, presses: int, failure: str) -> None:
    """Press `key` until the focused element has `css_class`; fail after `presses` presses."""
    for _ in range(presses):
        page.keyboard.press(key)
        if focused_has(page, css_class):
            return
    pytest.fail(failure)


def open_by_keyboard(page, url: str, presses: int) -> None:
    """Tab from the top of the page to the launcher and open the chat with Enter."""
    page.goto(url)
    press_until_focused(page, "Tab", "mc-launcher", presses, "Tab never reached the chat launcher")
    page.keyboard.press("Enter")
    assert focused_has(page, "mc-input")


def type_question(page, text: str) -> None:
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def focus_quick_reply(page, presses: int) -> str:
    """Shift+Tab from the question field to a quick reply (the controls just before it); the
    focus must be visible (an outline is drawn). Returns the reply's title."""
    press_until_focused(page, "Shift+Tab", "mc-reply", presses,
                        "Shift+Tab from the question field never reached a quick reply")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    return page.evaluate("document.activeElement.textContent")


def cut_off(page) -> dict:
    """The widget's elements that stick out of the viewport (`bad`: class and left-right
    edges) and the page's scroll width."""
    return page.evaluate("""() => {
      const bad = [];
      for (const el of document.querySelectorAll('.mc-root *')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || el.closest('.mc-sr-only')) continue;
        if (r.left < -0.5 || r.right > window.innerWidth + 0.5) bad.push(el.className + ' ' + r.left + '-' + r.right);
      }
      return {bad, scrollWidth: document.documentElement.scrollWidth};
    }""")
