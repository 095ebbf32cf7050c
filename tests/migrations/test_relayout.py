"""Upgrading a database of the previous release, and rolling it back, keeps every row.

The previous release kept the document downloads in the ``sms`` app and the incident register
in ``datatools``; they now live in ``forms`` and ``incidents``. Their tables stay, their content
types move with the same ids (so permissions, the groups and users holding them, and log entries
naming them follow), and tasks waiting in the database queue are pointed at the modules' new
paths. The test builds the previous release's database with the historical models of that
state, migrates it forward to today's leaves, checks it, and migrates it back.
"""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F
from django.utils.module_loading import import_string
from django_tasks.base import Task
from wagtail.models import ModelLogEntry

from forms.models import DocumentDownload
from incidents.models import Incident

# The leaf migration of each of the project's app labels in the previous release; the
# incidents and messaging apps did not exist then.
PREVIOUS_RELEASE = {
    "sms": "0001_initial",
    "datatools": "0003_unmasked_export_approval",
    "forms": "0007_seed_screen_terms",
    "rights_requests": "0003_identifier_proofs",
    "fulfilment": "0004_ledger_reason_listing",
    "home": "0003_notification_domains",
    "incidents": None,
    "messaging": None,
}
OLD_LABELS = ("sms", "forms", "datatools", "rights_requests", "fulfilment", "home")
NEW_LABELS = (*OLD_LABELS, "incidents")  # messaging has no models

# (app label, model) of the previous release -> today's.
MOVED = {
    ("sms", "documentdownload"): ("forms", "documentdownload"),
    ("datatools", "incident"): ("incidents", "incident"),
    ("datatools", "incidentstep"): ("incidents", "incidentstep"),
    ("datatools", "incidentsubject"): ("incidents", "incidentsubject"),
}

# Every task the previous release defined, by the path its queued rows carry.
MOVED_TASKS = {
    "forms.sms.tasks.send_sms": "messaging.tasks.send_sms",
    "forms.sms.tasks.send_email": "messaging.tasks.send_email",
    "forms.datatools.tasks.run_export": "datatools.tasks.run_export",
}
KEPT_TASKS = (
    "forms.services.send_submission_notification",
    "rights_requests.tasks.notify_requester",
    "rights_requests.fulfilment.tasks.build_access_package",
)
WAITING = ("READY", "RUNNING")  # repointed; a finished row keeps the path it ran under
FINISHED = ("SUCCESSFUL", "FAILED")

# Tables outside the project's apps whose rows the project's rows need or name; they must
# come through unchanged (content type ids included, since those do not change).
OTHER_TABLES = (
    "wagtailcore.Page",
    "wagtailcore.Site",
    "wagtailcore.Revision",
    "wagtailcore.ModelLogEntry",
    "wagtaildocs.Document",
    "admin.LogEntry",
    "auth.User",
    "auth.Group",
    "auth.User_groups",
)

AT = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
TREE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard's, four characters a step


def at(days: float = 0) -> datetime:
    return AT + timedelta(days=days)


# --- migrating -----------------------------------------------------------------------------


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def _previous_targets(executor) -> list[tuple[str, str | None]]:
    """The previous release's nodes for the project's labels; every other app at its leaf."""
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in PREVIOUS_RELEASE]
    return [*others, *PREVIOUS_RELEASE.items()]


def _migrate(targets_of):
    """Migrate to ``targets_of(executor)``; the historical app registry of the state reached."""
    executor = _executor()
    targets = targets_of(executor)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([node for node in targets if node[1] is not None]).apps


def _current(executor):
    return executor.loader.graph.leaf_nodes()


# --- reading ---------------------------------------------------------------------------------


def _project_models(apps, labels):
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.app_label in labels]


def _rows(model, names=None):
    names = names or [f.attname for f in model._meta.local_concrete_fields]
    return names, list(model.objects.order_by("pk").values_list(*names))


def _tables(apps, labels) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every row of every table of the given app labels, by table."""
    return {model._meta.db_table: _rows(model) for model in _project_models(apps, labels)}


def _tables_read_as(apps, labels, before):
    """The tables of ``before`` read through the models ``apps`` has for them, same columns."""
    by_table = {model._meta.db_table: model for model in _project_models(apps, labels)}
    missing = sorted(set(before) - set(by_table))
    assert not missing, f"tables no model of the migrated state covers: {missing}"
    return {table: _rows(by_table[table], names) for table, (names, _) in before.items()}


def _other_tables(apps):
    snapshot = {}
    for label in OTHER_TABLES:
        model = apps.get_model(label)
        snapshot[label] = _rows(model, [f.attname for f in model._meta.concrete_fields])
    return snapshot


def _content_types(apps) -> dict[int, tuple[str, str]]:
    ContentTypeAt = apps.get_model("contenttypes", "ContentType")
    return {
        pk: (app, model) for pk, app, model in ContentTypeAt.objects.values_list("pk", "app_label", "model")
    }


def _permissions(apps) -> dict[int, tuple[int, str, str]]:
    Permission = apps.get_model("auth", "Permission")
    return {
        pk: (ct, codename, name)
        for pk, ct, codename, name in Permission.objects.values_list(
            "pk", "content_type_id", "codename", "name"
        )
    }


def _grants(apps) -> tuple[set, set]:
    """(group, permission) and (user, permission) pairs."""
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("auth", "User")
    return (
        set(Group.permissions.through.objects.values_list("group_id", "permission_id")),
        set(User.user_permissions.through.objects.values_list("user_id", "permission_id")),
    )


def _tasks(apps) -> dict[str, tuple[str, str]]:
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    return {
        str(pk): (status, path)
        for pk, status, path in DBTaskResult.objects.values_list("pk", "status", "task_path")
    }


def _resolves(apps, entry_model, pk) -> tuple[str, str]:
    """The (app label, model) a log entry names, after checking the object it names exists there."""
    entry = apps.get_model(entry_model).objects.select_related("content_type").get(pk=pk)
    key = (entry.content_type.app_label, entry.content_type.model)
    assert apps.get_model(*key).objects.filter(pk=entry.object_id).exists(), (entry_model, key)
    return key


def _state(apps, labels) -> dict:
    return {
        "tables": _tables(apps, labels),
        "others": _other_tables(apps),
        "content_types": _content_types(apps),
        "permissions": _permissions(apps),
        "grants": _grants(apps),
        "tasks": _tasks(apps),
    }


# --- the previous release's database ----------------------------------------------------------


def _step(n: int) -> str:
    digits = ""
    while n:
        n, r = divmod(n, len(TREE_ALPHABET))
        digits = TREE_ALPHABET[r] + digits
    return digits.rjust(4, "0")


def _content_type(apps, model):
    ContentTypeAt = apps.get_model("contenttypes", "ContentType")
    return ContentTypeAt.objects.get(app_label=model._meta.app_label, model=model._meta.model_name)


def _root_page(apps):
    Page = apps.get_model("wagtailcore", "Page")
    Locale = apps.get_model("wagtailcore", "Locale")
    root = Page.objects.filter(depth=1).order_by("path").first()
    if root is None:  # an earlier transactional test flushed the data migrations' rows
        locale = Locale.objects.order_by("pk").first() or Locale.objects.create(
            language_code=settings.LANGUAGE_CODE
        )
        root = Page.objects.create(
            path=_step(1),
            depth=1,
            title="Root",
            draft_title="Root",
            slug="root",
            url_path="/",
            content_type=_content_type(apps, Page),
            locale=locale,
        )
    return root


def _root_collection(apps):
    Collection = apps.get_model("wagtailcore", "Collection")
    return Collection.objects.filter(depth=1).first() or Collection.objects.create(
        path=_step(1), depth=1, name="Root"
    )


def _add_page(apps, parent, model, **fields):
    """A page of ``model`` under ``parent``, as treebeard would place it."""
    Page = apps.get_model("wagtailcore", "Page")
    parent = Page.objects.get(pk=parent.pk)
    last = (
        Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
        .order_by("-path")
        .values_list("path", flat=True)
        .first()
    )
    page = model.objects.create(
        path=parent.path + _step(int(last[-4:], 36) + 1 if last else 1),
        depth=parent.depth + 1,
        content_type=_content_type(apps, model),
        locale_id=parent.locale_id,
        url_path=f"{parent.url_path}{fields['slug']}/",
        draft_title=fields["title"],
        live=True,
        first_published_at=AT,
        last_published_at=AT,
        **fields,
    )
    Page.objects.filter(pk=parent.pk).update(numchild=F("numchild") + 1)
    return page


def _permission(apps, dotted: str):
    app_label, codename = dotted.split(".")
    return apps.get_model("auth", "Permission").objects.get(
        content_type__app_label=app_label, codename=codename
    )


def _previous_post_migrate(apps) -> None:
    """What the previous release's post_migrate made: content types and permissions by old label."""
    for app_config in global_apps.get_app_configs():
        create_contenttypes(app_config, verbosity=0, apps=apps)
        create_permissions(app_config, verbosity=0, apps=apps)
    ContentTypeAt = apps.get_model("contenttypes", "ContentType")
    assert not ContentTypeAt.objects.filter(app_label="incidents").exists()
    assert not ContentTypeAt.objects.filter(app_label="forms", model="documentdownload").exists()


def _holders(apps, r) -> dict:
    """Users and groups holding permissions on the moved models."""
    m = apps.get_model
    User, Group = m("auth", "User"), m("auth", "Group")
    r.staff = User.objects.create(
        username="migration-staff", email="staff@example.com", password="!", is_staff=True
    )
    r.officer = User.objects.create(
        username="migration-officer", email="officer@example.com", password="!", is_staff=True
    )
    reviewers = Group.objects.create(name="Migration reviewers")
    reviewers.permissions.add(
        *(
            _permission(apps, p)
            for p in (
                "sms.view_documentdownload",
                "datatools.change_incident",
                "datatools.view_incidentstep",
                "datatools.view_incidentsubject",
                "sms.view_smschallenge",
                "datatools.export_campaignsubmission",
            )
        )
    )
    r.officer.groups.add(reviewers)
    r.officer.user_permissions.add(
        _permission(apps, "sms.delete_documentdownload"), _permission(apps, "datatools.add_incident")
    )

    # A content type today's app may already have (an earlier post_migrate), with grants on it:
    # the move hands the grants to the moved content type's permission and drops it.
    stale_ct = m("contenttypes", "ContentType").objects.create(app_label="forms", model="documentdownload")
    stale_perm = m("auth", "Permission").objects.create(
        content_type=stale_ct, codename="change_documentdownload", name="Can change document download"
    )
    Group.objects.create(name="Migration early grants").permissions.add(stale_perm)
    r.staff.user_permissions.add(stale_perm)
    return {
        "officer": r.officer.pk,
        "staff": r.staff.pk,
        "stale_ct": stale_ct.pk,
        "stale_perm": stale_perm.pk,
        "kept_perm": _permission(apps, "sms.change_documentdownload").pk,
    }


def _home_rows(apps, r) -> None:
    m = apps.get_model
    r.document = m("wagtaildocs", "Document").objects.create(
        title="Campaign guide",
        file="documents/campaign-guide.pdf",
        uploaded_by_user=r.staff,
        collection=_root_collection(apps),
        file_size=2048,
        file_hash="d" * 40,
    )
    r.home = _add_page(
        apps,
        _root_page(apps),
        m("home", "HomePage"),
        title="Migration home",
        slug="migration-home",
        intro="<p>Hi</p>",
    )
    site = m("wagtailcore", "Site").objects.create(
        hostname="migration.test",
        port=8080,
        root_page_id=r.home.pk,
        site_name="Migration",
        is_default_site=False,
    )
    m("home", "SiteSettings").objects.create(
        site=site,
        company_name="迁移测试有限公司",
        privacy_officer_email="dpo@example.com",
        privacy_hotline="400-123-4567",
    )
    m("home", "NotificationDomains").objects.create(domains="example.com\nexample.org")
    policy_index = _add_page(
        apps,
        r.home,
        m("home", "PrivacyPolicyIndexPage"),
        title="Policies",
        slug="policies",
        intro="Every version",
    )
    r.policy = _add_page(
        apps,
        policy_index,
        m("home", "PrivacyPolicyPage"),
        title="Policy 2026",
        slug="2026-11-01",
        version_label="2026-11-01",
        updated_date=at().date(),
        effective_date=at(1).date(),
        body="<p>Policy text</p>",
    )


def _forms_rows(apps, r) -> None:
    m = apps.get_model
    r.purpose = m("forms", "Purpose").objects.create(
        code="migration-purpose",
        name_zh="迁移测试",
        name_en="Migration test",
        clause="为测试迁移",
        sms_required=False,
        retention_days=365,
    )
    revision = m("wagtailcore", "Revision").objects.create(
        content_type=_content_type(apps, r.purpose),
        base_content_type=_content_type(apps, r.purpose),
        object_id=str(r.purpose.pk),
        created_at=AT,
        user=r.staff,
        content={"code": r.purpose.code},
        object_str="Migration test",
    )
    m("forms", "Purpose").objects.filter(pk=r.purpose.pk).update(latest_revision=revision)
    m("forms", "PurposeField").objects.create(
        purpose=r.purpose, field_key="mobile", required=False, sort_order=3
    )
    campaigns = _add_page(
        apps, r.home, m("forms", "CampaignIndexPage"), title="Campaigns", slug="campaigns", intro="<p>All</p>"
    )
    CampaignFormPage = m("forms", "CampaignFormPage")
    # Wagtail's FormMixin, a base of the historical class too, derives this from a template
    # attribute only the real class has.
    CampaignFormPage.landing_page_template = "forms/landing.html"
    r.campaign = _add_page(
        apps,
        campaigns,
        CampaignFormPage,
        title="Spring campaign",
        slug="spring",
        to_address="team@example.com",
        from_address="noreply@example.com",
        subject="New sign-up",
        intro="<p>Sign up</p>",
        thank_you_text="<p>Thanks</p>",
        cities="北京\n上海",
        download_document=r.document,
        purpose=r.purpose,
    )
    m("forms", "CampaignFormPage_team").objects.create(campaignformpage_id=r.campaign.pk, user=r.staff)
    m("forms", "CampaignFormField").objects.create(
        page_id=r.campaign.pk,
        sort_order=1,
        clean_name="mobile",
        required=True,
        choices="",
        default_value="",
        help_text="Your mobile",
        kind="personal",
        field_key="mobile",
        label="Mobile",
        field_type="singleline",
    )
    r.submission = m("forms", "CampaignSubmission").objects.create(
        form_data={"name": "张三", "mobile": "138****0000"},
        consent_at=AT,
        is_minor=True,
        guardian_consent=True,
        sensitive_data="gAAAAAB-sensitive",
        page_id=r.campaign.pk,
        policy_version_id=r.policy.pk,
        user=None,
        purpose=r.purpose,
    )
    m("forms", "SubjectHash").objects.create(submission=r.submission, kind="mobile", value_hash="a" * 64)
    m("forms", "ScreenTerm").objects.create(
        term="迁移专用词", category="slang", mode="auto", action="review", note="migration", active=False
    )
    m("forms", "ScreenApproval").objects.create(
        digest="b" * 64, summary="One row", approved_by=r.officer, page_id=r.campaign.pk
    )


def _sms_rows(apps, r) -> None:
    """The sms app's rows; its DocumentDownload moves to forms."""
    m = apps.get_model
    m("sms", "SMSChallenge").objects.create(
        public_id="migration-challenge",
        purpose="rights_request",
        mobile_encrypted="gAAAAAB-mobile",
        mobile_hash="c" * 64,
        code_hmac="e" * 64,
        requested_ip="203.0.113.7",
        created_at=AT,
        expires_at=at(1),
        attempts=2,
        locked_at=at(0.1),
        verified_at=at(0.2),
        consumed_at=at(0.3),
    )
    r.download = m("sms", "DocumentDownload").objects.create(
        submission_id=r.submission.pk, downloaded_at=at(0.5), document=r.document
    )


def _datatools_rows(apps, r) -> None:
    """The data tools' rows; the incident register moves to incidents."""
    m = apps.get_model
    r.export = m("datatools", "ExportRecord").objects.create(
        kind="submissions",
        file_format="xlsx",
        filters={"page": r.campaign.pk},
        masked=False,
        reason="Audit",
        row_count=1,
        background=True,
        state="ready",
        file_name="exports/migration.xlsx",
        finished_at=at(1),
        downloaded_at=at(2),
        page_id=r.campaign.pk,
        purpose=r.purpose,
        user=r.staff,
        approval_note="Approved",
        approved_at=at(0.5),
        approved_by=r.officer,
        refusal_note="",
        refused_at=None,
        refused_by=None,
    )
    imported = m("datatools", "ImportRecord").objects.create(
        original_name="sheet.xlsx",
        file_format="xlsx",
        file_name="imports/sheet.xlsx",
        state="imported",
        message="1 row",
        row_count=1,
        error_count=0,
        imported_at=at(1),
        page_id=r.campaign.pk,
        purpose=r.purpose,
        user=r.staff,
    )
    m("datatools", "OfflineConsent").objects.create(
        source="paper", import_record=imported, imported_by=r.staff, submission=r.submission
    )
    r.incident = m("datatools", "Incident").objects.create(
        title="Lost laptop",
        description="A laptop was left on a train.",
        occurred_at=at(-3),
        discovered_at=at(-2),
        period_start=at(-30),
        period_end=at(-3),
        measures="Remote wipe",
        state="closed",
        announcement_title="Notice",
        announcement_text="We lost a laptop.",
        announcement_published_at=at(-1),
        created_by=r.officer,
    )
    r.incident.purposes.add(r.purpose)
    r.step = m("datatools", "IncidentStep").objects.create(
        incident=r.incident, action="subjects_found", detail="One person", count=1, user=r.officer
    )
    m("datatools", "IncidentSubject").objects.create(
        incident=r.incident, key_hash="f" * 64, notified_at=at(-1), channel="sms", submission=r.submission
    )


def _rights_rows(apps, r) -> None:
    """rights_requests and its fulfilment sub-app."""
    m = apps.get_model
    _add_page(
        apps,
        r.home,
        m("rights_requests", "RightsRequestPage"),
        title="Your rights",
        slug="rights",
        intro="<p>Ask</p>",
        thank_you_text="<p>Received</p>",
    )
    rr = m("rights_requests", "RightsRequest").objects.create(
        reference="RR-2026-MIGRAT",
        status_token_encrypted="gAAAAAB-token",
        request_type="access",
        channel="web",
        mobile_encrypted="gAAAAAB-mobile",
        mobile_hash="c" * 64,
        email_encrypted="gAAAAAB-email",
        email_hash="1" * 64,
        relationship="self",
        evidence="evidence/id.pdf",
        language="en",
        state="answered",
        received_at=at(-20),
        due_date=at(-5).date(),
        mobile_confirmed_at=at(-20),
        verified_at=at(-19),
        verification_method="sms",
        verification_note="Code matched",
        answered_at=at(-10),
        outcome="granted",
        refusal_ground="",
        response="Here is your data.",
        complaint_notice="You may complain.",
        fee_amount="0.00",
        closed_at=at(-9),
        closure_reason="answered",
        extended_at=at(-15),
        extension_reason="Complex",
        repeat_count=1,
        last_reminder_on=at(-12).date(),
        answered_by=r.officer,
        closed_by=r.officer,
        extended_by=r.officer,
        registered_by=r.staff,
        verified_by=r.staff,
        details_encrypted="gAAAAAB-details",
        email_confirmed_at=at(-19),
        email_proof="link",
        email_proof_note="Clicked",
        mobile_proof="code",
        mobile_proof_note="Entered",
    )
    m("fulfilment", "SubmissionStatus").objects.create(
        submission=r.submission,
        consent_withdrawn_at=at(-4),
        restricted_at=at(-4),
        retain_until=at(300).date(),
        restriction_ground="claim",
        erased_at=None,
    )
    package = m("fulfilment", "AccessPackage").objects.create(
        rights_request=rr,
        kind="copy",
        recipient="requester",
        nonce="nonce-migration",
        created_at=at(-11),
        expires_at=at(3),
        record_count=2,
        sha256="2" * 64,
        json_encrypted="gAAAAAB-json",
        xlsx_encrypted="gAAAAAB-xlsx",
        downloaded_at=at(-10),
        approval_note="Four eyes",
        approved_at=at(-11),
        approved_by=r.officer,
        built_by=r.staff,
        clear_sensitive=True,
        discarded_at=None,
        released_at=at(-10),
    )
    m("fulfilment", "DisclosureRecord").objects.create(
        request_reference=rr.reference,
        recipient="Police",
        ground="legal",
        field_keys=["mobile"],
        record_count=1,
        approved_at=at(-8),
        approved_by=r.officer,
        package=package,
        rights_request=rr,
    )
    m("fulfilment", "FulfilmentStep").objects.create(
        kind="answered",
        at=at(-10),
        summary="Answered",
        changes=[{"field": "state"}],
        by=r.officer,
        rights_request=rr,
    )
    m("fulfilment", "LedgerEntry").objects.create(
        action="erase",
        reason="request",
        created_at=at(-9),
        request_reference=rr.reference,
        purpose_scope=r.purpose.code,
        retain_until=at(30).date(),
        counts={"submissions": 1},
        targets=[r.submission.pk],
        sms_challenge_ids=[1],
        replayed_at=None,
        by=r.officer,
    )
    m("fulfilment", "PosthumousArrangement").objects.create(
        mobile_hash="c" * 64, email_hash="", instruction="erase", recorded_at=at(-7), recorded_by=r.officer
    )
    m("fulfilment", "RequestSubject").objects.create(
        mobile_hash="c" * 64,
        email_hash="1" * 64,
        mobile_encrypted="gAAAAAB-mobile",
        email_encrypted="gAAAAAB-email",
        set_at=at(-19),
        rights_request=rr,
        set_by=r.staff,
    )


def _log_entries(apps, r) -> dict:
    """Log entries naming moved models by content type and object id: (model, pk) -> (label, model)."""
    m = apps.get_model
    download_entry = m("wagtailcore", "ModelLogEntry").objects.create(
        content_type=_content_type(apps, r.download),
        object_id=str(r.download.pk),
        label="Download",
        action="wagtail.create",
        timestamp=AT,
        user=r.staff,
        data={"note": "kept"},
    )
    incident_entry = m("wagtailcore", "ModelLogEntry").objects.create(
        content_type=_content_type(apps, r.incident),
        object_id=str(r.incident.pk),
        label=r.incident.title,
        action="wagtail.edit",
        timestamp=AT,
        user=r.officer,
    )
    admin_entry = m("admin", "LogEntry").objects.create(
        content_type=_content_type(apps, r.step),
        object_id=str(r.step.pk),
        object_repr="step",
        action_flag=1,
        change_message="[]",
        user=r.officer,
        action_time=AT,
    )
    return {
        ("wagtailcore.ModelLogEntry", download_entry.pk): ("sms", "documentdownload"),
        ("wagtailcore.ModelLogEntry", incident_entry.pk): ("datatools", "incident"),
        ("admin.LogEntry", admin_entry.pk): ("datatools", "incidentstep"),
    }


def _queued_tasks(apps, r) -> None:
    """Waiting and finished tasks under the paths the previous release enqueued them with."""
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for path in (*MOVED_TASKS, *KEPT_TASKS):
        for status in (*WAITING, *FINISHED):
            DBTaskResult.objects.create(
                status=status,
                args_kwargs={"args": [], "kwargs": {"record_id": r.export.pk}},
                priority=0,
                task_path=path,
                worker_ids=[] if status == "READY" else ["worker-1"],
                queue_name="default",
                backend_name="default",
                run_after=AT,
                started_at=None if status == "READY" else AT,
                finished_at=at(0.01) if status in FINISHED else None,
                return_value=1 if status == "SUCCESSFUL" else None,
                exception_class_path="builtins.ValueError" if status == "FAILED" else "",
                traceback="Traceback" if status == "FAILED" else "",
            )


def _build_previous_release(apps) -> dict:
    """At least one row in every table of the project's apps; the ids the checks follow."""
    _previous_post_migrate(apps)
    r = SimpleNamespace()
    made = _holders(apps, r)
    _home_rows(apps, r)
    _forms_rows(apps, r)
    _sms_rows(apps, r)
    _datatools_rows(apps, r)
    _rights_rows(apps, r)
    made["entries"] = _log_entries(apps, r)
    _queued_tasks(apps, r)

    empty = [model._meta.label for model in _project_models(apps, OLD_LABELS) if not model.objects.exists()]
    assert not empty, f"tables the test leaves empty: {empty}"
    ContentTypeAt = apps.get_model("contenttypes", "ContentType")
    made["moved_cts"] = {key: ContentTypeAt.objects.get(app_label=key[0], model=key[1]).pk for key in MOVED}
    return made


# --- the test ---------------------------------------------------------------------------------


def _expected_grants(before, made) -> tuple[set, set]:
    """The grants once the move has handed the stale permission's holders the moved one's."""
    stale, kept = made["stale_perm"], made["kept_perm"]
    return tuple({(holder, kept if perm == stale else perm) for holder, perm in pairs} for pairs in before)


def _check_upgraded(apps, before, made):
    assert _tables_read_as(apps, NEW_LABELS, before["tables"]) == before["tables"]
    for label in (
        "forms.DocumentDownload",
        "incidents.Incident",
        "incidents.IncidentStep",
        "incidents.IncidentSubject",
    ):
        assert apps.get_model(label)._meta.db_table in before["tables"]
    assert _other_tables(apps) == before["others"]

    # Content types: the moved ones carry the new label under the same id; the stale one is gone.
    expected_cts = {
        pk: MOVED.get(key, key) for pk, key in before["content_types"].items() if pk != made["stale_ct"]
    }
    assert _content_types(apps) == expected_cts
    for key, pk in made["moved_cts"].items():
        assert expected_cts[pk] == MOVED[key]

    # Permissions keep their ids and codenames; the moved ones follow their content type.
    expected_perms = {pk: row for pk, row in before["permissions"].items() if pk != made["stale_perm"]}
    assert _permissions(apps) == expected_perms
    assert _grants(apps) == _expected_grants(before["grants"], made)

    for (entry_model, pk), key in made["entries"].items():
        assert _resolves(apps, entry_model, pk) == MOVED[key]

    tasks = _tasks(apps)
    for pk, (status, path) in before["tasks"].items():
        expected = MOVED_TASKS.get(path, path) if status in WAITING else path
        assert tasks[pk] == (status, expected), (status, path)
        if status in WAITING:
            assert isinstance(import_string(tasks[pk][1]), Task), tasks[pk]
    assert tasks.keys() == before["tasks"].keys()


def _check_runtime(made):
    """Today's code finds the moved rows through its own models and permission strings."""
    ContentType.objects.clear_cache()
    assert (
        ContentType.objects.get_for_model(DocumentDownload).pk
        == made["moved_cts"][("sms", "documentdownload")]
    )
    assert ContentType.objects.get_for_model(Incident).pk == made["moved_cts"][("datatools", "incident")]
    User = get_user_model()
    officer = User.objects.get(pk=made["officer"])
    assert officer.has_perms(
        [
            "forms.view_documentdownload",
            "forms.delete_documentdownload",
            "incidents.change_incident",
            "incidents.add_incident",
            "incidents.view_incidentstep",
            "incidents.view_incidentsubject",
            "sms.view_smschallenge",
            "datatools.export_campaignsubmission",
        ]
    )
    assert not officer.has_perm("sms.view_documentdownload")
    assert not officer.has_perm("datatools.change_incident")
    assert User.objects.get(pk=made["staff"]).has_perm("forms.change_documentdownload")
    for (entry_model, pk), key in made["entries"].items():
        if entry_model == "wagtailcore.ModelLogEntry":
            entry = ModelLogEntry.objects.get(pk=pk)
            model = entry.content_type.model_class()
            assert model._meta.label_lower == ".".join(MOVED[key])
            assert model.objects.filter(pk=entry.object_id).exists()


def _check_rolled_back(apps, before, made):
    assert _tables(apps, OLD_LABELS) == before["tables"]
    assert _other_tables(apps) == before["others"]
    assert _content_types(apps) == {
        pk: key for pk, key in before["content_types"].items() if pk != made["stale_ct"]
    }
    assert _permissions(apps) == {
        pk: row for pk, row in before["permissions"].items() if pk != made["stale_perm"]
    }
    assert _grants(apps) == _expected_grants(before["grants"], made)
    for (entry_model, pk), key in made["entries"].items():
        assert _resolves(apps, entry_model, pk) == key
    assert _tasks(apps) == before["tasks"]


@pytest.mark.django_db(transaction=True)
def test_previous_release_database_upgrades_and_rolls_back():
    if ("forms", PREVIOUS_RELEASE["forms"]) not in _executor().loader.graph.nodes:
        pytest.skip("migrations are disabled")
    try:
        old_apps = _migrate(_previous_targets)
        made = _build_previous_release(old_apps)
        before = _state(old_apps, OLD_LABELS)

        new_apps = _migrate(_current)
        _check_upgraded(new_apps, before, made)
        _check_runtime(made)

        _check_rolled_back(_migrate(_previous_targets), before, made)
    finally:
        _migrate(_current)
        ContentType.objects.clear_cache()
