"""Public pages of the channels: the text-message opt-out link and the double opt-in confirmation.

Both are opened from a message, so a GET only shows what a button would do (link scanners
follow links); the change is the POST of that button, a plain form that needs no script.
"""

from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from consent.client_ip import client_ip
from consent.models import Method, SubscriptionStatus
from features import channels, double_opt_in
from features.centre.preferences import LinkError
from features.centre.views import _language, _link_error


@csrf_exempt  # authorised by the signed link, opened from a text message with no session
@require_http_methods(["GET", "POST"])
def sms_opt_out_view(request, token):
    """GET: what the link stops (no change). POST: stop these text messages at once."""
    language = _language(request)
    try:
        site, subject_id, purpose = channels.read_sms_token(token)
    except LinkError as error:
        return _link_error(request, error, language)
    language = _language(request, site)
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
    language = _language(request)
    try:
        pending = double_opt_in.read_confirmation(token)
    except LinkError as error:
        return _link_error(request, error, language)
    site = pending.site
    language = _language(request, site)
    if double_opt_in.is_expired(pending):
        return _link_error(request, LinkError(410, "confirmation_expired"), language, site)
    with translation.override(language):
        if request.method == "POST":
            try:
                double_opt_in.confirm(
                    pending,
                    ip=client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except LinkError as error:
                return _link_error(request, error, language, site)
            pending.refresh_from_db()
        context = {
            "site": site,
            "language": language,
            "purpose_name": pending.purpose.text(language, "name"),
            "done": pending.status == SubscriptionStatus.CONFIRMED,
        }
        return render(request, "consent/subscription_confirm.html", context)
