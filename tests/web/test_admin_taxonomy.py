"""The taxonomy admin page: an administrator adds and edits categories in the browser, each save is a version
(who, what) triage reads at once; other roles get 403."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.triage.models import TaxonomyVersion, TriageCategory
from tests.factories import Desk
from tests.web.conftest import PageClient


def test_admin_adds_and_edits_a_category_and_each_save_is_a_version(browser: PageClient, desk: Desk,
                                                                     session: Session) -> None:
    browser.sign_in("adam")
    assert 'href="/admin/taxonomy"' in browser.get("/admin").text
    added = browser.post_form("/admin/taxonomy", {
        "name": "Network & VPN", "description": "Remote access and the office network.",
        "examples": "The VPN will not connect\n\n  No Wi-Fi in the office  ", "default_queue_id": str(desk.network.id)},
        from_page="/admin/taxonomy")
    assert added.status_code == 303
    session.rollback()
    category = session.scalar(select(TriageCategory).where(TriageCategory.name == "Network & VPN"))
    assert category is not None and category.examples == ["The VPN will not connect", "No Wi-Fi in the office"]
    edited = browser.post_form(f"/admin/taxonomy/{category.id}", {
        "description": "Remote access, Wi-Fi and desk ports.", "examples": "GlobalProtect says gateway not reachable",
        "default_queue_id": str(desk.network.id), "active": "1"}, from_page="/admin/taxonomy")
    assert edited.status_code == 303
    page = browser.get("/admin/taxonomy?saved=1").text
    assert "GlobalProtect says gateway not reachable" in page and "saved as a new version" in page
    session.rollback()
    versions = session.scalars(select(TaxonomyVersion).order_by(TaxonomyVersion.number)).all()
    assert [(v.number, v.created_by_name) for v in versions] == [(1, "adam"), (2, "adam")]
    assert versions[1].change == "changed Network & VPN: description, examples"


def test_a_bad_category_is_refused_with_its_reason_and_non_admins_get_403(browser: PageClient,
                                                                           second_browser: PageClient,
                                                                           desk: Desk) -> None:
    del desk
    browser.sign_in("adam")
    empty = browser.post_form("/admin/taxonomy", {"name": "  "}, from_page="/admin/taxonomy")
    assert empty.status_code == 422 and "The category was not added" in empty.text
    browser.post_form("/admin/taxonomy", {"name": "Printing"}, from_page="/admin/taxonomy")
    twice = browser.post_form("/admin/taxonomy", {"name": "Printing"}, from_page="/admin/taxonomy")
    assert twice.status_code == 409 and "exists already" in twice.text
    second_browser.sign_in("lena")
    assert second_browser.get("/admin/taxonomy").status_code == 403


def test_admin_sets_a_services_criticality_in_the_browser(browser: PageClient, desk: Desk, session: Session) -> None:
    del desk
    browser.sign_in("adam")
    added = browser.post_form("/admin/taxonomy", {"name": "Business applications", "criticality": "high"},
                              from_page="/admin/taxonomy")
    assert added.status_code == 303
    session.rollback()
    category = session.scalar(select(TriageCategory).where(TriageCategory.name == "Business applications"))
    assert category is not None and category.criticality.value == "high"
    edited = browser.post_form(f"/admin/taxonomy/{category.id}", {"criticality": "critical", "active": "1"},
                               from_page="/admin/taxonomy")
    assert edited.status_code == 303
    page = browser.get("/admin/taxonomy").text
    assert f'id="criticality-{category.id}"' in page and '<option value="critical" selected>' in page
    bad = browser.post_form(f"/admin/taxonomy/{category.id}", {"criticality": "very", "active": "1"},
                            from_page="/admin/taxonomy")
    assert bad.status_code == 422 and "criticality" in bad.text
    session.rollback()
    assert session.get(TriageCategory, category.id).criticality.value == "critical"  # type: ignore[union-attr]
