"""Background work: building an access package and answering the request with it."""

import logging

from django.contrib.auth import get_user_model
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def build_access_package(rights_request_id: int, user_id: int) -> int | None:
    """Build the package for a verified access/copy request and answer it; returns the package id."""
    from rights_requests.models import RightsRequest

    from .services import FulfilmentError, package_deliver

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
