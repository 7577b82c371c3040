"""Expiry of old consents: a consent is not valid for ever (CNIL: about six months).

`consent.rules.judge` already treats an old grant as not allowed; recording an `expired` event
makes that visible in the ledger, in webhooks and in the person's history, and lets the banner
ask again. Idempotent: an expired state is not expired twice.
"""

from collections import defaultdict

from django.db.models import F
from django.utils import timezone

from consent.models import ConsentState, Decision, LegalBasis, Method, Site
from consent.services.audit import record_audit
from consent.services.decisions import record_system_decisions


def expire_site(site, *, now=None):
    """Record `expired` events for this site's grants older than its consent lifetime; return the count."""
    now = now or timezone.now()
    cutoff = now - site.consent_lifetime
    stale = (
        ConsentState.objects.filter(
            purpose__site=site,
            purpose__legal_basis=LegalBasis.CONSENT,
            purpose__essential=False,
            state=Decision.GRANTED,
            updated_at__lte=cutoff,
            subject__erased_at__isnull=True,
        )
        .select_related("purpose", "vendor")
        .order_by("subject_id", F("vendor_id").asc(nulls_first=True))
    )
    by_subject = defaultdict(list)
    for state in stale.iterator(chunk_size=2000):
        by_subject[state.subject_id].append((state.purpose, state.vendor, Decision.EXPIRED))
    count = 0
    for subject_id, items in by_subject.items():
        evidence = {"consent_lifetime_days": site.consent_lifetime_days}
        count += len(record_system_decisions(site, subject_id, items, method=Method.EXPIRY, evidence=evidence, now=now))
    record_audit(
        action="consents.expired",
        site=site,
        actor_label="system",
        data={"events": count, "subjects": len(by_subject), "cutoff": cutoff.isoformat()},
        now=now,
    )
    return count


def expire_all(*, site_keys=None, now=None):
    """Run expiry for every site (or the named ones); returns {site key: events recorded}."""
    sites = Site.objects.order_by("key")
    if site_keys:
        sites = sites.filter(key__in=site_keys)
    return {site.key: expire_site(site, now=now) for site in sites}
