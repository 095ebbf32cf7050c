"""Wagtail admin messages that Wagtail's own zh_Hans catalogue does not translate yet.

Marketers meet these in the page editor, most often right after the whitelist refuses a
page. Listing the msgids here (unchanged from Wagtail's source) puts them into the
project's catalogue, which takes precedence over Wagtail's (LOCALE_PATHS).
"""

from django.utils.translation import gettext_noop

WAGTAIL_EDITOR_MESSAGES = (
    gettext_noop("The page could not be saved due to validation errors."),
    gettext_noop("The page could not be created due to validation errors."),
    gettext_noop("There are validation errors, click save to highlight them."),
    gettext_noop("Go to the first error"),
    gettext_noop("The page could not be saved as it is locked."),
    gettext_noop("Saving will overwrite a newer version."),
)
