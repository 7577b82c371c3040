"""Console pages beyond the model lists: dashboard, subject look-up, banner editor, second factor.

Each view checks its capability (consent.roles) and raises 403 otherwise; the admin site has
already required a signed-in, verified staff member. Changes and exports are audited.

Over 400 lines for now: the banner editor is being reworked beside it; it moves to its own module
after that.
"""

import segno
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language_info
from django_otp.plugins.otp_totp.models import TOTPDevice

from consent.exceptions import ConsentError
from consent.models import Notification, Regime, RightsRequest, Site, Subject, SubjectAlias
from consent.roles import can
from consent.services.audit import record_audit
from consent.text import has_control_characters
from console import charts, people, preview
from console import dashboard as queries
from console.exports import csv_response
from cookies.models import BannerVersion
from cookies.services import TEXT_KEYS, publish_banner_draft, save_banner_draft, validate_texts


def _require(request, capability):
    if not can(request.user, capability):
        raise PermissionDenied


def _context(request, title, **extra):
    from django.contrib import admin

    return {**admin.site.each_context(request), "title": title, **extra}


# --- dashboard ------------------------------------------------------------------------------------


def _pick_site(request):
    sites = list(Site.objects.order_by("name"))
    key = request.GET.get("site")
    site = next((s for s in sites if s.key == key), None) if key else (sites[0] if sites else None)
    if key and site is None:
        raise Http404("No such site.")
    return sites, site


def _period(request):
    try:
        return queries.parse_period(request.GET.get("start"), request.GET.get("end")), {}
    except ConsentError as err:
        return queries.parse_period(), err.fields


def dashboard(request):
    """Per site and period: consent rates, method split, withdrawals, GPC, audiences, campaigns."""
    _require(request, "dashboard")
    sites, site = _pick_site(request)
    period, period_errors = _period(request)
    context = _context(request, "Dashboard", sites=sites, site=site, period=period, period_errors=period_errors)
    if site is None:
        return TemplateResponse(request, "console/dashboard.html", context)
    data = queries.build(site, period)
    span = f"{period.start:%d %b %Y} to {period.end:%d %b %Y}"
    names = data["purpose_names"]
    rate_summary = (
        ", ".join(f"{names[k]} {v}%" for k, v in data["rate_overall"].items() if v is not None) or "no decisions"
    )
    bucket, bucket_starts, rates = queries.rate_buckets(data)
    activity_bucket, activity_starts, withdrawals, gpc = queries.activity_buckets(data)
    camp = data["campaigns"]
    context.update(
        data=data,
        can_export=can(request.user, "export"),
        query=f"site={site.key}&start={period.start:%Y-%m-%d}&end={period.end:%Y-%m-%d}",
        charts=[
            {
                "name": "consent-rate",
                "heading": f"Consent rate per purpose, per {bucket}",
                "wide": True,
                "svg": charts.small_multiples(
                    "chart-consent-rate",
                    f"{'Daily' if bucket == 'day' else 'Weekly'} consent rate per purpose, {span}",
                    f"Share of decisions that granted each purpose, per {bucket}"
                    + (" (too few decisions per day for daily rates)" if bucket == "week" else "")
                    + f". Over the period: {rate_summary}.",
                    [f"{d:%d %b}" for d in bucket_starts],
                    [
                        (
                            names[k]
                            + (f": {data['rate_overall'][k]}% overall" if data["rate_overall"][k] is not None else ""),
                            rates[k],
                        )
                        for k in data["purposes"]
                    ],
                ),
            },
            {
                "name": "methods",
                "heading": "How people decided",
                "svg": charts.bar_chart(
                    "chart-methods",
                    f"Decisions by method, {span}",
                    "Recorded purpose decisions by how they were made: "
                    + ", ".join(f"{m['label']} {m['share']}%" for m in data["methods"]),
                    [m["label"] for m in data["methods"]],
                    [("decisions", [m["events"] for m in data["methods"]])],
                ),
            },
            {
                "name": "activity",
                "heading": f"Withdrawals and GPC signals per {activity_bucket}",
                "svg": charts.line_chart(
                    "chart-activity",
                    f"Withdrawals and GPC opt-outs per {activity_bucket}, {span}",
                    f"{data['totals']['withdrawals']} withdrawals and {data['totals']['gpc_events']} decisions "
                    f"from a GPC signal ({data['totals']['gpc_share'] or 0}% of all) in the period.",
                    [f"{d:%d %b}" for d in activity_starts],
                    [("withdrawals", withdrawals), ("GPC signals", gpc)],
                    integer=True,
                    empty="No withdrawals and no GPC signals in this period.",
                ),
            },
            {
                "name": "jurisdictions",
                "heading": "Consent rate by jurisdiction",
                "svg": charts.bar_chart(
                    "chart-jurisdictions",
                    f"Consent rate by jurisdiction, {span}",
                    "; ".join(f"{r['key']}: {r['rate']}% of {r['decisions']}" for r in data["jurisdictions"][:12]),
                    [r["key"] for r in data["jurisdictions"]],
                    [("consent rate", [r["rate"] for r in data["jurisdictions"]])],
                    max_value=100,
                    suffix="%",
                ),
            },
            {
                "name": "languages",
                "heading": "Consent rate by language",
                "svg": charts.bar_chart(
                    "chart-languages",
                    f"Consent rate by banner language, {span}",
                    "; ".join(f"{_language(r['key'])}: {r['rate']}% of {r['decisions']}" for r in data["languages"]),
                    [_language(r["key"]) for r in data["languages"]],
                    [("consent rate", [r["rate"] for r in data["languages"]])],
                    max_value=100,
                    suffix="%",
                ),
            },
            {
                "name": "campaigns",
                "heading": "Policy-change notices",
                "svg": charts.bar_chart(
                    "chart-campaigns",
                    "Notices per policy version by status",
                    "; ".join(
                        f"version {c['policy_version']}: {c['queued']} queued, {c['sent']} sent, "
                        f"{c['failed']} failed, {c['acknowledged']} acknowledged"
                        for c in camp
                    )
                    or "No notices sent.",
                    [f"policy v{c['policy_version']}" for c in camp],
                    [(s, [c[s] for c in camp]) for s in ("queued", "sent", "failed", "acknowledged")],
                    empty="No policy-change notices sent.",
                ),
            },
        ],
    )
    return TemplateResponse(request, "console/dashboard.html", context)


def _language(code):
    """A language code as a DPO reads it ("French (fr)"); unknown codes as they are."""
    try:
        return f"{get_language_info(code)['name']} ({code})"
    except KeyError:
        return code


def chart_csv(request, site_key, chart):
    """The numbers behind one chart; an export, so it needs the export right and is audited."""
    _require(request, "dashboard")
    _require(request, "export")
    site = get_object_or_404(Site, key=site_key)
    if chart not in queries.CHARTS:
        raise Http404("No such chart.")
    try:
        period = queries.parse_period(request.GET.get("start"), request.GET.get("end"))
    except ConsentError as err:
        return TemplateResponse(
            request, "console/error.html", _context(request, "Invalid period", error=err), status=400
        )
    header, rows = queries.chart_table(queries.build(site, period), chart)
    record_audit(
        action="dashboard.exported",
        site=site,
        actor=request.user,
        data={"chart": chart, "start": period.start.isoformat(), "end": period.end.isoformat()},
    )
    return csv_response(f"{site.key}-{chart}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv", header, rows)


# --- subjects -------------------------------------------------------------------------------------


def find_subjects(query, site=None, limit=50):
    """Subjects known by this exact site user id, visitor id or email."""
    query = (query or "").strip()
    if not query:
        return []
    ids = SubjectAlias.objects.filter(value=query).values("subject_id")
    subjects = Subject.objects.filter(Q(pk__in=ids) | Q(email__iexact=query))
    if site is not None:
        subjects = subjects.filter(site=site)
    return list(subjects.select_related("site").prefetch_related("aliases").order_by("site__name", "pk")[:limit])


def subject_lookup(request):
    _require(request, "subjects")
    sites = list(Site.objects.order_by("name"))
    query = request.GET.get("q", "")[:200]
    site = next((s for s in sites if s.key == request.GET.get("site")), None)
    error = None
    if has_control_characters(query, allow_whitespace=False):
        # The middleware refuses these first; the form keeps its own guard for direct callers.
        error, query = "The search must not contain control characters.", ""
    results = find_subjects(query, site) if query else None
    if results is not None:
        results = [(s, people.reference(s), people.local_time(people.first_decision(s), "%d %b %Y")) for s in results]
    return TemplateResponse(
        request,
        "console/subjects.html",
        _context(request, "Subject look-up", sites=sites, query=query, site=site, results=results, error=error),
        status=400 if error else 200,
    )


def subject_detail(request, subject_id):
    """A person's current state per purpose and full history; staff access is itself audited."""
    _require(request, "subjects")
    subject = get_object_or_404(Subject.objects.select_related("site").prefetch_related("aliases"), pk=subject_id)
    page = people.subject_page(subject)
    as_csv = request.GET.get("format") == "csv"
    if as_csv:
        _require(request, "export")
    record_audit(
        action="subject.exported" if as_csv else "subject.viewed",
        site=subject.site,
        actor=request.user,
        subject=subject,
        obj=subject,
    )
    if as_csv:
        header = ["recorded_at", "purpose", "vendor", "state", "version", "method", "policy_version", "banner_version"]
        rows = (
            [
                h["recorded_at"],
                h["purpose"],
                h["vendor"] or "",
                h["state"],
                h["version"],
                h["method"],
                h["policy_version"],
                h["banner_version"],
            ]
            for h in page["state"]["history"]
        )
        return csv_response(f"subject-{subject.pk}-history.csv", header, rows)
    reference = people.reference(subject)
    context = _context(
        request,
        f"{reference} at {subject.site.name}",
        subject=subject,
        reference=reference,
        since=people.local_time(people.first_decision(subject), "%d %b %Y"),
        erased_on=people.local_time(subject.erased_at, "%d %b %Y"),
        current=page["current"],
        history=page["history"],
        rights_requests=[
            (r, people.local_time(r.due_at, "%d %b %Y"))
            for r in RightsRequest.objects.filter(subject=subject).order_by("-received_at")
        ],
        notifications=Notification.objects.filter(subject=subject).select_related("policy_version"),
        can_export=can(request.user, "export"),
        time_zone=people.console_zone().key,
    )
    return TemplateResponse(request, "console/subject.html", context)


# --- banner editor --------------------------------------------------------------------------------


def _rows(text):
    """Enough rows for the body box to show the whole text (wrapped at about 80 characters)."""
    lines = sum(1 + len(line) // 80 for line in str(text).splitlines()) if text else 0
    return min(max(lines + 1, 6), 40)


class BannerTextsForm(forms.Form):
    """One text field per language and key; the preview and publishing validate completeness."""

    def __init__(self, languages, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.languages = languages
        shown = self.data if self.is_bound else self.initial  # sizes the body boxes to the texts
        for lang in languages:
            for key in TEXT_KEYS:
                widget = forms.TextInput(attrs={"size": 60})
                if key == "body":
                    widget = forms.Textarea(attrs={"rows": _rows(shown.get(f"{lang}__{key}") or ""), "cols": 80})
                self.fields[f"{lang}__{key}"] = forms.CharField(
                    label=f"{key.replace('_', ' ').capitalize()} ({lang})",
                    required=False,
                    max_length=4000 if key == "body" else 200,
                    widget=widget,
                )

    def texts(self):
        data = self.cleaned_data
        return {
            lang: {key: data.get(f"{lang}__{key}", "").strip() for key in TEXT_KEYS}
            for lang in self.languages
            if any(data.get(f"{lang}__{key}", "").strip() for key in TEXT_KEYS)
        }

    def by_language(self):
        names = {lang: preview.language_name(lang) for lang in self.languages}
        return [(lang, names[lang], [self[f"{lang}__{key}"] for key in TEXT_KEYS]) for lang in self.languages]

    def mark_missing(self, texts):
        """Put "needed" next to each empty field of a language being published."""
        for lang, values in texts.items():
            for key in TEXT_KEYS:
                if not values.get(key) and f"{lang}__{key}" in self.fields:
                    self.add_error(f"{lang}__{key}", "Needed in every language the banner is published in.")


def _initial_texts(site, draft):
    source = draft or BannerVersion.objects.filter(site=site, published_at__isnull=False).order_by("-version").first()
    texts = source.texts if source else {}
    return {f"{lang}__{key}": value for lang, values in texts.items() for key, value in (values or {}).items()}


def banner_sites(request):
    """The banner editor's way in from the navigation: one link per site, with its published version."""
    _require(request, "edit_banner")
    sites = Site.objects.order_by("name")
    published = {}
    for version in BannerVersion.objects.filter(published_at__isnull=False).order_by("site_id", "-version"):
        published.setdefault(version.site_id, version)
    rows = [(site, published.get(site.pk)) for site in sites]
    return TemplateResponse(request, "console/banner_sites.html", _context(request, "Banner editor", rows=rows))


def banner_editor(request, site_key):
    """Edit texts per language, preview the draft with the real runtime (console.preview) in each
    language, regime and width, publish."""
    _require(request, "edit_banner")
    site = get_object_or_404(Site, key=site_key)
    languages = list(site.languages or [site.default_language])
    draft = BannerVersion.objects.filter(site=site, published_at__isnull=True).order_by("-id").first()
    form = BannerTextsForm(languages, request.POST or None, initial=_initial_texts(site, draft))
    errors = {}
    op = request.POST.get("op", "preview") if request.method == "POST" else "preview"
    texts = None
    if request.method == "POST" and form.is_valid():
        texts = form.texts()
        try:
            validate_texts(site, texts)
        except ConsentError as err:
            errors = err.fields
            form.mark_missing(texts)
        if op in ("save", "publish") and not errors:
            if op == "publish" and not can(request.user, "publish_banner"):
                raise PermissionDenied
            draft = save_banner_draft(site, texts, actor=request.user, draft=draft, audit=op == "save")
            if op == "save":
                messages.success(request, "Draft saved.")
                return redirect("admin:console_banner", site.key)
            try:
                published = publish_banner_draft(draft, actor=request.user, now=timezone.now())
            except ConsentError as err:
                errors = err.fields or {"texts": [err.message]}
            else:
                messages.success(request, f"Published banner version {published.version}.")
                return redirect(reverse("admin:cookies_bannerversion_changelist") + f"?site__id__exact={site.pk}")
    elif request.method != "POST":
        texts = {}
        for lang in languages:
            values = {key: form.initial.get(f"{lang}__{key}", "") for key in TEXT_KEYS}
            if any(values.values()):
                texts[lang] = values
    regime, view = preview.choice(request.POST or request.GET, site)
    previews = preview.frames(request, site, texts, languages, regime, view) if texts else []
    context = _context(
        request,
        f"Banner editor: {site.name}",
        site=site,
        form=form,
        draft=draft,
        previews=previews,
        regimes=Regime.choices,
        preview_regime=regime,
        views=preview.VIEWS.items(),
        preview_view=view,
        errors=errors,
        can_publish=can(request.user, "publish_banner"),
        published=BannerVersion.objects.filter(site=site, published_at__isnull=False).order_by("-version")[:5],
    )
    return TemplateResponse(request, "console/banner_editor.html", context)


# --- second factor --------------------------------------------------------------------------------


def two_factor(request):
    """Enroll a TOTP authenticator for oneself: scan the QR code, then confirm with a code."""
    user = request.user
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if request.method == "POST":
        if request.POST.get("op") == "start":
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            name = (request.POST.get("name") or "authenticator").strip()[:64] or "authenticator"
            TOTPDevice.objects.create(user=user, name=name, confirmed=False)
            return redirect("admin:console_two_factor")
        if request.POST.get("op") == "confirm" and pending is not None:
            token = (request.POST.get("token") or "").strip()
            if token.isdigit() and pending.verify_token(token):
                pending.confirmed = True
                pending.save(update_fields=["confirmed"])
                record_audit(action="totp.enrolled", actor=user, data={"device": pending.name})
                messages.success(request, "Authenticator confirmed; it is asked for at every sign-in.")
                return redirect("admin:console_two_factor")
            messages.error(request, "That code is not valid; check the time on your device and try again.")
    qr = (
        segno.make(pending.config_url, error="m").svg_inline(scale=4, title="QR code of the authenticator secret")
        if pending
        else None
    )
    context = _context(
        request,
        "Two-factor sign-in",
        devices=TOTPDevice.objects.filter(user=user, confirmed=True),
        pending=pending,
        qr=qr,
        config_url=pending.config_url if pending else "",
    )
    return TemplateResponse(request, "console/two_factor.html", context)
