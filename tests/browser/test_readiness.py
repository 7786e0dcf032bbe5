import pytest

from checklist.services import checklist_bootstrap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def percent(page) -> float:
    return float(page.locator("#readiness-percent").inner_text().rstrip("%"))


def test_an_operator_ticks_an_item_with_evidence_and_the_readiness_figure_moves(
        page, login, live_server, operator):
    checklist_bootstrap()
    login(operator, "pw-operator")
    page.get_by_role("link", name="Readiness overview").click()
    page.wait_for_url(f"{live_server.url}/readiness/")
    assert page.locator("#readiness-decision").inner_text() == "NO-GO"
    before = percent(page)
    assert before == 0.0
    assert page.locator("#blockers").get_by_text("Terms of Service published").count() == 1

    page.get_by_role("link", name="Terms of Service published").click()
    page.select_option("#id_status", "done")
    page.fill("#id_evidence_url", "https://bot.example/terms")
    page.fill("#id_evidence_note", "published and linked from the bot's /start message")
    page.click("input[name=_save]")
    assert page.locator(".messagelist").inner_text().count("was changed successfully") == 1

    page.goto(f"{live_server.url}/readiness/")
    after = percent(page)
    assert after > before
    assert page.locator("#blockers").get_by_text("Terms of Service published").count() == 0
    link = page.get_by_role("link", name="https://bot.example/terms")
    assert link.get_attribute("href") == "https://bot.example/terms"
    compliance = page.locator('h3[data-category="Compliance"]')
    assert "1/3 (33.3%)" in compliance.inner_text()
    assert compliance.locator(".bar > span").get_attribute("style") == "width: 33.3%"
