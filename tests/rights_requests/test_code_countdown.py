"""The rights-request form's SMS step counts down before a new code, as the campaign pages do."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_rights_request_step_counts_down_like_the_campaign_pages(client, rights_page):
    html = client.get(rights_page.url).content.decode()
    assert "data-sms-form data-sms-reload" in html and "forms/sms.js" in html
    sent = client.post(
        rights_page.url, {"action": "send_code", "request_type": "access", "mobile": "13800138000"}
    )
    assert re.search(r'data-testid="send-code" data-wait="\d+"', sent.content.decode())
