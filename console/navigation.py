"""The console's navigation, grouped by what a DPO does rather than by Django app.

Django's admin index lists models per installed app under framework names ("Api keys",
"OTP_TOTP", "Django_Tasks_Database"); a DPO looks for tasks. `group_app_list` regroups the
entries the admin already filtered by permission, renames the framework ones and adds the
console's own pages; `console_links` is the top navigation.
"""

from django.urls import reverse

from consent.roles import can

# (slug, heading, [(app_label, ObjectName) or console page name]); order is the page's order.
GROUPS = [
    (
        "sites-texts",
        "Sites and texts",
        [
            ("consent", "Site"),
            ("consent", "Purpose"),
            ("consent", "Vendor"),
            "banner",
            ("cookies", "BannerVersion"),
            ("cookies", "CookieDeclaration"),
            ("cookies", "ObservedCookie"),
            ("cookies", "TcfSettings"),
        ],
    ),
    ("policies-notices", "Policies and notices", [("consent", "PolicyVersion"), ("consent", "Notification")]),
    ("people-requests", "People and requests", ["subjects", ("consent", "RightsRequest"), ("consent", "Subject")]),
    ("proof-exports", "Proof and exports", ["dashboard", ("consent", "ConsentEvent"), ("consent", "AuditEvent")]),
    (
        "integrations",
        "Integrations",
        [
            ("consent", "ApiKey"),
            ("consent", "Webhook"),
            ("consent", "WebhookDelivery"),
            ("cookies", "GlobalVendorList"),
        ],
    ),
    (
        "staff",
        "Staff",
        [
            ("auth", "User"),
            ("auth", "Group"),
            ("otp_totp", "TOTPDevice"),
            "two_factor",
            ("django_tasks_database", "DBTaskResult"),
        ],
    ),
]

# Framework names a DPO should not have to decode.
NAMES = {
    ("consent", "ApiKey"): "API keys",
    ("auth", "Group"): "Roles (groups)",
    ("auth", "User"): "Staff accounts",
    ("otp_totp", "TOTPDevice"): "Authenticators (all staff)",
    ("django_tasks_database", "DBTaskResult"): "Background tasks",
    ("consent", "RightsRequest"): "Rights requests queue",
    ("consent", "Subject"): "Subjects (all)",
    ("consent", "AuditEvent"): "Audit trail",
    ("cookies", "TcfSettings"): "IAB TCF settings",
    ("cookies", "GlobalVendorList"): "IAB Global Vendor Lists",
}

# Console pages: name -> (capability or None, url name, label).
PAGES = {
    "dashboard": ("dashboard", "admin:console_dashboard", "Dashboard"),
    "subjects": ("subjects", "admin:console_subjects", "Subject look-up"),
    "banner": ("edit_banner", "admin:console_banners", "Banner editor"),
    "two_factor": (None, "admin:console_two_factor", "My two-factor sign-in"),
}


def _page_entry(name, user):
    capability, url_name, label = PAGES[name]
    if capability and not can(user, capability):
        return None
    url = reverse(url_name)
    return {
        "name": label,
        "object_name": f"Console{name.title().replace('_', '')}",
        "admin_url": url,
        "add_url": None,
        "view_only": True,
        "perms": {"view": True},
    }


def group_app_list(app_list, user):
    """The admin's per-app list regrouped into GROUPS; anything unplaced goes into "Other"."""
    models = {(app["app_label"], m["object_name"]): m for app in app_list for m in app["models"]}
    placed, groups = set(), []
    for slug, heading, members in GROUPS:
        entries = []
        for member in members:
            if isinstance(member, str):
                entry = _page_entry(member, user)
            else:
                entry = models.get(member)
                if entry is not None:
                    placed.add(member)
                    entry = dict(entry, name=NAMES.get(member, entry["name"]))
            if entry is not None:
                entries.append(entry)
        if entries:
            groups.append(_group(slug, heading, entries))
    rest = [m for key, m in models.items() if key not in placed]
    if rest:
        groups.append(_group("other", "Other", sorted(rest, key=lambda m: m["name"])))
    return groups


def _group(slug, heading, entries):
    return {"name": heading, "app_label": slug, "app_url": "", "has_module_perms": True, "models": entries}


def console_links(user):
    """Top navigation: the pages this user may open (nothing personal for editors)."""
    links = []
    if can(user, "dashboard"):
        links.append((reverse("admin:console_dashboard"), "Dashboard"))
    if can(user, "edit_banner"):
        links.append((reverse("admin:console_banners"), "Banner editor"))
    if can(user, "subjects"):
        links.append((reverse("admin:console_subjects"), "Subject look-up"))
    if user.has_perm("consent.view_rightsrequest"):
        links.append((reverse("admin:consent_rightsrequest_changelist"), "Rights requests"))
    if user.has_perm("consent.view_policyversion"):
        links.append((reverse("admin:consent_policyversion_changelist"), "Policies"))
    links.append((reverse("admin:console_two_factor"), "Two-factor"))
    return links
