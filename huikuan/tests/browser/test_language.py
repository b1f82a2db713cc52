"""Huikuan speaks Chinese unless the user switches to English — whatever language the browser
asks for (this browser asks for English)."""

from playwright.sync_api import expect

from .helpers import sign_in


def test_the_ui_is_chinese_by_default_and_switches_to_english_and_back(open_page, sales):
    page = open_page(language=None)
    page.goto("/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_label("用户名")).to_be_visible()

    page.get_by_role("button", name="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Username")).to_be_visible()

    # The choice stays after signing in, until switched back.
    sign_in(page, sales.rep)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
