"""What running a campaign costs on top of the submission pipeline.

1. Sign-ups per second through ``submission_create`` on a roadshow page whose city has seats
   (the seat count under the session lock) versus the same page without sessions, same run,
   same method; both store the registration and the funnel counts. The SMS token check is left
   out of both (it is the same work for either).
2. Page views per second of the campaign page with the funnel's view counter (one upsert)
   versus the same GET with the counter switched off.
3. The waiting-list position of the last one waiting among N, the query the thank-you page,
   the personal page and every notice run.
"""

import statistics
import time

from django.test import Client

from benchmarks.forms_submissions import _site
from forms import operations, services
from forms.choices import RowKind
from forms.models import CampaignFormField, CampaignFormPage, CampaignSession, Purpose, Registration

ROWS = ["name", "company", "email", "mobile", "intended_city"]


def _page(home, slug, *, seats):
    purpose = Purpose.objects.get(code="event")
    page = CampaignFormPage(
        title=slug,
        slug=slug,
        purpose=purpose,
        cities="北京\n上海",
        confirmation="none",
        form_fields=[CampaignFormField(kind=RowKind.PERSONAL, field_key=k, required=True) for k in ROWS],
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    if seats:
        CampaignSession.objects.create(page=page, city="上海", capacity=seats)
    return CampaignFormPage.objects.get(pk=page.pk)


def _data(n):
    return {
        "name": f"访客{n}",
        "company": "示例",
        "email": f"g{n}@example.com",
        "mobile": f"139{n:08d}",
        "intended_city": "上海",
    }


def _sign_ups(page, start, count) -> float:
    began = time.perf_counter()
    for n in range(start, start + count):
        services.submission_create(
            page=page, data=_data(n), consent=True, verification_token=None, ip="10.0.0.1"
        )
    return time.perf_counter() - began


def run(*, quick: bool) -> None:
    home = _site(slug="ops-bench-home")
    seated = _page(home, "with-seats", seats=50)
    plain = _page(home, "no-sessions", seats=0)
    consume = services._consume_token
    services._consume_token = lambda **kwargs: None
    try:
        count = 100 if quick else 600
        rounds = 3
        times = {"seats": [], "plain": []}
        for r in range(rounds):
            times["seats"].append(_sign_ups(seated, 1_000_000 * (r + 1), count))
            times["plain"].append(_sign_ups(plain, 1_000_000 * (r + 1) + 500_000, count))
    finally:
        services._consume_token = consume
    seats, anchor = statistics.median(times["seats"]), statistics.median(times["plain"])
    waiting = Registration.objects.filter(page_id=seated.pk, status="waitlisted").count()
    print(
        f"{count} sign-ups per round, {rounds} rounds, median (SQLite, submission_create, SMS check left out)"
    )
    print(
        f"{'roadshow, 50 seats':34s}{count / seats:10.1f} sign-ups/s   ({waiting} ended on the waiting list)"
    )
    print(f"{'anchor: same page, no sessions':34s}{count / anchor:10.1f} sign-ups/s")
    print(f"{'cost of the seat count':34s}{(seats - anchor) / count * 1000:10.2f} ms per sign-up")

    client = Client()
    views = 200 if quick else 1000
    client.get(seated.url)

    def gets():
        began = time.perf_counter()
        for _i in range(views):
            client.get(seated.url)
        return time.perf_counter() - began

    counted = gets()
    hit = operations.funnel_hit
    operations.funnel_hit = lambda **kwargs: None
    try:
        uncounted = gets()
    finally:
        operations.funnel_hit = hit
    print(f"\n{views} GETs of the campaign page (Django test client)")
    print(f"{'with the view counter':34s}{views / counted:10.1f} views/s")
    print(f"{'anchor: counter off':34s}{views / uncounted:10.1f} views/s")

    last = Registration.objects.filter(page_id=seated.pk, status="waitlisted").order_by("-queued_at").first()
    if last is not None:
        samples = []
        for _i in range(50):
            began = time.perf_counter()
            position = operations.waitlist_position(last)
            samples.append(time.perf_counter() - began)
        print(
            f"\nwaiting-list position of the last of {waiting}: {position} in "
            f"{statistics.median(samples) * 1000:.2f} ms (median of 50; index on session, status, queued_at)"
        )
