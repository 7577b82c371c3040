"""How the console shows people: by the site's own reference, with purpose names and local times.

Staff read a subject as the site knows them ("user-1203", not "Subject ID 1203"), purposes by
their names, and times in the console's time zone (CONSOLE_TIME_ZONE) to the minute, not ISO
strings with microseconds. The ledger itself keeps ids and UTC; this is only the display.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from consent.models import AliasKind, ConsentEvent, Decision, LegalBasis, Method, Purpose
from consent.selectors import subject_consents

STATES = dict(Decision.choices)
METHODS = dict(Method.choices)
BASES = dict(LegalBasis.choices)


def console_zone():
    return ZoneInfo(getattr(settings, "CONSOLE_TIME_ZONE", settings.TIME_ZONE))


def local_time(value, fmt="%d %b %Y, %H:%M %Z"):
    """A UTC datetime (or ISO string) as the console shows it; "" for None."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return timezone.localtime(value, console_zone()).strftime(fmt)


def reference(subject):
    """The site's own reference of a subject: its user id, else its banner visitor id."""
    aliases = {a.kind: a.value for a in subject.aliases.all()}
    if AliasKind.USER in aliases:
        return aliases[AliasKind.USER]
    if AliasKind.VISITOR in aliases:
        return aliases[AliasKind.VISITOR]
    return "erased person" if subject.erased_at else "no reference"


def first_decision(subject):
    """When the site first recorded a decision for this person (the subject row may be newer)."""
    first = ConsentEvent.objects.filter(subject_id=subject.pk).order_by("seq").values_list("recorded_at", flat=True)
    return first.first() or subject.created_at


def subject_page(subject):
    """Current state per purpose and the history, newest first, ready to print."""
    state = subject_consents(subject.site, subject.pk, label=reference(subject))
    purposes = {p.key: p for p in Purpose.objects.filter(site=subject.site)}

    def name(key):
        purpose = purposes.get(key)
        return purpose.text("en", "name") if purpose else key

    current = [
        {
            "key": key,
            "name": name(key),
            "state": STATES.get(p["state"], p["state"] or "no decision"),
            "allowed": p["allowed"],
            "legal_basis": BASES.get(p["legal_basis"], p["legal_basis"]),
            "version": p["version"],
            "updated_at": local_time(p["updated_at"]),
            "needs_reconsent": p["needs_reconsent"],
        }
        for key, p in state["purposes"].items()
    ]
    vendors = dict(subject.site.vendors.values_list("key", "name"))
    history = [
        {
            **h,
            "when": local_time(h["recorded_at"]),
            "purpose_name": name(h["purpose"]),
            "vendor_name": vendors.get(h["vendor"], h["vendor"]) if h["vendor"] else "",
            "state_label": STATES.get(h["state"], h["state"]),
            "method_label": METHODS.get(h["method"], h["method"]),
        }
        for h in reversed(state["history"])
    ]
    return {"state": state, "current": current, "history": history}
