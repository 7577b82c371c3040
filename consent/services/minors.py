"""Minors: what is kept of an age, and the parental consent a minor's grant needs."""

from django.utils import timezone

from consent.exceptions import ConsentError
from consent.models import Decision, Subject


def minor_birth_year(site, age, now):
    """What is kept of an age given with a decision: for a minor, the latest birth year it allows
    (so that later decisions without an age still count as a minor's); for an adult, nothing."""
    return now.year - age if age is not None and age < site.age_of_digital_consent else None


def is_minor(site, subject_id, now=None):
    """Whether the subject counts as below the site's age of digital consent (by birth year)."""
    return _is_minor(site, subject_id, None, now or timezone.now())


def _is_minor(site, subject_id, age, now):
    """Below the site's age of digital consent, by the age given or the subject's birth year."""
    if age is not None:
        return age < site.age_of_digital_consent
    birth_year = Subject.objects.filter(pk=subject_id).values_list("birth_year", flat=True).first()
    if birth_year:
        # The youngest the person can be this year: in doubt, treat them as a minor.
        return now.year - birth_year - 1 < site.age_of_digital_consent
    return False


def parental_consent_evidence(site, subject_id, wanted, evidence, *, age=None, parental_consent=None, now=None):
    """Evidence for the events, with who gave parental consent and how when a minor grants a purpose
    marked `requires_parental_consent`; without that evidence the grant is refused (400, field named)."""
    now = now or timezone.now()
    fields = {}
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 150):
        fields["age"] = ["Must be a whole number of years between 0 and 150."]
    if parental_consent is not None and not isinstance(parental_consent, dict):
        fields["parental_consent"] = ['Expected an object {"given_by": "...", "method": "..."}.']
    if fields:
        raise ConsentError("decision.invalid", "The decision could not be recorded.", fields)
    needs = [p.key for p, _, d in wanted if d == Decision.GRANTED and p.requires_parental_consent]
    if not needs or not _is_minor(site, subject_id, age, now):
        return evidence
    given = parental_consent or {}
    for name in ("given_by", "method"):
        value = given.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            fields[f"parental_consent.{name}"] = [
                f"Parental consent is required below age {site.age_of_digital_consent} for: {', '.join(needs)}; "
                f"say {'who gave it' if name == 'given_by' else 'how it was obtained'} (1-200 characters)."
            ]
    if fields:
        raise ConsentError("decision.parental_consent_required", "A parent or guardian must give this consent.", fields)
    record = {"given_by": given["given_by"].strip(), "method": given["method"].strip()}
    return {**(evidence or {}), "parental_consent": record}
