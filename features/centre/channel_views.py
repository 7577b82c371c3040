"""Public pages opened from a message: one-click unsubscribe (RFC 8058), the acknowledgement of
a policy-change notice, the text-message opt-out link and the double opt-in confirmation.

All are opened from a message, so a GET only shows what a button would do (link scanners
follow links); the change is the POST of that button, a plain form that needs no script.
"""

from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from consent import jurisdiction
from consent.client_ip import client_ip
from consent.models import Method, SubscriptionStatus
from features import channels, double_opt_in, notifications
from features.centre import unsubscribe
from features.centre.preferences import LinkError
from features.centre.views import link_error_page, page_language


@csrf_exempt  # authorised by the signed link, opened from a text message with no session
@require_http_methods(["GET", "POST"])
def sms_opt_out_view(request, token):
    """GET: what the link stops (no change). POST: stop these text messages at once."""
    language = page_language(request)
    try:
        site, subject_id, purpose = channels.read_sms_token(token)
    except LinkError as error:
        return link_error_page(request, error, language)
    language = page_language(request, site)
    with translation.override(language):
        context = {"site": site, "language": language, "purpose_name": purpose.text(language, "name")}
        if request.method == "POST":
            channels.opt_out(
                site,
                subject_id,
                [purpose],
                method=Method.SMS_LINK,
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        context["done"] = channels.opted_out(subject_id, purpose)
        return render(request, "consent/sms_opt_out.html", context)


@csrf_exempt  # authorised by the signed link; the button is the person's confirmation
@require_http_methods(["GET", "POST"])
def confirm_subscription_view(request, token):
    """GET: the confirmation button (no change). POST: record the confirmed consent."""
    language = page_language(request)
    try:
        pending = double_opt_in.read_confirmation(token)
    except LinkError as error:
        return link_error_page(request, error, language)
    site = pending.site
    language = page_language(request, site)
    if double_opt_in.is_expired(pending):
        return link_error_page(request, LinkError(410, "confirmation_expired"), language, site)
    with translation.override(language):
        if request.method == "POST":
            try:
                double_opt_in.confirm(
                    pending,
                    ip=client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except LinkError as error:
                return link_error_page(request, error, language, site)
            pending.refresh_from_db()
        context = {
            "site": site,
            "language": language,
            "purpose_name": pending.purpose.text(language, "name"),
            "done": pending.status == SubscriptionStatus.CONFIRMED,
        }
        return render(request, "consent/subscription_confirm.html", context)


@csrf_exempt  # authorised by the signed URL; RFC 8058 senders post without any cookie
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request, token):
    """GET: a confirmation page (no change). POST List-Unsubscribe=One-Click: withdraw at once."""
    language = page_language(request)
    try:
        site, subject_id, purpose = unsubscribe.read_unsubscribe_token(token)
    except LinkError as error:
        return link_error_page(request, error, language)
    language = page_language(request, site)
    with translation.override(language):
        context = {"site": site, "language": language, "purpose_name": purpose.text(language, "name")}
        if request.method == "GET":
            context["done"] = unsubscribe.is_unsubscribed(subject_id, purpose)
            return render(request, "consent/unsubscribe.html", context)
        if request.POST.get("List-Unsubscribe") != "One-Click":
            context["error"] = _("The request did not say List-Unsubscribe=One-Click.")
            return render(request, "consent/unsubscribe.html", context, status=400)
        unsubscribe.unsubscribe(
            site,
            subject_id,
            purpose,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            jurisdiction=jurisdiction.resolve(site, request.META, client_ip(request))[0],
        )
        context["done"] = True
        return render(request, "consent/unsubscribe.html", context)


@require_http_methods(["GET", "POST"])
def acknowledge_view(request, token):
    """The acknowledgement link of a policy-change email: GET shows the notice, POST marks it read."""
    language = page_language(request)
    try:
        notice = notifications.read_ack_token(token)
    except LinkError as error:
        return link_error_page(request, error, language)
    language = page_language(request, notice.site)
    with translation.override(language):
        if request.method == "POST":
            notifications.acknowledge(notice, via="email_link")
            notice.refresh_from_db()
        context = {
            "site": notice.site,
            "language": language,
            "notice": notice,
            "policy": notice.policy_version,
            "done": notice.acknowledged_at is not None,
        }
        return render(request, "consent/acknowledge.html", context)
