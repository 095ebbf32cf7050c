"""Wagtail's database search backend with bounded queries.

``WAGTAILSEARCH_BACKENDS["default"]["BACKEND"] = "cms.search_backend"``. It picks the same
backend for the database in use as ``wagtail.search.backends.database`` and bounds every query
before it is compiled (``cms.search_terms``): a string is cut to ``SEARCH_MAX_TERMS`` words
and ``SEARCH_MAX_LENGTH`` characters, control characters and double quotes are dropped, a
blank one finds nothing (as an empty one does), and a parsed query
(``And``/``Or`` of plain texts and phrases, as the admin's page search builds) that is over
the bounds is searched as the plain text of its first words. Searches the
``SearchBoundsMiddleware`` refuses never get here; this is what keeps any other search path
from building a query tree deep enough to crash the compiler.
"""

from __future__ import annotations

from modelsearch.backends.database import SearchBackend as database_backend
from modelsearch.query import And, Boost, Fuzzy, Not, Or, Phrase, PlainText, SearchQuery

from .search_terms import bound_search_text, max_length, max_terms, search_terms

_bounded_classes: dict[type, type] = {}


def _leaves(query: SearchQuery, found: list[str]) -> bool:
    """Collect the texts of a parsed query; ``False`` when it holds a node not understood."""
    if isinstance(query, (PlainText, Phrase, Fuzzy)):
        found.append(query.query_string)
        return True
    if isinstance(query, (And, Or)):
        return all(_leaves(subquery, found) for subquery in query.subqueries)
    if isinstance(query, (Not, Boost)):
        return _leaves(query.subquery, found)
    return True  # MatchAll, MatchNone


def plain_text(value: str) -> str:
    """A plain-text search within the bounds, safe to compile: no double quote (the SQLite
    backend quotes each term with them and does not escape one inside), and empty rather
    than blank (a blank search compiles to no expression at all)."""
    bounded = bound_search_text(value.replace('"', " "))
    return bounded if bounded.strip() else ""


def bound_query(query, operator=None):
    """``query`` (a string or a parsed ``SearchQuery``) within the search bounds."""
    if isinstance(query, str):
        return plain_text(query)
    if not isinstance(query, SearchQuery):
        return query
    texts: list[str] = []
    understood = _leaves(query, texts)
    joined = " ".join(texts)
    within = len(joined) <= max_length() and len(search_terms(joined)) <= max_terms()
    if within and understood and all(plain_text(text) == text for text in texts):
        return query
    text = plain_text(joined)
    return PlainText(text, operator=operator or PlainText.DEFAULT_OPERATOR) if text else ""


class BoundedSearchMixin:
    def search(self, query, model_or_queryset, fields=None, operator=None, order_by_relevance=True):
        return super().search(
            bound_query(query, operator),
            model_or_queryset,
            fields=fields,
            operator=operator,
            order_by_relevance=order_by_relevance,
        )

    def autocomplete(self, query, model_or_queryset, fields=None, operator=None, order_by_relevance=True):
        return super().autocomplete(
            bound_query(query, operator),
            model_or_queryset,
            fields=fields,
            operator=operator,
            order_by_relevance=order_by_relevance,
        )


def SearchBackend(params):
    """The database backend for the current database, with bounded queries."""
    backend = database_backend(params)
    cls = type(backend)
    bounded = _bounded_classes.get(cls)
    if bounded is None:
        bounded = type(f"Bounded{cls.__name__}", (BoundedSearchMixin, cls), {})
        _bounded_classes[cls] = bounded
    backend.__class__ = bounded
    return backend
