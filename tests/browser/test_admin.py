import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_staff_user_logs_into_admin_and_sees_the_portals_sections(page, login, portal_admin):
    login(portal_admin, "pw-boss")
    assert "opsportal" in page.title()
    sections = page.locator("#content-main caption").all_inner_texts()
    assert any("API TOKENS" in s.upper() for s in sections), sections
    assert any("MONITORING" in s.upper() for s in sections), sections
    page.get_by_role("link", name="API tokens", exact=True).click()
    assert page.locator("h1").inner_text() == "Select API token to change"
