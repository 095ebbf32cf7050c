"""Signals of the campaign forms app, at the bottom of its layers so any module may send them."""

from django.dispatch import Signal

#: A purpose, its whitelisted fields or a screen term changed: every cached form definition is
#: stale. ``forms.definition`` receives it; the models and the screen send it.
whitelist_changed = Signal()
