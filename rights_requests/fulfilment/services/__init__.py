"""Fulfilling rights requests: packages, transfer, correction, withdrawal, erasure, restriction.

Every operation is a keyword-only function. Operations on a request check the acting
user's permission and the request's state, change the data and record a step in the
request's history inside one transaction, and answer the request through
``rights_requests.services.rights_request_answer`` so the answer states what was done.
Erasure, restriction and withdrawal also write the erasure ledger (no personal data),
which ``replay_ledger`` applies again after a backup is restored.

One module per job; this package names every operation, so callers import
``rights_requests.fulfilment.services`` and never a module inside it. Queueing the build of a
package is ``rights_requests.fulfilment.tasks.package_request`` (the task runs
``package_deliver``).
"""

from django.core.exceptions import PermissionDenied

from core.exceptions import NON_FIELD

from .common import (
    ACTIONS_BY_TYPE,
    APPROVE_CLEAR_PERMISSION,
    APPROVE_TRANSFER_PERMISSION,
    ARRANGEMENT_ALLOWS,
    CHUNK,
    FULFIL_PERMISSION,
    MAX_REASON,
    ONE_SECOND,
    PACKAGE_FORMAT,
    TOMBSTONE,
    UNMASKED_PERMISSION,
    FulfilmentError,
    allowed_actions,
    backup_rollover_date,
    ledger_path,
    package_ttl,
)
from .correction import correct, correct_and_answer
from .erasure import ErasureResult, erase, erase_submissions, erasure_answer_text, restrict_submissions
from .ledger import ReplayResult, ledger_line, replay_ledger
from .next_of_kin import arrangement_record, set_deceased
from .packages import (
    can_approve_package,
    check_package_request,
    csv_bytes,
    document_bytes,
    package_answer_text,
    package_approve,
    package_build,
    package_content,
    package_deliver,
    package_document,
    package_mail_text,
    package_release_masked,
    package_url,
    pending_packages,
    record_of,
    status_package_for,
    xlsx_bytes,
)
from .purge import (
    ERASE_LISTED_ACTION,
    erasable_submissions,
    erase_listed_submissions,
    erase_minors_without_consent,
    expired_submissions,
    may_erase_listed_submissions,
    purge_expired,
)
from .reveal import record_unmasked_view, reveal_reason
from .self_service import SELF_SERVICE_PURPOSE, SELF_SERVICE_TYPES, self_service_request
from .transfer import transfer
from .withdrawal import withdraw_consent, withdraw_for_cancelled_sign_up

__all__ = [
    "ACTIONS_BY_TYPE",
    "APPROVE_CLEAR_PERMISSION",
    "APPROVE_TRANSFER_PERMISSION",
    "ARRANGEMENT_ALLOWS",
    "CHUNK",
    "ERASE_LISTED_ACTION",
    "FULFIL_PERMISSION",
    "MAX_REASON",
    "NON_FIELD",
    "ONE_SECOND",
    "PACKAGE_FORMAT",
    "SELF_SERVICE_PURPOSE",
    "SELF_SERVICE_TYPES",
    "TOMBSTONE",
    "UNMASKED_PERMISSION",
    "ErasureResult",
    "FulfilmentError",
    "PermissionDenied",
    "ReplayResult",
    "allowed_actions",
    "arrangement_record",
    "backup_rollover_date",
    "can_approve_package",
    "check_package_request",
    "correct",
    "correct_and_answer",
    "csv_bytes",
    "document_bytes",
    "erasable_submissions",
    "erase",
    "erase_listed_submissions",
    "erase_minors_without_consent",
    "erase_submissions",
    "erasure_answer_text",
    "expired_submissions",
    "ledger_line",
    "ledger_path",
    "may_erase_listed_submissions",
    "package_answer_text",
    "package_approve",
    "package_build",
    "package_content",
    "package_deliver",
    "package_document",
    "package_mail_text",
    "package_release_masked",
    "package_ttl",
    "package_url",
    "pending_packages",
    "purge_expired",
    "record_of",
    "record_unmasked_view",
    "replay_ledger",
    "restrict_submissions",
    "reveal_reason",
    "self_service_request",
    "set_deceased",
    "status_package_for",
    "transfer",
    "withdraw_consent",
    "withdraw_for_cancelled_sign_up",
    "xlsx_bytes",
]
