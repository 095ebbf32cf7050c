"""Background work: building an access package and answering the request with it.

``package_request`` queues the build; callers that queue import this module, and the task
runs ``services.package_deliver`` (services never import this module).
"""

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django_tasks import task

from rights_requests.models import RightsRequest

from .services import FulfilmentError, check_package_request, package_deliver

logger = logging.getLogger(__name__)


@task()
def build_access_package(rights_request_id: int, user_id: int) -> int | None:
    """Build the package for a verified access/copy request and answer it; returns the package id."""
    rr = RightsRequest.objects.filter(pk=rights_request_id).first()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if rr is None or user is None:
        logger.warning("access package for request %s not built: request or user gone", rights_request_id)
        return None
    try:
        package = package_deliver(rights_request=rr, user=user)
    except FulfilmentError as exc:
        logger.warning("access package for %s not built: %s", rr.reference, exc)
        return None
    return package.pk


def package_request(*, rights_request: RightsRequest, user) -> None:
    """Queue the building of the access/copy package; the task answers the request when done."""
    check_package_request(rights_request=rights_request, user=user)
    rr_id, user_id = rights_request.pk, user.pk
    transaction.on_commit(lambda: build_access_package.enqueue(rights_request_id=rr_id, user_id=user_id))
