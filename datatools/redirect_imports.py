"""Wagtail's redirect import, behind the same spreadsheet limits as sign-up sheet imports.

Wagtail reads an uploaded CSV, TSV or XLSX file of redirects whole, with no size, row or
unpacking limit, and trusts an XLSX sheet's ``<dimension>``. This view checks the upload
with ``sheets`` in strict mode (every row and cell the file holds counts, and the declared
dimension must fit the limits) before handing the request to Wagtail's own view; a
refused file gets a message and Wagtail never reads it. It is routed at Wagtail's path
(``redirects/import/``) ahead of Wagtail's URLs, so ``wagtailredirects:start_import`` still
reverses to it. The confirmation step reads the file this view let through.
"""

import os

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from wagtail.contrib.redirects import views as redirect_views

from . import sheets


def upload_refusal(uploaded) -> str:
    """Why an uploaded redirects file is refused (blank when Wagtail may read it)."""
    limits = sheets.Limits.from_settings()
    refusal = sheets.upload_size_refusal(uploaded.size, limits)
    if refusal:
        return refusal
    extension = os.path.splitext(uploaded.name or "")[1].lower()
    try:
        if extension == ".xlsx":
            with sheets.open_xlsx(uploaded, limits=limits, strict=True) as workbook:
                if workbook.worksheets:
                    for _row in workbook.rows(workbook.worksheets[0]):
                        pass
        elif extension in (".csv", ".tsv"):
            uploaded.seek(0)
            raw = uploaded.read(limits.upload_bytes + 1)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                return ""  # Wagtail refuses it, naming the encoding error
            sheets.read_csv(text, limits=limits, delimiter="\t" if extension == ".tsv" else ",")
    except sheets.SheetRefused as exc:
        return exc.message
    finally:
        uploaded.seek(0)
    return ""


@redirect_views.permission_checker.require_any("add")
def start_import(request):
    uploaded = request.FILES.get("import_file") if request.method == "POST" else None
    if uploaded is not None:
        refusal = upload_refusal(uploaded)
        if refusal:
            messages.error(request, _("The file was not imported: %(reason)s") % {"reason": refusal})
            return redirect("wagtailredirects:start_import")
    return redirect_views.start_import(request)
