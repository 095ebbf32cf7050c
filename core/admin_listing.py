"""Admin listings answer only the parameters they declare.

wagtail-modeladmin's listing applies every query-string parameter it does not recognise as a
queryset lookup, so ``?verified_by__password__startswith=md5`` would turn a listing into an
oracle on any column reachable through a relation (compare the row counts), and an unknown
name is a server error. ``DeclaredParametersIndexView`` keeps what the listing declares:

- the parameters of its ``list_filter`` entries (what each filter's ``expected_parameters()``
  names, e.g. ``state__exact``, ``deadline``),
- the search ``q``, bounded to ``MAX_SEARCH_LENGTH`` characters and ``MAX_SEARCH_TERMS`` words,
- ordering ``o`` / ``ot`` (modeladmin only orders by declared columns), page ``p``,
  ``export`` and modeladmin's own error flag ``e``,

and answers **400 with a page naming what it refused** for anything else, before any query
runs, for the listing and its ``?export=`` alike. Filter values that the declared filters
cannot use are refused the same way.

Wagtail's own listings (snippet viewsets, reports, form submissions) only read their
filterset's fields, ``q``, ``ordering``, the page number and ``export``, and ignore any other
parameter; ``BoundedSearchMixin`` gives them the same bound on ``q``.
"""

from django.contrib.admin.options import IncorrectLookupParameters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail_modeladmin.options import ModelAdmin
from wagtail_modeladmin.views import IndexView

MAX_SEARCH_LENGTH = 100
MAX_SEARCH_TERMS = 10
SHOWN_NAMES = 5
SHOWN_NAME_LENGTH = 40


class ListingParametersRefused(Exception):
    """A listing was asked for something it does not offer; ``message`` says what."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def check_search(values) -> None:
    """Refuse a search string longer or wordier than the listings' bounds."""
    for value in values:
        if len(value) > MAX_SEARCH_LENGTH or len(value.split()) > MAX_SEARCH_TERMS:
            raise ListingParametersRefused(
                _("The search is too long: use at most %(length)d characters and %(terms)d words.")
                % {"length": MAX_SEARCH_LENGTH, "terms": MAX_SEARCH_TERMS}
            )


def undeclared_message(names) -> str:
    names = sorted(names)
    shown = ", ".join(
        name if len(name) <= SHOWN_NAME_LENGTH else name[:SHOWN_NAME_LENGTH] + "…"
        for name in names[:SHOWN_NAMES]
    )
    if len(names) > SHOWN_NAMES:
        shown += " …"
    return ngettext(
        "This listing cannot be filtered by the parameter %(names)s. "
        "Use the filters, search and sorting shown on the page.",
        "This listing cannot be filtered by the parameters %(names)s. "
        "Use the filters, search and sorting shown on the page.",
        len(names),
    ) % {"names": shown}


class ListingRefusedView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "forms/admin/listing_refused.html"
    page_title = _("The listing cannot answer this address")
    header_icon = "warning"
    message = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["message"] = self.message
        context["listing_url"] = self.request.path
        return context

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def post(self, request, *args, **kwargs):
        return self.get(request, *args, **kwargs)


def listing_refused(request, message):
    """The 400 answer of a listing asked for a parameter it does not declare."""
    response = ListingRefusedView.as_view(message=message)(request)
    response.status_code = 400
    return response


class DeclaredParametersMixin:
    """For a wagtail-modeladmin ``IndexView``: only the declared filters, search, ordering,
    paging and export parameters are accepted; anything else is a 400 (see the module)."""

    _lookup_params = None

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except ListingParametersRefused as exc:
            return listing_refused(request, exc.message)
        except IncorrectLookupParameters:
            return listing_refused(request, _("A filter value in the address is not valid."))

    def get_filters_params(self, params=None):
        # The declared filters take their parameters out of this very dict; what is left is
        # what modeladmin would apply as raw lookups.
        self._lookup_params = super().get_filters_params(params)
        return self._lookup_params

    def get_filters(self, request):
        check_search(request.GET.getlist(self.SEARCH_VAR))
        try:
            filters = super().get_filters(request)
        except IncorrectLookupParameters:
            # Only the parameters left over are checked there: an unknown field name.
            raise ListingParametersRefused(undeclared_message(self._lookup_params or ())) from None
        if filters[2]:
            raise ListingParametersRefused(undeclared_message(filters[2]))
        return filters


class DeclaredParametersIndexView(DeclaredParametersMixin, IndexView):
    pass


class DeclaredListingModelAdmin(ModelAdmin):
    """The base of every modeladmin in the project: its listing accepts only what it declares."""

    index_view_class = DeclaredParametersIndexView


class BoundedSearchMixin:
    """For Wagtail's generic listing views: an overlong search is a 400, not a slow query or
    a database error."""

    def get(self, request, *args, **kwargs):
        try:
            check_search(request.GET.getlist(getattr(self, "search_kwarg", "q")))
        except ListingParametersRefused as exc:
            return listing_refused(request, exc.message)
        return super().get(request, *args, **kwargs)
