"""Property-based run of the whole JSON API against its own OpenAPI document (schemathesis).

Every operation is called with generated requests, valid and invalid. No response may be
a 5xx, use an undocumented status code or content type, or break its documented schema.
Bounded and derandomized, so the run is fast and the same on every machine.
"""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings

pytestmark = pytest.mark.django_db


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _live_form(page_factory):
    page_factory("compatibility")


@schema.parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(case):
    # Business validation (a real mobile number, a known purpose) is stricter than the
    # document's types, so a schema-valid request may rightly be refused with a 400.
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
