"""The "Privacy review" moderation workflow: the whitelist check first, a Privacy officer when a
machine cannot decide.

Every campaign page goes live through this workflow (marketers hold no publish permission).
Its one task runs the screen on the revision submitted: what the screen refuses goes back to
the marketer with the reasons; a page whose purpose collects sensitive data, or with rows the
screen sends for review, waits for a Privacy officer in Wagtail's own workflow screens; every
other page passes at once and is published.
"""

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log
from wagtail.models import AbstractGroupApprovalTask, TaskState, Workflow, WorkflowTask

from core.roles import PRIVACY_OFFICERS

from .review import Verdict, page_revision_screen


class Route:
    AUTO = "auto"
    REFUSE = "refuse"
    OFFICER = "officer"


@dataclass(frozen=True)
class Decision:
    route: str
    reasons: list[str]


def review_decision(page) -> Decision:
    """Where the latest revision of ``page`` goes: refused, to a Privacy officer, or straight through."""
    page = page.specific
    if not _is_campaign(page):
        return Decision(Route.AUTO, [])
    latest = page.get_latest_revision_as_object()
    screening = page_revision_screen(page, latest=latest)
    if screening.verdict == Verdict.REFUSED:
        return Decision(Route.REFUSE, [p.message for p in screening.problems])
    reasons = [r.message for r in screening.reviews]
    if latest.purpose_id and latest.purpose.is_sensitive:
        reasons.insert(
            0,
            _(
                "The purpose “%(purpose)s” collects sensitive personal information: a Privacy officer reviews every change."
            )
            % {"purpose": latest.purpose},
        )
    if reasons:
        return Decision(Route.OFFICER, reasons)
    return Decision(Route.AUTO, [])


def _is_campaign(page) -> bool:
    # By name: the page model sits above this module (it names this workflow as its own).
    return isinstance(page, apps.get_model("forms", "CampaignFormPage"))


class PrivacyReviewTask(AbstractGroupApprovalTask):
    """The whitelist check, then a Privacy officer where the check cannot decide.

    Only pages the officer must see are announced to the task's groups (Wagtail's
    "submitted" notification); the rest are approved or sent back by the check itself,
    with its reasons as the task's comment, before anyone is notified.
    """

    def start(self, workflow_state, user=None):
        decision = review_decision(workflow_state.content_object)
        if decision.route == Route.OFFICER:
            task_state = super().start(workflow_state, user=user)
            log(
                instance=workflow_state.content_object.specific,
                action="forms.privacy_review_requested",
                user=user,
                data={"reasons": decision.reasons},
                revision=task_state.revision,
            )
            return task_state
        task_state = TaskState.objects.create(
            workflow_state=workflow_state,
            status=TaskState.STATUS_IN_PROGRESS,
            revision=workflow_state.content_object.get_latest_revision(),
            task=self,
        )
        if decision.route == Route.REFUSE:
            task_state.reject(user=None, update=False, comment="\n".join(decision.reasons))
        else:
            task_state.approve(
                user=None, update=False, comment=_("Passed the whitelist check automatically.")
            )
        return task_state

    @classmethod
    def get_description(cls):
        return _(
            "Checks the page against the purpose whitelist; pages of sensitive purposes and rows the screen "
            "doubts wait for members of the chosen groups"
        )

    class Meta:
        verbose_name = gettext_lazy("Privacy review task")
        verbose_name_plural = gettext_lazy("Privacy review tasks")


def privacy_review_workflow():
    """The active workflow holding an active Privacy review task, created when there is none.

    Campaign pages name it as their workflow wherever they sit, so no assignment in the
    admin (or its removal) can send a campaign live without the whitelist check.
    """
    workflow = (
        Workflow.objects.filter(
            active=True,
            workflow_tasks__task__active=True,
            workflow_tasks__task__content_type__app_label="forms",
            workflow_tasks__task__content_type__model="privacyreviewtask",
        )
        .order_by("pk")
        .first()
    )
    if workflow is not None:
        return workflow
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        task = PrivacyReviewTask.objects.create(name=_("Whitelist check and Privacy officer"))
        task.groups.set(Group.objects.filter(name=PRIVACY_OFFICERS))
        workflow = Workflow.objects.create(name=_("Privacy review"))
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    return workflow


def record_officer_approval(task_state, user) -> None:
    """Which rows of which revision a Privacy officer approved, in the page's history."""
    page = task_state.workflow_state.content_object.specific
    if not _is_campaign(page) or user is None:
        return
    content = task_state.revision.as_object()
    rows = [
        {"kind": row.kind, "key": row.field_key, "label": row.display_label, "required": row.required}
        for row in content.form_fields.all()
    ]
    log(
        instance=page,
        action="forms.privacy_review_approved",
        user=user,
        revision=task_state.revision,
        data={"revision": task_state.revision_id, "purpose": content.purpose.code, "rows": rows},
    )
