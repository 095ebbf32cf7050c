"""Submission notifications go only to the company's own mail domains, carry no values for
sensitive purposes, and every one that carries personal data is a recorded disclosure."""

import logging

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, querydict_from_html

from forms import services
from forms.models import CampaignFormPage, CampaignSubmission, Purpose
from home.mail_domains import address_allowed, parse_rules
from home.models import NotificationDomains
from messaging.tasks import DeliveryFailed
from rights_requests.fulfilment.choices import DisclosureGround
from rights_requests.fulfilment.models import DisclosureRecord

from .test_admin import ALLOWED_ROWS
from .test_catalogue import VALID_ID

pytestmark = pytest.mark.django_db

COMPATIBILITY = {
    "name": "王五",
    "company": "示例",
    "mobile": "13900139000",
    "mailing_address": "上海市浦东新区",
}
PARTNER = {"name": "赵六", "mobile": "13700137000", "email": "zhao6@partner.example.net",
           "id_card_number": VALID_ID, "company": "示例"}  # fmt: skip


def submit(page, data, capture):
    with capture(execute=True):
        return services.submission_create(
            page=page, data=data, consent=True, verification_token=None, ip="192.0.2.1"
        )


def page_form(client, url, **fields):
    """The admin page form as the browser would post it, with ``fields`` changed."""
    response = client.get(url)
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    for name, value in fields.items():
        data[name] = value
    data["action-submit"] = "action-submit"
    return data


def add_page(client, parent, to_address):
    url = reverse("wagtailadmin_pages:add", args=("forms", "campaignformpage", parent.pk))
    data = page_form(client, f"{url}?purpose={Purpose.objects.get(code='event').pk}")
    data.update(
        nested_form_data(
            {
                "title": "2026 全国渠道巡展 · 上海站",
                "slug": "roadshow-shanghai",
                "purpose": str(Purpose.objects.get(code="event").pk),
                "cities": "北京\n上海",
                "form_fields": inline_formset(ALLOWED_ROWS),
            }
        )
    )
    data["to_address"] = to_address
    return client.post(url, data)


# --- the allow-list ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("Example.COM\nexample.com.\n", ["example.com"]),
        ("例子.中国\n例子。中国", ["xn--fsqu00a.xn--fiqs8s"]),
        ("*.Example.cn", ["*.example.cn"]),
        ("ｅｘａｍｐｌｅ．ｃｏｍ", ["example.com"]),
    ],
)
def test_domains_are_normalised(text, stored):
    assert parse_rules(text) == stored


@pytest.mark.parametrize(
    "line", ["*", "*.com", "ex*ample.com", "*example.com", "a.*.example.com", "leads@example.com", "localhost",
             "1.2.3.4", "ex_ample.com", "exa mple.com"],
)  # fmt: skip
def test_other_wildcards_and_non_domains_are_refused(line):
    with pytest.raises(ValidationError) as exc:
        parse_rules(f"example.com\n{line}")
    assert line in " ".join(exc.value.messages)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("leads@example.com", True),
        ("Leads@EXAMPLE.COM", True),
        ("leads@mail.example.com", False),  # example.com covers no subdomain
        ("ops@bj.mail.example.cn", True),
        ("ops@example.cn", False),  # *.example.cn covers only the subdomains
        ("leads@example.com.evil.net", False),
        ("leads@evilexample.com", False),
        ("leads@evil.net", False),
        ('"leads@example.com"@evil.net', False),
        ("leads@[192.0.2.1]", False),
        ("info@例子.中国", True),
    ],
)
def test_addresses_match_the_rules(address, allowed):
    rules = parse_rules("example.com\n*.example.cn\n例子.中国")
    assert address_allowed(address, rules) is allowed


# --- page save --------------------------------------------------------------------------------


def test_marketer_saving_an_outside_address_is_refused(
    client, marketer, home_page, policy, notification_domains
):
    notification_domains("example.com")
    client.force_login(marketer)
    response = add_page(client, home_page, "leads@example.com, spy@evil.net")
    assert response.status_code == 200
    body = response.content.decode()
    assert "spy@evil.net" in body and "example.com" in body
    assert "leads@example.com”" not in body  # only the outside address is named as refused
    assert not CampaignFormPage.objects.exists()

    # An existing page keeps its stored addresses when the edit is refused.
    response = add_page(client, home_page, "leads@example.com")
    assert response.status_code == 302, response.content.decode()[:2000]
    page = CampaignFormPage.objects.get()
    revisions = page.revisions.count()
    edit_url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    response = client.post(edit_url, page_form(client, edit_url, to_address="spy@evil.net"))
    assert response.status_code == 200
    assert "spy@evil.net" in response.content.decode()
    page.refresh_from_db()
    assert page.to_address == "leads@example.com"
    assert page.revisions.count() == revisions


def test_with_no_domain_set_no_address_is_accepted(client, marketer, home_page, policy):
    client.force_login(marketer)
    response = add_page(client, home_page, "leads@example.com")
    assert response.status_code == 200
    assert "leads@example.com" in response.content.decode()
    assert not CampaignFormPage.objects.exists()


def test_an_address_on_an_allowed_domain_is_saved(client, marketer, home_page, policy, notification_domains):
    notification_domains("example.com", "*.example.cn")
    client.force_login(marketer)
    response = add_page(client, home_page, "Leads@Example.com, ops@bj.example.cn")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CampaignFormPage.objects.get().to_address == "Leads@Example.com, ops@bj.example.cn"


# --- send time --------------------------------------------------------------------------------


def test_a_page_stored_earlier_with_an_outside_address_mails_nothing_there(
    page_factory, notification_domains, django_capture_on_commit_callbacks, caplog
):
    notification_domains("example.com")
    page = page_factory("compatibility")
    CampaignFormPage.objects.filter(pk=page.pk).update(to_address="spy@evil.net, leads@example.com")
    page.refresh_from_db()
    with caplog.at_level(logging.WARNING, logger="forms.services"):
        submit(page, COMPATIBILITY, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["leads@example.com"]]
    assert all("evil.net" not in ",".join(m.recipients()) for m in mail.outbox)
    assert "outside the company's mail domains skipped" in caplog.text
    assert list(DisclosureRecord.objects.values_list("recipient", flat=True)) == ["leads@example.com"]


def test_a_narrowed_or_empty_list_stops_the_mail(
    page_factory, notification_domains, django_capture_on_commit_callbacks
):
    notification_domains("example.com")
    page = page_factory("compatibility", to_address="leads@example.com")
    notification_domains("example.cn")  # narrowed after the page was saved
    submit(page, COMPATIBILITY, django_capture_on_commit_callbacks)
    notification_domains()
    submit(page, {**COMPATIBILITY, "mobile": "13900139001"}, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert not DisclosureRecord.objects.exists()


def test_the_sensitive_page_mails_a_notice_without_personal_values(
    page_factory, notification_domains, settings, django_capture_on_commit_callbacks
):
    notification_domains("example.com")
    page = page_factory("partner_upgrade", to_address="leads@example.com", subject="新的合作伙伴申请")
    assert page.purpose.is_sensitive
    submit(page, PARTNER, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.to == ["leads@example.com"] and message.subject == "新的合作伙伴申请"
    body = message.body + message.subject + "".join(str(a) for a in message.alternatives)
    for value in ("赵六", "13700137000", "0137000", "zhao6", "partner.example.net", VALID_ID, VALID_ID[-4:]):
        assert value not in body
    listing = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(
        "wagtailforms:list_submissions", args=(page.pk,)
    )
    assert listing in message.body
    assert page.title in message.body
    assert not DisclosureRecord.objects.exists()  # nothing personal left


def test_a_notification_with_personal_data_is_a_recorded_disclosure(
    page_factory, notification_domains, django_capture_on_commit_callbacks
):
    notification_domains("example.com")
    page = page_factory("compatibility", to_address="leads@example.com, sales@example.com")
    submit(page, COMPATIBILITY, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert "王五" in message.body
    records = DisclosureRecord.objects.order_by("recipient")
    assert [r.recipient for r in records] == ["leads@example.com", "sales@example.com"]
    for record in records:
        assert record.ground == DisclosureGround.INTERNAL_NOTIFICATION
        assert record.field_keys == ["company", "mailing_address", "mobile", "name"]
        assert record.record_count == 1
        assert record.rights_request is None and record.approved_by is None


def test_no_disclosure_is_recorded_when_the_mail_fails(
    page_factory, notification_domains, refusing_mail, dummy_tasks, django_capture_on_commit_callbacks
):

    notification_domains("example.com")
    page = page_factory("compatibility", to_address="leads@example.com")
    with django_capture_on_commit_callbacks(execute=False):
        submission = services.submission_create(
            page=page, data=COMPATIBILITY, consent=True, verification_token=None, ip="192.0.2.1"
        )
    with pytest.raises(DeliveryFailed):
        services.send_submission_notification.call(submission_id=submission.pk)
    assert not DisclosureRecord.objects.exists()


def test_wagtails_plain_submission_path_is_closed(page_factory, notification_domains):
    notification_domains("example.com")
    page = page_factory("compatibility", to_address="spy@evil.net")
    form = page.get_form(COMPATIBILITY, page=page)
    assert form.is_valid(), form.errors
    with pytest.raises(NotImplementedError):
        page.process_form_submission(form)
    with pytest.raises(NotImplementedError):
        page.send_mail(form)
    assert mail.outbox == [] and not CampaignSubmission.objects.exists()


# --- who keeps the list -----------------------------------------------------------------------


def setting_url():
    return reverse(
        "wagtailsettings:edit", args=("home", "notificationdomains", NotificationDomains.load().pk)
    )


def refused(response) -> bool:
    """Wagtail answers a refused admin view with a redirect to the dashboard (or a 403)."""
    if response.status_code == 302:
        return response["Location"] == reverse("wagtailadmin_home")
    return response.status_code == 403


def test_marketers_cannot_widen_the_list(client, marketer, notification_domains):
    notification_domains("example.com")
    client.force_login(marketer)
    assert refused(client.get(setting_url()))
    assert 'name="domains"' not in client.get(setting_url(), follow=True).content.decode()
    assert refused(client.post(setting_url(), {"domains": "example.com\nevil.net"}))
    assert NotificationDomains.load().domains == "example.com"
    assert NotificationDomains.rules() == ["example.com"]
    assert "notificationdomains" not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_privacy_officers_keep_the_list(client, privacy_officer, notification_domains):
    notification_domains("example.com")
    client.force_login(privacy_officer)
    assert "notificationdomains" in client.get(reverse("wagtailadmin_home")).content.decode()
    assert 'name="domains"' in client.get(setting_url()).content.decode()
    refused = client.post(setting_url(), {"domains": "example.com\n*.com"})
    assert refused.status_code == 200
    assert "*.com" in refused.content.decode()
    assert NotificationDomains.load().domains == "example.com"
    saved = client.post(setting_url(), {"domains": "Example.com\n例子.中国\n*.Example.cn\nexample.com"})
    assert saved.status_code == 302
    assert NotificationDomains.load().domains == "example.com\nxn--fsqu00a.xn--fiqs8s\n*.example.cn"
