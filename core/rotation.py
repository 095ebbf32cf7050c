"""Key rotation: re-encrypt every stored value with the newest field key.

The encrypted columns are found by their type (``core.fields.EncryptedTextField``) across all
installed models, so no list can fall behind a new column.
"""

from django.apps import apps
from django.db import transaction

from . import crypto
from .fields import EncryptedTextField


def encrypted_columns() -> list[tuple[str, str]]:
    """Every encrypted column as (``app_label.Model``, field name), in a stable order."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append((model._meta.label, field.name))
    return sorted(found)


def rotate_encrypted_values(*, batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every stored encrypted value with the newest key; returns counts per column.

    Raises ``crypto.DecryptionError`` (and leaves the current batch unchanged) when a
    value cannot be decrypted with any configured key.
    """
    counts: dict[str, int] = {}
    for dotted, field in encrypted_columns():
        model = apps.get_model(dotted)
        rows = model._default_manager.exclude(**{field: ""}).order_by("pk")
        done = 0
        last_pk = None
        while True:
            batch = rows if last_pk is None else rows.filter(pk__gt=last_pk)
            batch = list(batch.values_list("pk", field)[:batch_size])
            if not batch:
                break
            with transaction.atomic():
                for pk, token in batch:
                    try:
                        fresh = crypto.rotate(token)
                    except Exception as exc:
                        raise crypto.DecryptionError(f"{dotted}.{field} #{pk}") from exc
                    model._default_manager.filter(pk=pk).update(**{field: fresh})
            done += len(batch)
            last_pk = batch[-1][0]
        counts[f"{dotted}.{field}"] = done
    return counts
