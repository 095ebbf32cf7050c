"""Page builders in the style of Wagtail's ``contrib/forms/tests/utils.py``."""

from forms.choices import RowKind
from forms.models import CampaignFormField, CampaignFormPage, Purpose

DEFAULT_KEYS = {
    "compatibility": ["name", "company", "mobile", "mailing_address"],
    "event": ["name", "company", "email", "mobile", "intended_city"],
    "partner_upgrade": ["name", "mobile", "email", "id_card_number", "company"],
    "job_application": ["name", "gender", "birth_date", "email", "mobile", "education", "residence"],
    "download": ["name", "company", "email", "mobile"],
}


def personal(key, required=True, label=""):
    return CampaignFormField(kind=RowKind.PERSONAL, field_key=key, required=required, label=label)


def question(label, field_type="singleline", required=False, choices=""):
    return CampaignFormField(
        kind=RowKind.QUESTION, label=label, field_type=field_type, required=required, choices=choices
    )


def make_campaign_page(*, parent, purpose="compatibility", keys=None, rows=None, publish=True, **kwargs):
    """A live campaign page; published through a revision so its form definition is cached."""
    purpose_obj = Purpose.objects.get(code=purpose)
    if rows is None:
        rows = [personal(k) for k in (keys or DEFAULT_KEYS[purpose])]
    kwargs.setdefault("title", f"{purpose_obj.name_zh} 活动")
    kwargs.setdefault("slug", f"campaign-{purpose.replace('_', '-')}")
    kwargs.setdefault("thank_you_text", "<p>感谢报名，我们会尽快与您联系。</p>")
    if any(r.field_key == "intended_city" for r in rows):
        kwargs.setdefault("cities", "北京\n上海\n深圳")
    page = CampaignFormPage(purpose=purpose_obj, form_fields=rows, **kwargs)
    parent.add_child(instance=page)
    if publish:
        page.save_revision().publish()
        page.refresh_from_db()
    return page
