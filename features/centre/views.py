"""The preference centre's pages: entry by a signed link or subject token, the person's choices,
objections, withdrawal, rights requests, exports and receipts. Thin views over
features.centre.preferences, features.notifications and features.rights; the pages opened from a
message (unsubscribe, acknowledgement, text-message opt-out, confirmation) are in channel_views.

Just over 400 lines: one thin view per page of the centre, with the helpers they share.
"""

import json
import time

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language_info, trans_real
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from consent import jurisdiction
from consent.client_ip import client_ip
from consent.exceptions import ConsentError
from consent.models import Decision, LegalBasis, Notification, RightsRequest, RightsRequestKind
from consent.policy_in_force import policies_in_force
from consent.proof import receipts as proof_receipts
from consent.selectors import subject_regime
from consent.services.minors import is_minor
from features import ccpa, double_opt_in, notifications, policy_changes, rights
from features.centre import preferences
from features.retention import retention_text

# --- preference centre, unsubscribe and notice acknowledgement ---------------------------------
# Thin views over features.centre.preferences, features.centre.unsubscribe, features.notifications and features.rights.

CENTRE_SESSION_SECONDS = 3600
SUPPORTED_LANGUAGES = [code for code, _name in settings.LANGUAGES]


def page_language(request, site=None):
    """?lang= (remembered for the session), then the browser's Accept-Language, then the site default."""
    asked = request.GET.get("lang")
    if asked in SUPPORTED_LANGUAGES:
        request.session["consent.lang"] = asked
        return asked
    remembered = request.session.get("consent.lang")
    if remembered in SUPPORTED_LANGUAGES:
        return remembered
    for tag, _q in trans_real.parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        code = tag.split("-")[0].lower()
        if code in SUPPORTED_LANGUAGES:
            return code
    default = site.default_language if site is not None else settings.LANGUAGE_CODE
    return default if default in SUPPORTED_LANGUAGES else "en"


def _request_info(request, language, site=None):
    return {
        "language": language,
        "jurisdiction": jurisdiction.resolve(site, request.META, client_ip(request))[0] if site else "",
        "ip": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", ""),
    }


def link_error_page(request, error, language, site=None):
    """A clear page for a link or token that opens nothing; never anybody's data."""
    with translation.override(language):
        titles = {
            "bad": _("This link is not valid"),
            "foreign": _("This link is not for this site"),
            "expired": _("This link has expired"),
            "erased": _("These records have been erased"),
            "unknown": _("This link no longer works"),
            "no_session": _("Open your preferences from a link"),
            "confirmation_expired": _("This confirmation link has expired"),
        }
        texts = {
            "bad": _("The link is incomplete or was changed. Open it again from the original email or page."),
            "foreign": _("The link was made for another site or another person. Ask the site for a new link."),
            "expired": _(
                "For your security, links to your preferences only work for a limited time. "
                "Ask the site for a new link from your account page."
            ),
            "erased": _("Your data was erased at your request. There is nothing left to show."),
            "unknown": _("What this link pointed to no longer exists."),
            "no_session": _(
                "Your preferences are opened with the personal link the site gives you in its "
                "emails or on your account page."
            ),
            "confirmation_expired": _(
                "You were not subscribed: the request was not confirmed in time. Subscribe again "
                "and confirm from the new email."
            ),
        }
        context = {
            "site": site,
            "language": language,
            "title": titles.get(error.reason, titles["bad"]),
            "text": texts.get(error.reason, texts["bad"]),
        }
        return render(request, "consent/link_error.html", context, status=error.status)


def _session_key(site_key):
    return f"consent.prefs.{site_key}"


def _centre_subject(request, site):
    """The subject this browser opened the centre for, within the session's time limit."""
    entry = request.session.get(_session_key(site.key))
    if not isinstance(entry, dict) or entry.get("until", 0) < time.time():
        raise preferences.LinkError(403, "no_session")
    subject_id = preferences._live_subject(site, entry.get("subject"))
    entry["until"] = time.time() + CENTRE_SESSION_SECONDS
    request.session[_session_key(site.key)] = entry
    return subject_id


def _site(site_key):
    site = preferences.site_or_none(site_key)
    if site is None:
        raise preferences.LinkError(404, "unknown")
    return site


@require_GET
def preference_centre(request, site_key):
    """Entry with ?link= or ?token=, then the centre itself (from the session)."""
    site = preferences.site_or_none(site_key)
    language = page_language(request, site)
    try:
        if site is None:
            raise preferences.LinkError(404, "unknown")
        link, token = request.GET.get("link"), request.GET.get("token")
        if link or token:
            if link:
                subject_id = preferences.read_preference_link(site, link)
            else:
                subject_id = preferences.read_entry_token(site, token)
            request.session.cycle_key()
            request.session[_session_key(site.key)] = {
                "subject": subject_id,
                "until": time.time() + CENTRE_SESSION_SECONDS,
            }
            # Drop the token from the address bar, history and Referer.
            return redirect(f"{reverse('consent:preferences', args=[site.key])}?lang={language}")
        subject_id = _centre_subject(request, site)
    except preferences.LinkError as error:
        return link_error_page(request, error, language, site)
    return _render_centre(request, site, subject_id, language)


def _labels():
    """Words for stored codes, in the active language (model choices stay English for staff)."""
    return {
        "state": {
            None: _("No choice yet"),
            "granted": _("Allowed"),
            "denied": _("Not allowed"),
            "withdrawn": _("Withdrawn"),
            "expired": _("Expired"),
        },
        "basis": {
            "consent": _("your consent"),
            "legitimate_interest": _("legitimate interest"),
            "contract": _("needed for the service (contract)"),
            "legal_obligation": _("required by law"),
        },
        "method": {
            "accept_all": _("Banner: accept all"),
            "reject_all": _("Banner: reject all"),
            "custom": _("Banner: own choice"),
            "dismiss": _("Banner closed"),
            "preference_centre": _("Preference centre"),
            "api": _("The site, on your behalf"),
            "email_link": _("Unsubscribe link"),
            "gpc": _("Global Privacy Control signal"),
            "expiry": _("Expired after the consent lifetime"),
            "erasure": _("Erasure"),
            "cross_domain": _("Carried over from another of our sites"),
        },
        "kind": {
            "access": _("Access to my data"),
            "erasure": _("Erase my data"),
            "rectification": _("Correct my data"),
            "restriction": _("Restrict the use of my data"),
            "portability": _("A copy of my data to take elsewhere"),
            "objection": _("Object to the use of my data"),
            "ccpa_know": _("Know what personal information is collected about me"),
            "ccpa_delete": _("Delete my personal information"),
            "ccpa_correct": _("Correct my personal information"),
            "ccpa_opt_out": _("Do not sell or share my personal information"),
            "ccpa_limit": _("Limit the use of my sensitive personal information"),
        },
        "status": {
            "open": _("Received"),
            "extended": _("Extended"),
            "completed": _("Completed"),
            "rejected": _("Refused"),
        },
        "policy": {"privacy": _("Privacy policy"), "cookie": _("Cookie policy")},
    }


def _render_centre(request, site, subject_id, language, *, errors=None, status=200):
    with translation.override(language):
        labels = _labels()
        rows = preferences.purpose_rows(site, subject_id, language)
        pending = double_opt_in.pending_purposes(subject_id)
        channel_names = {"email": _("Email"), "sms": _("Text message (SMS)"), "push": _("Push notification")}
        for row in rows:
            row.channel_label = channel_names.get(row.purpose.channel, "")
            row.pending = row.key in pending
            row.basis_label = labels["basis"].get(row.legal_basis, row.legal_basis)
            row.state_label = (
                _("Needs your confirmation") if row.needs_reconsent and not row.expired else labels["state"][row.state]
            )
            if row.expired:
                row.state_label = labels["state"]["expired"]
        in_force, upcoming = policies_in_force(site)
        for policy in list(in_force.values()) + upcoming:
            policy.kind_label = labels["policy"].get(policy.kind, policy.kind)
        history = preferences.subject_history(subject_id)
        names = {row.key: row.name for row in rows}
        for entry in history:
            entry["purpose_name"] = names.get(entry["purpose"], entry["purpose"])
            entry["when"] = (entry["recorded_at"] or "")[:16].replace("T", " ")
            entry["state_label"] = labels["state"].get(entry["state"], entry["state"])
            entry["method_label"] = labels["method"].get(entry["method"], entry["method"])
        requests = list(RightsRequest.objects.filter(subject_id=subject_id).order_by("-received_at"))
        for item in requests:
            item.kind_label = labels["kind"][item.kind]
            item.status_label = labels["status"][item.status]
        context = {
            "site": site,
            "language": language,
            "other_languages": [
                (code, get_language_info(code)["name_local"]) for code in SUPPORTED_LANGUAGES if code != language
            ],
            "retention": retention_text(site.retention_days),
            "consent_rows": [r for r in rows if r.toggleable and r.legal_basis == LegalBasis.CONSENT],
            # A minor granting a purpose that needs a parent's agreement says who gave it and how.
            "needs_parent": is_minor(site, subject_id)
            and any(r.purpose.requires_parental_consent and not r.allowed for r in rows),
            "interest_rows": [r for r in rows if r.toggleable and r.legal_basis == LegalBasis.LEGITIMATE_INTEREST],
            "fixed_rows": [r for r in rows if not r.toggleable],
            "policies": sorted(in_force.values(), key=lambda p: p.kind),
            "upcoming": upcoming,
            "notices": preferences.open_notices(site, subject_id),
            "renewal_needed": [r for r in rows if r.needs_reconsent],
            "history": list(reversed(history)),
            "requests": requests,
            "request_kinds": [(k, labels["kind"][k]) for k in ccpa.kinds_for(subject_regime(site, subject_id))],
            "errors": errors or {},
            "GRANTED": Decision.GRANTED,
        }
        return render(request, "consent/preferences.html", context, status=status)


def _centre_action(request, site_key, action):
    """Run one POST action for the subject of this session, then redirect back (or show errors)."""
    try:
        site = _site(site_key)
        language = page_language(request, site)
        subject_id = _centre_subject(request, site)
    except preferences.LinkError as error:
        return link_error_page(request, error, page_language(request), None)
    with translation.override(language):
        try:
            message = action(site, subject_id, language)
        except ConsentError as error:
            return _render_centre(
                request, site, subject_id, language, errors=error.fields or {"": [error.message]}, status=error.status
            )
        except preferences.LinkError as error:
            return link_error_page(request, error, language, site)
        if message:
            messages.success(request, message)
    return redirect(reverse("consent:preferences", args=[site.key]) + "#status")


@require_POST
def preference_save(request, site_key):
    def action(site, subject_id, language):
        choices = {
            key.removeprefix("purpose-"): value for key, value in request.POST.items() if key.startswith("purpose-")
        }
        vendor_choices = {}
        for key in request.POST:
            if key.startswith("vendor.") and key.count(".") == 2:  # keys are slugs: no dots
                purpose_key, vendor_key = key.split(".")[1:]
                vendor_choices[(purpose_key, vendor_key)] = request.POST.get(key)  # the last: checkbox over hidden
        choices, pending = double_opt_in.request_from_centre(site, subject_id, choices, language=language)
        given_by = request.POST.get("parental_given_by", "").strip()
        how = request.POST.get("parental_method", "").strip()
        parental = {"given_by": given_by, "method": how} if given_by or how else None
        receipt = preferences.save_choices(
            site,
            subject_id,
            choices,
            parental_consent=parental,
            vendor_choices=vendor_choices,
            **_request_info(request, language, site),
        )
        if pending:
            return _("We sent you an email: your subscription starts when you confirm it from the link.")
        return _("Your choices were saved.") if receipt else _("Nothing changed: your choices were already saved.")

    return _centre_action(request, site_key, action)


@require_POST
def preference_object(request, site_key, purpose_key):
    def action(site, subject_id, language):
        objecting = request.POST.get("objection") != "withdraw"
        receipt = preferences.object_to(
            site, subject_id, purpose_key, objecting=objecting, **_request_info(request, language, site)
        )
        if receipt is None:
            return _("Nothing changed.")
        return _("Your objection was recorded.") if objecting else _("Your objection was withdrawn.")

    return _centre_action(request, site_key, action)


@require_POST
def preference_withdraw_all(request, site_key):
    def action(site, subject_id, language):
        receipt = preferences.withdraw_everything(site, subject_id, **_request_info(request, language, site))
        return _("Everything was withdrawn.") if receipt else _("Nothing to withdraw: nothing was allowed.")

    return _centre_action(request, site_key, action)


@require_POST
def preference_acknowledge(request, site_key, notification_id):
    def action(site, subject_id, language):
        notification = Notification.objects.filter(pk=notification_id, subject_id=subject_id, site=site).first()
        if notification is None:
            raise ConsentError(
                "notice.unknown", _("This notice is not yours."), {"notice": [_("Unknown notice.")]}, 404
            )
        notifications.acknowledge(notification, via="preference_centre")
        return _("Thank you: the notice is marked as read.")

    return _centre_action(request, site_key, action)


@require_POST
def preference_request(request, site_key):
    def action(site, subject_id, language):
        kind = request.POST.get("kind", "")
        if kind not in RightsRequestKind.values:
            raise ConsentError(
                "rights.invalid", _("Choose what you are asking for."), {"kind": [_("Choose what you are asking for.")]}
            )
        opened = rights.open_rights_request(site, subject_id, kind, details=request.POST.get("details", ""))
        return _("Your request was received. We will answer by %(date)s.") % {
            "date": opened.due_at.strftime("%Y-%m-%d")
        }

    return _centre_action(request, site_key, action)


@require_GET
def preference_export(request, site_key, fmt):
    """The person's own records (portability): JSON or CSV, as a download."""
    try:
        site = _site(site_key)
        subject_id = _centre_subject(request, site)
    except preferences.LinkError as error:
        return link_error_page(request, error, page_language(request), None)
    if fmt not in ("json", "csv"):
        return link_error_page(request, preferences.LinkError(404, "unknown"), page_language(request, site), site)
    stamp = timezone.now().strftime("%Y%m%d")
    if fmt == "json":
        body = json.dumps(preferences.export_records(site, subject_id), indent=2, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(preferences.export_csv(subject_id), content_type="text/csv; charset=utf-8")
    preferences.note_export(site, subject_id, fmt)
    response["Content-Disposition"] = f'attachment; filename="consent-records-{site.key}-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


def preference_receipts(request, site_key):
    """The person's signed consent receipts (ISO/IEC TS 27560 records), to keep or check offline."""
    try:
        site = _site(site_key)
        subject_id = _centre_subject(request, site)
    except preferences.LinkError as error:
        return link_error_page(request, error, page_language(request), None)
    data = {
        "keys": request.build_absolute_uri(reverse("ledger-keys")),
        "receipts": proof_receipts.subject_receipts(site, subject_id),
    }
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    preferences.note_export(site, subject_id, "receipts")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="consent-receipts-{site.key}-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def policy_changes_view(request, site_key, version):
    """The differences a published policy version brings, against the version before it."""
    site = preferences.site_or_none(site_key)
    language = page_language(request, site)
    policy = policy_changes.published_version(site, version) if site is not None else None
    if policy is None:
        return link_error_page(request, preferences.LinkError(404, "unknown"), language, site)
    previous = policy_changes.previous_version(policy)
    with translation.override(language):
        context = {
            "site": site,
            "language": language,
            "policy": policy,
            "previous": previous,
            "in_effect": policy.effective_at <= timezone.now(),
            "rows": policy_changes.differences(previous.text if previous else "", policy.text),
        }
        return render(request, "consent/policy_changes.html", context)
