"""Which policy version is in force: the one home of that question.

A published policy version is announced from `published_at` and in force from `effective_at`.
Decisions record the newest version in force (of any kind); the banner announces the newest
published privacy policy even before it takes effect; a material change, once in force, sets the
floor under which consents to the purposes it names must be asked again. Preferences, the banner
configuration, the rules and the API's catalogue all ask here, so they cannot disagree.
"""

from django.utils import timezone

from consent.models import PolicyKind, PolicyVersion


def _published(site):
    return PolicyVersion.objects.filter(site=site, published_at__isnull=False).order_by("-version")


def policies_in_force(site, now=None):
    """The latest effective version of each policy kind, and published ones not yet in force."""
    now = now or timezone.now()
    in_force, upcoming = {}, []
    for policy in _published(site):
        if policy.effective_at <= now:
            in_force.setdefault(policy.kind, policy)
        else:
            upcoming.append(policy)
    return in_force, upcoming


def current_policy_version(site, now=None):
    """The number recorded with a decision: the newest policy version in force (any kind)."""
    now = now or timezone.now()
    return _published(site).filter(effective_at__lte=now).values_list("version", flat=True).first()


def announced_policy(site):
    """The newest published privacy policy (it may not be in effect yet: the banner announces it),
    else the newest published policy of any kind."""
    published = _published(site)
    return published.filter(kind=PolicyKind.PRIVACY).first() or published.first()


def reconsent_floors(site, now=None):
    """For each purpose id: the lowest policy version under which a consent is still valid.

    A material policy change, once effective, re-asks the purposes it names: consents given
    under an earlier version need renewal.
    """
    now = now or timezone.now()
    floors = {}
    rows = _published(site).filter(material=True, effective_at__lte=now).values_list("version", "affected_purposes")
    for version, purpose_id in rows:
        if purpose_id is not None and version > floors.get(purpose_id, 0):
            floors[purpose_id] = version
    return floors
