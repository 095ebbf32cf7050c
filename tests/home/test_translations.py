"""The Simplified Chinese catalogue translates every message the site shows."""

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# Wagtail admin strings its own catalogue does not translate yet (server side and scripts).
WAGTAIL_CATALOGUES = sorted((ROOT / "cms" / "wagtail_catalogue" / "zh_Hans" / "LC_MESSAGES").glob("*.po"))


def test_every_catalogue_entry_is_translated_and_not_fuzzy():
    po = polib.pofile(str(CATALOGUE))
    assert len(po) > 0
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []
    assert po.percent_translated() == 100


def test_the_wagtail_gap_catalogues_are_complete_too():
    assert [p.name for p in WAGTAIL_CATALOGUES] == ["django.po", "djangojs.po"]
    for path in WAGTAIL_CATALOGUES:
        po = polib.pofile(str(path))
        assert len(po) > 0
        assert po.percent_translated() == 100, path
        assert po.fuzzy_entries() == [], path
