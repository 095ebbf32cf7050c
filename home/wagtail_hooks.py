"""Admin wiring for the privacy-policy pages: what no one may do to a version consents cite."""

from django.shortcuts import redirect
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.admin import messages
from wagtail.models import Page

from .models import PrivacyPolicyPage
from .services import cited_policy_versions, cited_versions_hidden_by_unpublishing


def _refuse(request, cited, fallback_page):
    message = _(
        "Refused: consents already given cite %(versions)s; "
        "a cited policy version can be neither unpublished nor deleted."
    )
    messages.error(request, message % {"versions": "、".join(f"“{v}”" for v in cited)})
    return redirect("wagtailadmin_explore", fallback_page.get_parent().pk)


@hooks.register("before_delete_page")
def refuse_deleting_cited_versions(request, page):
    cited = cited_policy_versions(pages=[page], descendants=True)
    if cited:
        return _refuse(request, cited, page)


@hooks.register("before_unpublish_page")
def refuse_unpublishing_cited_versions(request, page):
    include_descendants = bool(request.POST.get("include_descendants"))
    cited = cited_versions_hidden_by_unpublishing(page=page, include_descendants=include_descendants)
    if cited:
        return _refuse(request, cited, page)


@hooks.register("before_bulk_action")
def refuse_bulk_removing_cited_versions(request, action_type, objects, action_class_instance):
    pages = [obj for obj in objects if isinstance(obj, Page)]
    if not pages or action_type not in ("delete", "unpublish"):
        return None
    if action_type == "delete":
        cited = cited_policy_versions(pages=pages, descendants=True)
    else:
        form = getattr(action_class_instance, "cleaned_form", None)
        include_descendants = bool(form and form.cleaned_data.get("include_descendants"))
        cited = [
            version
            for page in pages
            for version in cited_versions_hidden_by_unpublishing(
                page=page, include_descendants=include_descendants
            )
        ]
    if cited:
        return _refuse(request, cited, pages[0])


@hooks.register("before_edit_page")
def warn_that_published_versions_are_frozen(request, page):
    if request.method == "GET" and isinstance(page, PrivacyPolicyPage) and page.first_published_at:
        messages.warning(
            request,
            _(
                "This policy version has been published: its text can no longer change. Add a new version instead."
            ),
        )
