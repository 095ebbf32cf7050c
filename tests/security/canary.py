"""Canary data for the role matrix: distinctive personal data planted once, searched for everywhere.

Three people, each with values that appear nowhere else in the site:

* ``PARTNER`` applied for a partner upgrade (a sensitive purpose) with a clear ID number, then
  filed an access request that staff answered with an access package;
* ``LEAD`` left an ordinary campaign lead (roadshow sign-up) on a page the owning marketer runs,
  and appears in the owner's export and in the owner's uploaded sign-up sheet;
* ``RESTRICTED`` (a partner applicant too, with a second ID number) had their record restricted,
  and ``WITHDRAWN`` withdrew consent for their roadshow lead: nobody processes those any more;
* ``REQUESTER`` is a visitor with an account of no staff rights whose session holds a "My data"
  grant for their own mobile.

``build_world()`` plants it all through the services the site itself uses and returns a
``World`` with the objects and the session cookies of each role.
"""

import datetime
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import Page, Site

from core import crypto
from core.roles import (
    EVENT_STAFF,
    MARKETERS,
    MARKETING_LEADS,
    PRIVACY_OFFICERS,
    PRIVACY_STAFF,
    ROLE_NAMES,
    sync_roles,
)
from datatools import services as datatools
from datatools.choices import ExportKind
from forms import catalogue, operations
from forms.downloads import downloads_collection, make_download_token
from home.models import HomePage, PrivacyPolicyIndexPage, PrivacyPolicyPage
from incidents import services as incidents
from rights_requests.fulfilment import services as fulfilment
from rights_requests.fulfilment.models import SubmissionStatus
from rights_requests.fulfilment.tokens import package_token
from rights_requests.fulfilment.views import SESSION_KEY as MY_DATA_SESSION_KEY
from rights_requests.models import RightsRequestPage
from tests.forms.utils import make_campaign_page
from tests.fulfilment.conftest import submit, verified_request

ID_NUMBER = "11010519491231002" + catalogue.id_check_char("11010519491231002")  # 11010519491231002X


@dataclass(frozen=True)
class Person:
    name: str
    mobile: str  # national form, as typed
    email: str

    @property
    def e164(self) -> str:
        return "+86" + self.mobile


PARTNER = Person(name="甄士隐", mobile="13911110001", email="zhen.shiyin.canary@example.com")
LEAD = Person(name="贾雨村", mobile="13922220002", email="jia.yucun.canary@example.com")
REQUESTER = Person(name="林黛玉", mobile="13933330003", email="lin.daiyu.canary@example.com")
# Records nobody processes any more: restricted (§6.5, with a second ID number) and withdrawn (§6.4).
RESTRICTED = Person(name="卜世仁", mobile="13944440004", email="bu.shiren.canary@example.com")
RESTRICTED_ID_NUMBER = "11010119900307123" + catalogue.id_check_char("11010119900307123")
WITHDRAWN = Person(name="冷子兴", mobile="13955550005", email="leng.zixing.canary@example.com")
RR_DETAILS = "请把你们持有的关于我的资料全部给我 canary-details-7731"
INCIDENT_TEXT = "canary-incident-4410 名单误发给合作伙伴"
DOCUMENT_BYTES = b"%PDF-1.4 canary-whitepaper-5501 gated download\n"

ANONYMOUS = "anonymous"
REQUESTER_ROLE = "requester"
MARKETER = "marketer"
OTHER_MARKETER = "other_marketer"
MARKETING_LEAD = "marketing_lead"
STAFF = "privacy_staff"
OFFICER = "privacy_officer"
SUPERUSER = "superuser"
EVENT_STAFF_ROLE = "event_staff"
ROLES = (
    ANONYMOUS,
    REQUESTER_ROLE,
    MARKETER,
    OTHER_MARKETER,
    MARKETING_LEAD,
    STAFF,
    OFFICER,
    EVENT_STAFF_ROLE,
    SUPERUSER,
)
# The groups of cms.roles each staff role of the matrix belongs to.
ROLE_GROUPS = {
    MARKETER: [MARKETERS],
    OTHER_MARKETER: [MARKETERS],
    MARKETING_LEAD: [MARKETING_LEADS],
    STAFF: [PRIVACY_STAFF],
    OFFICER: [PRIVACY_OFFICERS],
    # At the door: a GET shows counts only; names appear after a code is checked in (a POST).
    EVENT_STAFF_ROLE: [EVENT_STAFF],
}
USERNAMES = {
    REQUESTER_ROLE: "visitor",
    MARKETER: "marketer",
    OTHER_MARKETER: "marketer2",
    MARKETING_LEAD: "marketing-lead",
    STAFF: "staff",
    OFFICER: "officer",
    EVENT_STAFF_ROLE: "door",
}


@dataclass
class World:
    users: dict = field(default_factory=dict)
    cookies: dict = field(default_factory=dict)  # role -> session key (absent for anonymous)
    home: Page = None
    policy: Page = None
    rights_page: Page = None
    partner_page: Page = None
    event_page: Page = None
    compat_page: Page = None
    download_page: Page = None
    partner_submission: object = None
    lead_submission: object = None
    requester_submission: object = None
    restricted_submission: object = None
    withdrawn_submission: object = None
    rights_request: object = None
    package: object = None
    incident: object = None
    export: object = None
    unmasked_export: object = None
    import_record: object = None
    document: object = None
    collection: object = None
    download_token: str = ""
    registration_token: str = ""
    package_token: str = ""
    package_approved: bool = False  # released with a Privacy officer's approval (four eyes)

    def client(self, role: str) -> Client:
        client = Client()
        key = self.cookies.get(role)
        if key:
            client.cookies[settings.SESSION_COOKIE_NAME] = key
        return client


def _user(username, groups=(), **extra):
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@staff.example.com", password="pw-" + username, **extra
    )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def _session_for(user, extra: dict | None = None) -> str:
    client = Client()
    client.force_login(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    if extra:
        store = SessionStore(session_key=key)
        store.update(extra)
        store.save()
    return key


def _site(world: World) -> None:
    root = Page.get_first_root_node()
    world.home = root.add_child(instance=HomePage(title="首页", slug="home-matrix"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": world.home, "site_name": "Test"},
    )
    index = world.home.add_child(instance=PrivacyPolicyIndexPage(title="隐私政策", slug="privacy"))
    world.policy = index.add_child(
        instance=PrivacyPolicyPage(
            title="网页隐私政策",
            slug="2023-03-07",
            version_label="2023-03-07",
            updated_date=datetime.date(2023, 3, 7),
            effective_date=datetime.date(2023, 3, 7),
            body="<p>政策正文</p>",
        )
    )
    world.policy.save_revision().publish()
    world.rights_page = world.home.add_child(
        instance=RightsRequestPage(
            title="Your privacy rights", slug="privacy-rights", thank_you_text="<p>We will reply soon.</p>"
        )
    )
    world.rights_page.save_revision().publish()


def _documents(world: World) -> None:
    world.collection = downloads_collection()
    sync_roles()  # admits the staff groups to the collection's view restriction
    world.document = get_document_model().objects.create(
        title="Canary whitepaper",
        file=ContentFile(DOCUMENT_BYTES, name="canary-whitepaper.pdf"),
        collection=world.collection,
    )


def build_world() -> World:
    """Plant the canaries. Runs inside a transaction the caller rolls back at the end."""
    if Group.objects.filter(name__in=ROLE_NAMES).count() < len(ROLE_NAMES):
        sync_roles()
    world = World()
    users = world.users
    for role, username in USERNAMES.items():
        users[role] = _user(username, ROLE_GROUPS.get(role, ()))
    users[SUPERUSER] = _user("admin", is_staff=True, is_superuser=True)
    owner = users[MARKETER]

    _site(world)
    _documents(world)
    world.partner_page = make_campaign_page(
        parent=world.home, purpose="partner_upgrade", owner=owner, slug="partner-upgrade"
    )
    world.event_page = make_campaign_page(parent=world.home, purpose="event", owner=owner, slug="roadshow")
    world.compat_page = make_campaign_page(
        parent=world.home, purpose="compatibility", owner=owner, slug="compatibility"
    )
    world.download_page = make_campaign_page(
        parent=world.home,
        purpose="download",
        owner=owner,
        slug="whitepaper",
        download_document=world.document,
    )

    world.partner_submission = submit(
        world.partner_page,
        {
            "name": PARTNER.name,
            "mobile": PARTNER.mobile,
            "email": PARTNER.email,
            "id_card_number": ID_NUMBER,
            "company": "甄氏合作伙伴有限公司",
        },
        PARTNER.mobile,
    )
    world.lead_submission = submit(
        world.event_page,
        {
            "name": LEAD.name,
            "company": "贾氏路演科技",
            "email": LEAD.email,
            "mobile": LEAD.mobile,
            "intended_city": "上海",
        },
        LEAD.mobile,
    )
    world.registration_token = operations.manage_token(world.lead_submission.registration)
    world.requester_submission = submit(
        world.compat_page,
        {
            "name": REQUESTER.name,
            "company": "林氏",
            "mobile": REQUESTER.mobile,
            "mailing_address": "苏州市姑苏区",
        },
        REQUESTER.mobile,
    )

    world.restricted_submission = submit(
        world.partner_page,
        {
            "name": RESTRICTED.name,
            "mobile": RESTRICTED.mobile,
            "email": RESTRICTED.email,
            "id_card_number": RESTRICTED_ID_NUMBER,
            "company": "卜氏",
        },
        RESTRICTED.mobile,
    )
    world.withdrawn_submission = submit(
        world.event_page,
        {
            "name": WITHDRAWN.name,
            "company": "冷氏",
            "email": WITHDRAWN.email,
            "mobile": WITHDRAWN.mobile,
            "intended_city": "北京",
        },
        WITHDRAWN.mobile,
    )
    SubmissionStatus.objects.create(
        submission=world.restricted_submission,
        restricted_at=timezone.now(),
        retain_until=timezone.localdate() + datetime.timedelta(days=365),
        restriction_ground="Court order 2026-17",
    )
    SubmissionStatus.objects.create(
        submission=world.withdrawn_submission, consent_withdrawn_at=timezone.now()
    )

    # The partner applicant asks for their data; staff answer with an access package.
    world.rights_request = verified_request(
        "access", mobile=PARTNER.mobile, email=PARTNER.email, details=RR_DETAILS
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        world.package = fulfilment.package_deliver(rights_request=world.rights_request, user=users[STAFF])
    approve = getattr(fulfilment, "package_approve", None)
    if approve is not None and getattr(world.package, "released_at", True) is None:
        # Four eyes: a Privacy officer other than the builder releases the clear copy.
        with TestCase.captureOnCommitCallbacks(execute=True):
            approve(package=world.package, user=users[OFFICER], note="Identity checked by SMS and call-back.")
    world.package.refresh_from_db()
    world.package_approved = getattr(world.package, "approved_by_id", None) is not None
    world.rights_request.refresh_from_db()
    world.package_token = package_token(world.package)

    now = timezone.now()
    with TestCase.captureOnCommitCallbacks(execute=True):
        world.incident = incidents.incident_register(
            user=users[OFFICER],
            title="Canary incident",
            description=INCIDENT_TEXT,
            discovered_at=now,
            period_start=now - datetime.timedelta(days=1),
            period_end=now + datetime.timedelta(hours=1),
            purposes=[world.event_page.purpose, world.partner_page.purpose],
        )
        incidents.incident_find_subjects(incident=world.incident, user=users[OFFICER])

    # The owning marketer's export of their roadshow leads, ready to be taken once.
    world.export = datatools.export_start(
        user=owner,
        kind=ExportKind.SUBMISSIONS,
        file_format="csv",
        purpose=world.event_page.purpose,
        page=world.event_page,
    )
    datatools.export_write(record=world.export)
    # A Privacy officer's request for an unmasked export of the partner upgrades, not decided yet.
    with TestCase.captureOnCommitCallbacks(execute=True):
        world.unmasked_export = datatools.export_start(
            user=users[OFFICER],
            kind=ExportKind.SUBMISSIONS,
            file_format="xlsx",
            purpose=world.partner_page.purpose,
            unmasked=True,
            reason="The auditor asked for the partner list with ID numbers.",
        )
    # ... and the owner's uploaded sign-up sheet, checked but not imported.
    sheet = (
        f"name,company,email,mobile,intended_city\n{LEAD.name},贾氏路演科技,{LEAD.email},{LEAD.mobile},北京\n"
    ).encode()
    world.import_record, _ = datatools.import_check(
        user=owner, page=world.event_page, uploaded=SimpleUploadedFile("roadshow.csv", sheet)
    )
    download_request = submit(
        world.download_page,
        {"name": LEAD.name, "company": "贾氏路演科技", "email": LEAD.email, "mobile": LEAD.mobile},
        LEAD.mobile,
    )
    world.download_token = make_download_token(
        submission_id=download_request.pk, document_id=world.document.pk
    )

    grant = {MY_DATA_SESSION_KEY: {"m": crypto.encrypt(REQUESTER.e164), "exp": time.time() + 86400}}
    for role, user in users.items():
        world.cookies[role] = _session_for(user, grant if role == REQUESTER_ROLE else None)
    return world
