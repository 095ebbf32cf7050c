"""Every URL of the site, for every role, checked for the personal data it must not show.

The URL patterns are read from the resolver, so a new view is in the matrix as soon as it is
routed; its path converters are filled with the ids of the canary objects (``canary.py``). A
pattern the tables below cannot fill fails ``test_every_url_pattern_is_filled``, so the matrix
cannot silently lose a view.

For each (role, URL) the response body (HTML, JSON, CSV, the cells of an XLSX) is searched for
the canaries each role must not see, and for anonymous visitors and the visitor account every
admin URL but the login pages must refuse. Links to the capability URLs (access packages,
download links, status pages) found in a response are followed with the same session: what a
role can click must obey the same rules.
"""

import io
import json
import re
import zipfile
from dataclasses import dataclass
from itertools import product
from urllib.parse import quote, unquote

import openpyxl
import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern
from wagtail.models import Task, Workflow

from core.roles import ROLE_NAMES
from forms.models import ScreenTerm
from rights_requests.fulfilment.services import package_url

from . import canary as c

MISSING = "987654"  # an id no planted object has: the view must answer 404, never 500
FORGED = "forged-0000.AAAA:BBBB"

# --- filling path converters ---------------------------------------------------------------


def _latest_revision(page):
    revision = page.latest_revision
    return revision.pk if revision else MISSING


PAGE_VARIANTS = [("partner", lambda w: w.partner_page.pk), ("lead", lambda w: w.event_page.pk)]
PARTNER_PAGE = [("", lambda w: w.partner_page.pk)]


def _fixed(value):
    return [("", lambda w: value)]


def _one(fn):
    return [("", fn)]


def _workflow(w):
    return Workflow.objects.order_by("pk").values_list("pk", flat=True).first() or MISSING


def _task(w):
    return Task.objects.order_by("pk").values_list("pk", flat=True).first() or MISSING


def _purpose(w):
    return w.partner_page.purpose_id


def _screen_term(w):

    return ScreenTerm.objects.order_by("pk").values_list("pk", flat=True).first() or MISSING


def _collection_restriction(w):
    restriction = w.collection.view_restrictions.first()
    return restriction.pk if restriction else MISSING


# Keyword arguments whose value does not depend on the view.
FILL_BY_KWARG = {
    "page_id": PARTNER_PAGE,
    "parent_page_id": _one(lambda w: w.home.pk),
    "page_to_move_id": _one(lambda w: w.event_page.pk),
    "destination_id": _one(lambda w: w.home.pk),
    "page_pk": _one(lambda w: w.event_page.pk),
    "instance_pk": _one(lambda w: w.rights_request.pk),
    "document_id": _one(lambda w: w.document.pk),
    "doc_id": _one(lambda w: w.document.pk),
    "collection_id": _one(lambda w: w.collection.pk),
    "image_id": _fixed(MISSING),
    "uploaded_file_id": _fixed(MISSING),
    "redirect_id": _fixed(MISSING),
    "restriction_id": _one(_collection_restriction),
    "page_view_restriction_id": _fixed(MISSING),
    "task_state_id": _fixed(MISSING),
    "workflow_state_id": _fixed(MISSING),
    "session_id": _fixed(MISSING),
    "task_id": _one(_task),
    "workflow_pk": _one(_workflow),
    "action_name": _fixed("approve"),
    "filter_spec": _fixed("original"),
    "content_type_app_name": _fixed("forms"),
    "content_type_model_name": _fixed("campaignformpage"),
    "challenge_id": _fixed("no-such-challenge"),
    "reference": _one(lambda w: w.rights_request.reference),
    "fmt": [("json", lambda w: "json"), ("csv", lambda w: "csv")],
    "revision_id_a": _fixed("earliest"),
    "revision_id_b": _fixed("latest"),
}


# (URL name or namespace prefix ending in ":", kwarg) -> variants, for kwargs such as ``pk`` whose
# meaning depends on the view. The longest matching name wins.
FILL_BY_NAME = {
    # Views that show or take submissions: both campaigns (sensitive purpose, ordinary lead).
    ("wagtailforms:", "page_id"): PAGE_VARIANTS,
    ("fulfilment_erase_submissions", "page_id"): PAGE_VARIANTS,
    ("pfapi:", "page_id"): PAGE_VARIANTS,
    ("wagtailadmin_api:pages:", "pk"): PAGE_VARIANTS,
    ("wagtailapi:pages:", "pk"): PAGE_VARIANTS,
    ("wagtailadmin_api:documents:", "pk"): _one(lambda w: w.document.pk),
    ("wagtailadmin_api:images:", "pk"): _fixed(MISSING),
    ("wagtailadmin_collections:", "pk"): _one(lambda w: w.collection.pk),
    ("wagtailadmin_workflows:", "pk"): _one(_workflow),
    ("wagtailadmin_workflows:edit_task", "pk"): _one(_task),
    ("wagtailadmin_workflows:disable_task", "pk"): _one(_task),
    ("wagtailadmin_workflows:enable_task", "pk"): _one(_task),
    ("wagtailadmin_workflows:add_task", "app_label"): _fixed("wagtailcore"),
    ("wagtailadmin_workflows:add_task", "model_name"): _fixed("groupapprovaltask"),
    ("wagtailadmin_pages:revisions_compare", "pk"): PARTNER_PAGE,
    ("wagtailadmin_pages:", "revision_id"): _one(lambda w: _latest_revision(w.partner_page)),
    ("wagtailadmin_pages:choose_parent", "app_label"): _fixed("forms"),
    ("wagtailadmin_pages:choose_parent", "model_name"): _fixed("campaignformpage"),
    ("wagtail_bulk_action", "app_label"): _fixed("wagtailcore"),
    ("wagtail_bulk_action", "model_name"): _fixed("page"),
    ("wagtail_bulk_action", "action"): _fixed("delete"),
    ("wagtailadmin_tag_model_autocomplete", "app_name"): _fixed("wagtaildocs"),
    ("wagtailadmin_tag_model_autocomplete", "model_name"): _fixed("document"),
    ("wagtailadmin_editing_sessions:ping", "app_label"): _fixed("wagtailcore"),
    ("wagtailadmin_editing_sessions:ping", "model_name"): _fixed("page"),
    ("wagtailadmin_editing_sessions:ping", "object_id"): _one(lambda w: w.event_page.pk),
    ("datatools:export_download", "pk"): [
        ("masked", lambda w: w.export.pk),
        ("unmasked", lambda w: w.unmasked_export.pk),
    ],
    ("datatools:unmasked_decide", "pk"): _one(lambda w: w.unmasked_export.pk),
    ("datatools:import_preview", "pk"): _one(lambda w: w.import_record.pk),
    ("datatools:whitelist_change", "pk"): _one(_purpose),
    ("incidents:incident", "pk"): _one(lambda w: w.incident.pk),
    ("fulfilment_request", "pk"): _one(lambda w: w.rights_request.pk),
    ("wagtailsettings:", "app_name"): _fixed("home"),
    ("wagtailsettings:", "model_name"): _fixed("sitesettings"),
    ("wagtailsettings:", "pk"): _one(lambda w: w.home.get_site().pk),
    ("wagtailsnippets_forms_purpose:", "pk"): _one(_purpose),
    ("wagtailsnippets_forms_purpose:", "revision_id"): _fixed(MISSING),
    ("wagtailsnippetchoosers_forms_purpose:", "pk"): _one(_purpose),
    ("wagtailsnippets_forms_screenterm:", "pk"): _one(_screen_term),
    ("wagtailsnippetchoosers_forms_screenterm:", "pk"): _one(_screen_term),
    ("wagtailsites:", "pk"): _one(lambda w: w.home.get_site().pk),
    ("wagtailusers_users:", "pk"): _one(lambda w: w.users[c.REQUESTER_ROLE].pk),
    ("wagtailusers_groups:", "pk"): _one(lambda w: w.users[c.MARKETER].groups.get().pk),
    ("wagtaildocs_chooser:", "pk"): _one(lambda w: w.document.pk),
    ("wagtailimages_chooser:", "pk"): _fixed(MISSING),
    ("wagtailadmin_password_reset_confirm", "uidb64"): _fixed("MQ"),
    ("wagtailadmin_password_reset_confirm", "token"): _fixed("set-password"),
    ("rights_requests:confirm_email", "token"): _fixed(FORGED),
}


@dataclass(frozen=True)
class Variant:
    """A whole set of kwargs for one view; ``subject`` marks a capability link held by that person."""

    label: str
    kwargs: object  # world -> dict
    subject: str = ""
    headers: object = None  # world -> dict


# Views reached by a secret link: the genuine link (what its holder sees) and a forged one.
VARIANTS_BY_NAME = {
    "rights_requests:status": [
        Variant(
            "genuine link",
            lambda w: {"reference": w.rights_request.reference, "token": w.rights_request.status_token},
            subject="partner",
        ),
        Variant("forged link", lambda w: {"reference": w.rights_request.reference, "token": FORGED}),
    ],
    "fulfilment:package": [
        Variant("genuine link", lambda w: {"token": w.package_token}, subject="partner"),
        Variant("forged link", lambda w: {"token": FORGED}),
    ],
    "campaign_download": [
        Variant("genuine link", lambda w: {"token": w.download_token}, subject="lead"),
        Variant("forged link", lambda w: {"token": FORGED}),
    ],
    # The sign-up page shows the campaign, the place and the check-in code: no personal value.
    "campaign_registration": [
        Variant("genuine link", lambda w: {"token": w.registration_token}, subject="lead"),
        Variant("forged link", lambda w: {"token": FORGED}),
    ],
    "campaign_registration_ics": [
        Variant("genuine link", lambda w: {"token": w.registration_token}, subject="lead"),
        Variant("forged link", lambda w: {"token": FORGED}),
    ],
    "pfapi:rights_request_status": [
        Variant("no token", lambda w: {"reference": w.rights_request.reference}),
        Variant(
            "genuine bearer token",
            lambda w: {"reference": w.rights_request.reference},
            subject="partner",
            headers=lambda w: {"Authorization": f"Bearer {w.rights_request.status_token}"},
        ),
    ],
}

# Patterns with unnamed groups or no name: whole paths.
PATHS_BY_ROUTE = {
    "admin/^.*/$": [("unknown admin path", lambda w: "/admin/no-such-view/")],
    r"documents/^(\d+)/(.*)$": [
        ("gated download", lambda w: f"/documents/{w.document.pk}/{w.document.filename}"),
        ("missing", lambda w: f"/documents/{MISSING}/nothing.pdf"),
    ],
    r"^((?:[\w\-]+/)*)$": [
        ("home", lambda w: w.home.url),
        ("policy", lambda w: w.policy.url),
        ("rights page", lambda w: w.rights_page.url),
        ("partner page", lambda w: w.partner_page.url),
        ("lead page", lambda w: w.event_page.url),
        ("download page", lambda w: w.download_page.url),
        ("requester page", lambda w: w.compat_page.url),
        ("unknown page", lambda w: "/no-such-page/"),
    ],
}

# Extra query strings worth trying on listings (exports and searches of the listing views).
QUERIES_BY_NAME = {
    "wagtailforms:list_submissions": ["export=csv", "export=xlsx", f"q={c.LEAD.mobile}"],
    "wagtailforms:list_submissions_results": [f"q={c.LEAD.mobile}"],
    "rights_requests_rightsrequest_modeladmin_index": ["export=csv", "export=xlsx", f"q={c.PARTNER.mobile}"],
    # Wagtail's site history, at its own path, answered by the escaped report view.
    "escaped_exports:wagtailadmin_reports_site_history": ["export=csv", "export=xlsx"],
    "sms_downloads_report": ["export=csv"],
    "wagtailadmin_pages:search": [f"q={c.LEAD.name}"],
    "wagtaildocs:index": ["export=csv"],
    "wagtailapi:pages:listing": ["type=forms.CampaignFormPage&fields=*"],
    "wagtailapi:pages:detail": ["fields=*"],
    "wagtailadmin_api:pages:listing": ["fields=*"],
}

# Admin views that answer anyone: the login and password-reset pages and static catalogues.
PUBLIC_ADMIN_NAMES = {
    "wagtailadmin_login",
    "wagtailadmin_password_reset",
    "wagtailadmin_password_reset_done",
    "wagtailadmin_password_reset_confirm",
    "wagtailadmin_password_reset_complete",
    "wagtailadmin_sprite",
    "wagtailadmin_javascript_catalog",
}


# --- walking the resolver --------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    template: str  # the pattern as written, e.g. "admin/pages/<int:page_id>/edit/"
    name: str
    levels: tuple  # the pattern objects from the root resolver down to the leaf
    callback: object


def walk(patterns, levels=(), namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from walk(entry.url_patterns, (*levels, entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            all_levels = (*levels, entry.pattern)
            name = f"{namespace}{entry.name}" if entry.name else ""
            yield Route("".join(str(p) for p in all_levels), name, all_levels, entry.callback)


ROUTE_ARG = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def kwarg_names(route: Route) -> list[str]:
    names = []
    for level in route.levels:
        if isinstance(level, RoutePattern):
            names += [m["name"] for m in ROUTE_ARG.finditer(str(level))]
        elif isinstance(level, RegexPattern):
            names += list(level.regex.groupindex)
    return names


def build_path(route: Route, kwargs: dict) -> str:
    parts = []
    for level in route.levels:
        text = str(level)
        if isinstance(level, RoutePattern):
            text = ROUTE_ARG.sub(lambda m: str(kwargs[m["name"]]), text)
        else:
            text = REGEX_GROUP.sub(lambda m: str(kwargs[m["name"]]), text)
            text = text.removeprefix("^").removesuffix("$").replace("\\.", ".").replace("\\-", "-")
            if re.search(r"[\\()\[\]*+?|]", text):
                raise LookupError(f"regex left unfilled: {text}")
        parts.append(text)
    return "/" + "".join(parts)


def _fill_for(route: Route, kwarg: str):
    best, best_len = None, -1
    for (prefix, name), variants in FILL_BY_NAME.items():
        if name != kwarg or not route.name:
            continue
        matches = route.name == prefix or (prefix.endswith(":") and route.name.startswith(prefix))
        if matches and len(prefix) > best_len:
            best, best_len = variants, len(prefix)
    if best is not None:
        return best
    return FILL_BY_KWARG.get(kwarg)


@dataclass(frozen=True)
class Case:
    id: str
    route: Route
    method: str
    label: str
    path: object  # world -> path
    query: str = ""
    subject: str = ""
    headers: object = None

    def resolve_path(self, world) -> str:
        return self.path(world)


def cases_for(route: Route) -> list[Case]:
    """Every concrete request the matrix makes for one pattern; LookupError if it cannot be filled."""
    built: list[tuple[str, object, str, object]] = []  # (label, path fn, subject, headers fn)
    if route.template in PATHS_BY_ROUTE:
        built = [(label, fn, "", None) for label, fn in PATHS_BY_ROUTE[route.template]]
    elif route.name in VARIANTS_BY_NAME:
        for v in VARIANTS_BY_NAME[route.name]:
            built.append(
                (v.label, lambda w, v=v: build_path(route, {k: str(x) for k, x in v.kwargs(w).items()}),
                 v.subject, v.headers)
            )  # fmt: skip
    else:
        names = kwarg_names(route)
        fills = []
        for name in names:
            variants = _fill_for(route, name)
            if variants is None:
                raise LookupError(f"no value for <{name}>")
            fills.append([(name, label, fn) for label, fn in variants])
        for combo in product(*fills):
            label = " ".join(lbl for _, lbl, _ in combo if lbl)

            def path(w, combo=combo):
                return build_path(route, {name: str(fn(w)) for name, _, fn in combo})

            built.append((label, path, "", None))
        if not names:
            # A pattern without arguments must still be a plain path.
            build_path(route, {})
    methods = ["GET"]
    if route.template.startswith("api/"):
        methods.append("POST")
    cases = []
    for method in methods:
        queries = [""] + (QUERIES_BY_NAME.get(route.name, []) if method == "GET" else [])
        for (label, path, subject, headers), query in product(built, queries):
            shown = "/" + route.template + (f"?{query}" if query else "") + (f" [{label}]" if label else "")
            cases.append(Case(f"{method} {shown}", route, method, label, path, query, subject, headers))
    return cases


# Views left out of the matrix, with the reason.
EXCLUDED_NAMES = {
    # Wagtail's deliberate "emergency broadcast" exception, there to test the 500 page.
    "wagtailadmin_error_test",
}

ROUTES = [r for r in walk(get_resolver().url_patterns) if r.name not in EXCLUDED_NAMES]
CASES: list[Case] = []
UNFILLED: list[str] = []
_reachable = set()
for _route in ROUTES:
    if _route.template in _reachable:
        continue  # shadowed by an earlier pattern with the same route: never reached
    _reachable.add(_route.template)
    try:
        CASES += cases_for(_route)
    except LookupError as exc:
        UNFILLED.append(f"/{_route.template} ({_route.name or 'unnamed'}): {exc}")


# --- what each role may see ------------------------------------------------------------------


@dataclass(frozen=True)
class Canary:
    label: str
    needles: tuple
    allowed: frozenset  # roles that may see it
    subject: str = ""  # the person whose own capability links may show it


def _person(person: c.Person) -> tuple:
    return (person.name, person.mobile, person.email)


CANARIES = (
    # A clear ID number is never shown by a plain GET, to anyone (four eyes, or a logged reveal).
    Canary("an ID number in clear", (c.ID_NUMBER, c.RESTRICTED_ID_NUMBER), frozenset()),
    Canary(
        "the partner applicant's name/mobile/e-mail (a sensitive purpose: Privacy officers only)",
        _person(c.PARTNER),
        frozenset({c.OFFICER, c.SUPERUSER}),
        subject="partner",
    ),
    Canary(
        "the roadshow lead's name/mobile/e-mail (its owner, Marketing leads, Privacy officers only)",
        _person(c.LEAD),
        frozenset({c.MARKETER, c.MARKETING_LEAD, c.OFFICER, c.SUPERUSER}),
        subject="lead",
    ),
    Canary(
        "the visitor's own submission (the visitor, its owner, Marketing leads, Privacy officers only)",
        _person(c.REQUESTER),
        frozenset({c.REQUESTER_ROLE, c.MARKETER, c.MARKETING_LEAD, c.OFFICER, c.SUPERUSER}),
        subject="requester",
    ),
    Canary(
        "a restricted record (§6.5: Privacy officers only, and masked)",
        _person(c.RESTRICTED),
        frozenset({c.OFFICER, c.SUPERUSER}),
    ),
    Canary(
        "a lead whose consent was withdrawn (§6.4: no longer processed)",
        _person(c.WITHDRAWN),
        frozenset({c.OFFICER, c.SUPERUSER}),
    ),
    Canary(
        "the rights request's details (privacy staff only)",
        ("canary-details-7731",),
        frozenset({c.STAFF, c.OFFICER, c.SUPERUSER}),
        subject="partner",
    ),
    Canary(
        "the incident register (Privacy officers only)",
        ("canary-incident-4410",),
        frozenset({c.OFFICER, c.SUPERUSER}),
    ),
    Canary(
        "the gated download's content (the e-mailed link, Marketers and Privacy officers only)",
        ("canary-whitepaper-5501",),
        frozenset({c.MARKETER, c.OTHER_MARKETER, c.OFFICER, c.SUPERUSER}),
        subject="lead",
    ),
)


def _variants(needle: str) -> set[str]:
    """The needle as it may be written: plain, JSON-escaped, percent-encoded."""
    found = {needle, json.dumps(needle)[1:-1], quote(needle), quote(needle, safe="")}
    if needle.isdigit() and len(needle) == 11:
        found.add(f"{needle[:3]} {needle[3:7]} {needle[7:]}")
    return {v.lower() for v in found}


NEEDLES = {canary.label: [(n.lower(), _variants(n)) for n in canary.needles] for canary in CANARIES}
LINK_RE = re.compile(
    r"""(?:https?://[^/"'\s<>]+)?(/(?:my-data/packages|downloads|rights-requests/status|documents)/[^"'\s<>]+)"""
)


def response_text(response) -> str:
    """Headers and body, with the cells of a spreadsheet (read once: bodies may be streamed)."""
    cached = getattr(response, "_matrix_text", None)
    if cached is not None:
        return cached
    data = b"".join(response.streaming_content) if response.streaming else response.content
    parts = [f"{k}: {v}" for k, v in response.items()]
    parts.append(data.decode("utf-8", "replace"))
    if data[:2] == b"PK":
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            pass
        else:
            for sheet in workbook.worksheets:
                for row in sheet.iter_rows(values_only=True):
                    parts.append("\t".join("" if v is None else str(v) for v in row))
    response._matrix_text = "\n".join(parts)
    return response._matrix_text


def leaks(role: str, text: str, subject: str, four_eyes: bool = False, supplied: str = "") -> list[str]:
    """What ``text`` shows that ``role`` may not see; ``subject`` holds the capability link,
    ``four_eyes`` is their access package released with a Privacy officer's approval, and a
    value the request itself ``supplied`` (a search term echoed back) is no leak."""
    found = []
    for canary in CANARIES:
        if role in canary.allowed or (subject and canary.subject == subject):
            continue
        # The partner's own package, released by a second person, holds their ID number in clear.
        excused = {c.ID_NUMBER.lower()} if four_eyes and subject == "partner" else set()
        hits = sorted(
            v
            for raw, variants in NEEDLES[canary.label]
            if raw not in supplied and raw not in excused
            for v in variants
            if v in text
        )
        if hits:
            found.append(f"shows {canary.label}: {hits[0]!r}")
    return found


def fetch(client, case: Case, world):
    path = case.resolve_path(world)
    url = f"{path}?{case.query}" if case.query else path
    headers = case.headers(world) if case.headers else {}
    if case.method == "POST":
        response = client.post(url, data=b"{}", content_type="application/json", headers=headers)
    else:
        response = client.get(url, headers=headers)
    return url, response


def check(role: str, case: Case, world) -> list[str]:
    client = world.client(role)
    url, response = fetch(client, case, world)
    problems = [f"{case.method} {url} -> {p}" for p in judge(role, case, url, response, world)]
    text = response_text(response)
    followed = set()
    for found in LINK_RE.findall(text):
        link = found.replace("&amp;", "&")
        if link in followed or link == url or len(followed) >= 10:
            continue
        followed.add(link)
        linked = client.get(link)
        problems += [
            f"{case.method} {url} links {link} -> {p}" for p in judge(role, case, link, linked, world)
        ]
    return problems


def judge(role: str, case: Case, url: str, response, world) -> list[str]:
    problems = []
    if response.status_code >= 500:
        problems.append(f"status {response.status_code}")
    four_eyes = (
        case.subject == "partner" and world.package_approved and _url_name(url) == "fulfilment:package"
    )
    supplied = unquote(url).lower()
    problems += leaks(role, response_text(response).lower(), case.subject, four_eyes, supplied)
    if (
        role in (c.ANONYMOUS, c.REQUESTER_ROLE)
        and url.startswith("/admin/")
        and response.status_code == 200
        and _url_name(url) not in PUBLIC_ADMIN_NAMES
    ):
        problems.append("an admin page answers 200 to a visitor")
    return problems


def _url_name(url: str) -> str:
    try:
        return resolve(url.split("?", 1)[0]).view_name
    except Resolver404:
        return ""


# --- known holes, being closed (remove an entry when its fix lands: strict xfail fails then) -------

# (roles, pattern searched in the case id, reason), e.g.
# (frozenset({c.OTHER_MARKETER}), re.compile(r"^GET /admin/forms/submissions/"), "visibility per owner")
KNOWN_HOLES: list[tuple[frozenset, re.Pattern, str]] = []


def _marks(role: str, case: Case):
    for roles, pattern, reason in KNOWN_HOLES:
        if role in roles and pattern.search(case.id):
            return [pytest.mark.xfail(strict=True, reason=reason)]
    return []


MATRIX = [
    pytest.param(role, case, id=f"{role}: {case.id}", marks=_marks(role, case))
    for case in CASES
    for role in c.ROLES
]


# --- tests -----------------------------------------------------------------------------------


def test_every_url_pattern_is_filled():
    """A new pattern whose arguments the tables cannot fill would drop out of the matrix."""
    assert not UNFILLED, "URL patterns the role matrix cannot fill:\n" + "\n".join(UNFILLED)


def test_every_staff_role_is_in_the_matrix():
    """A group added to cms.roles needs a user in the matrix (and a line in the canaries' rules)."""

    modelled = {group for groups in c.ROLE_GROUPS.values() for group in groups}
    assert set(ROLE_NAMES) <= modelled


def test_filled_paths_reach_their_own_view(world):
    """The filled paths resolve to the pattern they were built from (the tables fill the right view)."""
    wrong = []
    for case in CASES:
        path = case.resolve_path(world)
        try:
            match = resolve(path)
        except Resolver404:
            wrong.append(f"{case.id}: {path} resolves to nothing")
            continue
        # By name as well as by callback: a test that reloads cms.urls builds new view objects.
        same_name = bool(case.route.name) and match.view_name == case.route.name
        if (
            not same_name
            and match.func is not case.route.callback
            and match.route != "".join(str(p) for p in case.route.levels)
        ):
            wrong.append(f"{case.id}: {path} resolves to {match.view_name or match.route}")
    assert not wrong, "\n".join(wrong)


def test_the_canaries_are_found_where_they_belong(world):
    """The search would see each canary: the roles allowed to see it do see it."""
    seen = {
        "officer sees the partner applicant": (
            c.OFFICER,
            f"/admin/forms/submissions/{world.partner_page.pk}/",
            c.PARTNER.name,
        ),
        "the other marketer is in the admin": (c.OTHER_MARKETER, "/admin/pages/", "<html"),
        "a marketing lead sees every ordinary campaign": (
            c.MARKETING_LEAD,
            f"/admin/forms/submissions/{world.event_page.pk}/",
            c.LEAD.mobile,
        ),
        "owner sees the lead": (c.MARKETER, f"/admin/forms/submissions/{world.event_page.pk}/", c.LEAD.name),
        "owner's export holds the lead": (
            c.MARKETER,
            f"/admin/forms/submissions/{world.event_page.pk}/?export=xlsx",
            c.LEAD.mobile,
        ),
        "visitor sees their own data": (c.REQUESTER_ROLE, "/my-data/", c.REQUESTER.name),
        "staff read the request": (
            c.STAFF,
            f"/admin/rights_requests/rightsrequest/inspect/{world.rights_request.pk}/",
            "canary-details-7731",
        ),
        "officer finds the restricted record, masked": (
            c.OFFICER,
            "/admin/fulfilment/restricted/",
            "****0004",
        ),
        "officer reads the incident": (
            c.OFFICER,
            f"/admin/datatools/incidents/{world.incident.pk}/",
            "canary-incident-4410",
        ),
        "the e-mailed link serves the file": (
            c.ANONYMOUS,
            f"/downloads/{world.download_token}/",
            "canary-whitepaper-5501",
        ),
        "the package holds the partner's data": (
            c.ANONYMOUS,
            f"/my-data/packages/{world.package_token}/?format=xlsx",
            c.PARTNER.mobile,
        ),
    }
    missing = []
    for label, (role, url, needle) in seen.items():
        response = world.client(role).get(url)
        if response.status_code != 200 or needle.lower() not in response_text(response).lower():
            missing.append(f"{label}: {role} GET {url} -> {response.status_code}")
    assert not missing, "\n".join(missing)


def test_links_in_a_page_are_found_as_they_were_written(world):
    """A package link shown in a page (absolute, mixed-case signature) is followed as it is."""

    url = package_url(world.package)
    page = f'<p>Download it at {url} until 2030-01-01; <a href="{url}?format=xlsx">XLSX</a></p>'
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert LINK_RE.findall(page) == ["/" + path, f"/{path}?format=xlsx"]


@pytest.mark.parametrize(("role", "case"), MATRIX)
def test_role_matrix(world, role, case):
    problems = check(role, case, world)
    assert not problems, f"{role}:\n" + "\n".join(problems)
