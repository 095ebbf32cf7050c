import threading

import pytest
from django.db import OperationalError, connection, transaction

from verification import services
from verification.models import SMSChallenge


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_consumers_cannot_both_win(send):
    """Two threads spend one token at the same moment: exactly one wins.

    On PostgreSQL the loser's UPDATE waits for the winner's row lock, re-reads
    ``consumed_at`` and matches nothing (``InvalidToken``). SQLite's in-memory test
    database refuses the second writer with "table is locked" instead of waiting;
    either way the loser's transaction stores nothing. (A non-form purpose keeps the
    test independent of seeded rows, which earlier transactional tests may have flushed.)
    """
    challenge, code = send(purpose="rights_request")
    token = services.challenge_verify(challenge_id=challenge.public_id, code=code, ip="203.0.113.7")
    barrier = threading.Barrier(2)
    outcomes = []

    def consume():
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                services.token_consume(token=token, mobile="13800138000", purpose="rights_request")
            outcomes.append("won")
        except services.InvalidToken:
            outcomes.append("refused")
        except OperationalError as exc:
            outcomes.append("refused" if "locked" in str(exc) else f"error: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=consume) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "won"]
    assert SMSChallenge.objects.get(pk=challenge.pk).consumed_at is not None
