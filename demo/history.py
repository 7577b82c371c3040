"""Realistic consent decisions over past days, so that dashboards and exports have data to show.

Every decision goes through `append_events`, the writer the API uses, with its time set in
the past: the ledger, its hash chains, versions and current states are all genuine. The mix is
seeded, so the same arguments give the same history.
"""

import random
import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from consent.models import AliasKind, ConsentEvent, Decision, Method, Purpose, Subject, SubjectAlias, Vendor
from consent.policy_in_force import announced_policy
from consent.services.chain import append_events
from consent.services.decisions import minimise_ip
from cookies.services import current_banner

GRANTED, DENIED = Decision.GRANTED, Decision.DENIED
# Banner outcomes in opt-in regimes, and in opt-out regimes (US-CA) where refusing is rarer.
OPT_IN_METHODS = {Method.ACCEPT_ALL: 52, Method.REJECT_ALL: 30, Method.CUSTOM: 12, Method.DISMISS: 6}
OPT_OUT_METHODS = {Method.ACCEPT_ALL: 68, Method.REJECT_ALL: 14, Method.CUSTOM: 10, Method.DISMISS: 8}
GPC_SHARE = 0.07
# Visitors mostly decide during the working day (UTC hours, weights).
HOURS = [1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 9, 10, 11, 11, 10, 8, 7, 6, 5, 4, 3, 2]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:143.0) Gecko/20100101 Firefox/143.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0 Mobile Safari/537.36",
]
# Documentation address ranges (RFC 5737): realistic shape, nobody's real address.
IP_PREFIXES = ["192.0.2.", "198.51.100.", "203.0.113."]


class _Plan:
    """The catalogue a site's history draws from."""

    def __init__(self, site, spec):
        purposes = {p.key: p for p in Purpose.objects.filter(site=site).prefetch_related("vendors")}
        steer = {p["key"]: p for p in spec["purposes"]}
        self.site = site
        self.banner = [k for k, p in steer.items() if p.get("in_banner") and k in purposes]
        self.rates = {k: p.get("grant_rate", 0.4) for k, p in steer.items()}
        self.gpc = [k for k in self.banner if purposes[k].gpc_sensitive]
        self.vendors = {
            k: [v.key for v in purposes[k].vendors.all()] for k in self.banner if purposes[k].vendors.exists()
        }
        self.has = set(purposes)
        # Purposes granted only from a confirmation email: their grants are generated that way.
        self.double_opt_in = {k for k, p in purposes.items() if p.double_opt_in}
        # Purposes and vendors by key, looked up for every generated decision.
        self.catalogue = (purposes, {v.key: v for v in Vendor.objects.filter(site=site).prefetch_related("purposes")})
        banner, policy = current_banner(site), announced_policy(site)
        self.banner_version = banner.version if banner else None
        self.policy_version = policy.version if policy else None
        audience = spec["audience"]
        self.jurisdictions = list(audience["jurisdictions"])
        self.weights = list(audience["jurisdictions"].values())
        self.french = audience["french_speaking"]
        self.member_share = audience["member_share"]
        self.user_prefix = audience["user_prefix"]
        self.languages = site.languages or [site.default_language]


def _moment(rng, start, days, now):
    """A time in the window, busier in recent weeks (growth) and during the day."""
    offset = int(days * rng.random() ** 0.8)
    day = start + timedelta(days=offset)
    hour = rng.choices(range(24), weights=HOURS)[0]
    moment = day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60), microsecond=0)
    return min(moment, now - timedelta(minutes=rng.randrange(1, 600)))


def _banner_choice(rng, plan, offered, regime):
    """(method, decisions, vendor refusals) of one visitor's answer to the banner."""
    weights = OPT_OUT_METHODS if regime == "opt_out" else OPT_IN_METHODS
    method = rng.choices(list(weights), weights=list(weights.values()))[0]
    if method == Method.ACCEPT_ALL:
        return method, {k: GRANTED for k in offered}, {}
    if method in (Method.REJECT_ALL, Method.DISMISS):
        return method, {k: DENIED for k in offered}, {}
    decisions = {k: GRANTED if rng.random() < plan.rates[k] else DENIED for k in offered}
    if not any(v == GRANTED for v in decisions.values()):
        decisions[offered[0]] = GRANTED
    vendors = {}
    for key, names in plan.vendors.items():
        if decisions.get(key) == GRANTED and rng.random() < 0.25:
            vendors[rng.choice(names)] = {key: DENIED}
    return method, decisions, vendors


def _visitor_actions(rng, plan, start, days, now):
    """One visitor: (jurisdiction, language, is_member, actions), each action being
    (time, method, {purpose: decision}, {vendor: {purpose: decision}}), in time order."""
    t = _moment(rng, start, days, now)
    jurisdiction = rng.choices(plan.jurisdictions, weights=plan.weights)[0]
    regime = plan.site.regime_by_country.get(jurisdiction, plan.site.regime)
    actions = []
    granted = set()
    if rng.random() < GPC_SHARE and plan.gpc:
        actions.append((t, Method.GPC, {k: DENIED for k in plan.gpc}, {}))
        t += timedelta(seconds=rng.randrange(5, 120))
        offered = [k for k in plan.banner if k not in plan.gpc]
        if rng.random() < 0.4:
            offered = []
    else:
        offered = plan.banner
    if offered:
        method, decisions, vendors = _banner_choice(rng, plan, offered, regime)
        actions.append((t, method, decisions, vendors))
        granted = {k for k, v in decisions.items() if v == GRANTED}
    member = rng.random() < plan.member_share

    # Members manage their messages in the preference centre soon after signing up.
    if member:
        t_pc = t + timedelta(minutes=rng.randrange(2, 60 * 24 * 3))
        choices = {}
        if "marketing_email" in plan.has and rng.random() < 0.7:
            choices["marketing_email"] = GRANTED if rng.random() < plan.rates["marketing_email"] else DENIED
        for objectable in ("surveys", "research", "campaign_statistics"):
            if objectable in plan.has and rng.random() < 0.08:
                choices[objectable] = DENIED
        if "ccpa_financial_incentives" in plan.has and jurisdiction.startswith("US") and rng.random() < 0.3:
            choices["ccpa_financial_incentives"] = GRANTED
        confirmed = {k: v for k, v in choices.items() if k in plan.double_opt_in and v == GRANTED}
        choices = {k: v for k, v in choices.items() if k not in confirmed}
        if choices:
            actions.append((t_pc, Method.PREFERENCE_CENTRE, choices, {}))
            granted |= {k for k, v in choices.items() if v == GRANTED}
        if confirmed:
            # Asked in the centre, confirmed from the email some minutes later.
            t_pc = t_pc + timedelta(minutes=rng.randrange(1, 120))
            actions.append((t_pc, Method.DOUBLE_OPT_IN, confirmed, {}))
            granted |= set(confirmed)
            t = t_pc

    # Later: some withdraw a consent (banner reopened, preference centre, unsubscribe link),
    # some who refused come back and accept measurement.
    later = t + timedelta(hours=rng.randrange(1, 24 * 45))
    roll = rng.random()
    if granted and roll < 0.14:
        if "marketing_email" in granted and member and rng.random() < 0.5:
            actions.append((later, Method.EMAIL_LINK, {"marketing_email": DENIED}, {}))
        else:
            key = rng.choice(sorted(granted - {"marketing_email"}) or ["marketing_email"])
            in_banner = key in plan.banner and not (member and rng.random() < 0.6)
            method = Method.CUSTOM if in_banner else Method.PREFERENCE_CENTRE
            actions.append((later, method, {key: DENIED}, {}))
    elif not granted and offered and roll < 0.08:
        actions.append((later, Method.CUSTOM, {offered[0]: GRANTED}, {}))
    actions = [a for a in actions if a[0] < now]

    french = rng.random() < plan.french.get(jurisdiction, 0.03)
    language = "fr" if french and "fr" in plan.languages else ("en" if "en" in plan.languages else plan.languages[0])
    return jurisdiction, language, member, actions


def _evidence(method):
    if method == Method.GPC:
        return {"gpc": True}
    if method == Method.DOUBLE_OPT_IN:
        return {"double_opt_in": {"generated": True}}
    return None


def generate_history(site, spec, *, days, visitors, seed=None, now=None):
    """Record `visitors` visitors' decisions over the past `days` days; skip a site that has history.

    Subjects and their aliases are created in bulk; every decision is then appended through
    `append_events`, the ledger's own writer, so hashes, versions and states are the real thing.
    Returns the number of events written, or None when the site already had events.
    """
    if ConsentEvent.objects.filter(site=site).exists():
        return None
    now = now or timezone.now()
    start = (now - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(f"{site.key}:{days}:{visitors}:{seed}")
    plan = _Plan(site, spec)
    purposes, vendors = plan.catalogue
    people = []
    for n in range(visitors):
        jurisdiction, language, member, actions = _visitor_actions(rng, plan, start, days, now)
        people.append(
            {
                "visitor_id": f"v-{rng.getrandbits(64):016x}",
                "user_id": f"{plan.user_prefix}-{n + 1:06d}" if member else None,
                "jurisdiction": jurisdiction,
                "language": language,
                "actions": actions,
                "ip": minimise_ip(site, f"{rng.choice(IP_PREFIXES)}{rng.randrange(1, 255)}"),
                "agent": rng.choice(USER_AGENTS),
            }
        )
    people = [p for p in people if p["actions"]]
    written = 0
    with transaction.atomic():
        subjects = Subject.objects.bulk_create(
            [Subject(site=site, email=f"{p['user_id']}@example.com" if p["user_id"] else "") for p in people]
        )
        aliases = []
        for person, subject in zip(people, subjects, strict=True):
            person["subject_id"] = subject.pk
            aliases.append(SubjectAlias(site=site, subject=subject, kind=AliasKind.VISITOR, value=person["visitor_id"]))
            if person["user_id"]:
                aliases.append(SubjectAlias(site=site, subject=subject, kind=AliasKind.USER, value=person["user_id"]))
        SubjectAlias.objects.bulk_create(aliases, batch_size=500)
        for person in people:
            for moment, method, decisions, refused in person["actions"]:
                items = [(purposes[key], None, decision) for key, decision in decisions.items()]
                for vendor_key, by_purpose in refused.items():
                    items += [(purposes[key], vendors[vendor_key], d) for key, d in by_purpose.items()]
                # Banner and preference-centre requests carry a client id; an email link does not.
                client_id = None if method == Method.EMAIL_LINK else uuid.UUID(int=rng.getrandbits(128), version=4)
                events = append_events(
                    site,
                    person["subject_id"],
                    items,
                    method=method,
                    recorded_at=moment,
                    receipt_id=client_id,
                    policy_version=plan.policy_version,
                    banner_version=plan.banner_version if method != Method.EMAIL_LINK else None,
                    language=person["language"],
                    jurisdiction=person["jurisdiction"],
                    ip=person["ip"] if method != Method.EMAIL_LINK else "",
                    user_agent=person["agent"],
                    evidence=_evidence(method),
                )
                written += len(events)
    return written
