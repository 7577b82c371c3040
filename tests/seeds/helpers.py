"""Helpers for the per-business promise tests: load a demo site and talk to the running
platform the way the business's back end, its banner and its users do (real HTTP through the
test client, real database)."""

import json
import re
import uuid
from datetime import timedelta

from django.utils import timezone

from consent.models import ConsentEvent, ConsentState
from consent.services.decisions import record_decision
from consent.services.subjects import find_subject
from consent.tokens import make_api_key
from cookies.models import CookieDeclaration
from demo.loader import load_site, spec_for
from features.centre.preferences import make_preference_link
from features.retention import apply_retention
from tests.live import read, wait_for  # noqa: F401  (re-exported to the seed tests)


def load(key):
    """The demo site of one business, loaded from its spec the way `load_demo` does."""
    return load_site(spec_for(key))


class Backend:
    """The business's own back end, calling the server API with its API key."""

    def __init__(self, client, site):
        self.client = client
        self.site = site
        _, self.key = make_api_key(site)
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {self.key}"}

    def post(self, path, body=None, **headers):
        return self.client.post(
            f"/api/v1/{path}", data=json.dumps(body or {}), content_type="application/json", **self.auth, **headers
        )

    def get(self, path, **params):
        return self.client.get(f"/api/v1/{path}", params, **self.auth)

    def decide(self, ref, decisions, **extra):
        return self.post(f"subjects/{ref}/decisions", {"id": str(uuid.uuid4()), "decisions": decisions, **extra})

    def consents(self, ref):
        response = self.get(f"subjects/{ref}/consents")
        assert response.status_code == 200, response.content
        return response.json()

    def allowed(self, purpose, ref):
        """Whether the platform answers "yes, you may" for this purpose and person."""
        response = self.post("consents/check", {"purpose": purpose, "subjects": [ref]})
        assert response.status_code == 200, response.content
        body = response.json()
        assert ref in body["allowed"] + body["denied"]
        return ref in body["allowed"]

    def subject_id(self, ref):
        return find_subject(self.site, ref)


def banner_decision(client, site, visitor, decisions, method="custom", **extra):
    """What the banner posts for a visitor (public endpoint, no key)."""
    body = {"id": str(uuid.uuid4()), "visitor_id": visitor, "decisions": decisions, "method": method, **extra}
    return client.post(f"/api/v1/sites/{site.key}/decisions", data=json.dumps(body), content_type="application/json")


def open_centre(client, site, subject_id):
    """Follow a preference-centre link as the person would; returns the centre page."""
    url, _ = make_preference_link(site, subject_id)
    entry = client.get("/" + url.split("://", 1)[1].split("/", 1)[1])
    assert entry.status_code == 302, entry.content[:300]
    return client.get(entry["Location"])


def path_of(url):
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def link_in(text):
    """The first platform link in an email body."""
    match = re.search(r"https?://\S+", text)
    assert match, text
    return match.group(0)


def methods(subject_id, purpose_key):
    return [
        (e.decision, e.method)
        for e in ConsentEvent.objects.filter(subject_id=subject_id, purpose__key=purpose_key, vendor=None).order_by(
            "seq"
        )
    ]


def banner_states(site):
    rows = ConsentState.objects.filter(subject__site=site, vendor=None).select_related("purpose")
    return read(lambda: {s.purpose.key: (s.state, s.method) for s in rows.all()})


def open_demo(page, live_server, site):
    page.goto(f"{live_server.url}/demo/{site.key}/")
    page.wait_for_function("() => window.consent && window.consent._v")


def optional_cookies(page, site):
    """Cookies in the browser that the site declared for a purpose that needs consent."""
    declared = read(
        lambda: set(
            CookieDeclaration.objects.filter(site=site, purpose__essential=False).values_list("name", flat=True)
        )
    )
    return sorted(c["name"] for c in page.context.cookies() if c["name"] in declared)


def walk_retention(site, *, kept_days, purpose="analytics", ref="retention-walk"):
    """A person's choices over the years around the site's retention period: two superseded
    before it, one superseded within it, one in force. Applies retention; returns the subject id,
    the result and what the ledger still holds for the purpose [(decision, age in days)]."""
    now = timezone.now()
    ages = (kept_days + 400, kept_days + 30, kept_days // 2, 1)
    for age, decision in zip(ages, ("granted", "denied", "granted", "denied"), strict=True):
        record_decision(
            site,
            receipt_id=uuid.uuid4(),
            decisions={purpose: decision},
            ref=ref,
            method="api",
            now=now - timedelta(days=age),
        )
    result = apply_retention(site, now=now)
    subject_id = find_subject(site, ref)
    left = ConsentEvent.objects.filter(subject_id=subject_id, purpose__key=purpose).order_by("seq")
    return subject_id, result, [(e.decision, (now - e.recorded_at).days) for e in left]
