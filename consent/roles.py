"""Staff roles as Django groups: what a DPO, an editor and an auditor may see and do.

- DPO: everything in the console.
- Editor: banner texts, purposes, vendors, cookie declarations and the aggregate dashboard;
  no personal data (no subjects, consent events, rights requests, notifications or audit trail).
- Auditor: reads everything, exports CSV, changes nothing.

`setup_roles()` is idempotent; `manage.py setup_roles` calls it (the first-run script too).
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

DPO, EDITOR, AUDITOR = "DPO", "Editor", "Auditor"

# Permissions that are not about one model's rows: (app_label, model, codename, name).
CUSTOM_PERMISSIONS = [
    ("consent", "site", "view_dashboard", "Can view the consent dashboard"),
    ("consent", "site", "export_data", "Can export console data as CSV"),
    ("consent", "policyversion", "publish_policyversion", "Can publish a policy version"),
    ("cookies", "bannerversion", "publish_bannerversion", "Can publish a banner version"),
]

# Models holding personal data or the proof trail; editors never see them.
PERSONAL_MODELS = {
    "consent": {
        "subject",
        "subjectalias",
        "consentevent",
        "consentstate",
        "decisionreceipt",
        "notification",
        "rightsrequest",
        "auditevent",
        "apikey",
        "webhook",
        "webhookdelivery",
    },
    "cookies": set(),
}

EDITOR_GRANTS = {
    ("consent", "site"): ("view",),
    ("consent", "purpose"): ("view", "add", "change", "delete"),
    ("consent", "vendor"): ("view", "add", "change", "delete"),
    ("cookies", "cookiedeclaration"): ("view", "add", "change", "delete"),
    ("cookies", "bannerversion"): ("view", "add", "change"),
    ("cookies", "observedcookie"): ("view",),
}

# What each console page or action needs, by a short name used in views and templates.
CAPABILITIES = {
    "dashboard": "consent.view_dashboard",
    "export": "consent.export_data",
    "subjects": "consent.view_subject",
    "audit": "consent.view_auditevent",
    "publish_policy": "consent.publish_policyversion",
    "publish_banner": "cookies.publish_bannerversion",
    "edit_banner": "cookies.add_bannerversion",
    "rights": "consent.change_rightsrequest",
    "declare_cookie": "cookies.add_cookiedeclaration",
}


def can(user, capability):
    return bool(user and user.is_active and user.has_perm(CAPABILITIES[capability]))


def _custom_permissions():
    found = []
    for app_label, model, codename, name in CUSTOM_PERMISSIONS:
        content_type = ContentType.objects.get_for_model(apps.get_model(app_label, model))
        perm, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        found.append(perm)
    return found


def _model_permissions(app_label, actions=None, exclude_models=()):
    perms = Permission.objects.filter(content_type__app_label=app_label).exclude(content_type__model__in=exclude_models)
    perms = [p for p in perms if p.codename.split("_", 1)[0] in ("view", "add", "change", "delete")]
    if actions is not None:
        perms = [p for p in perms if p.codename.split("_", 1)[0] in actions]
    return perms


@transaction.atomic
def setup_roles():
    """Create (or refresh) the DPO, Editor and Auditor groups with exactly their permissions."""
    for label in ("consent", "cookies"):
        create_permissions(apps.get_app_config(label), verbosity=0)
    custom = {p.codename: p for p in _custom_permissions()}

    dpo = [*_model_permissions("consent"), *_model_permissions("cookies"), *custom.values()]
    dpo += list(Permission.objects.filter(content_type__app_label="otp_totp"))

    editor = [custom["view_dashboard"], custom["publish_bannerversion"]]
    for (app_label, model), actions in EDITOR_GRANTS.items():
        editor += Permission.objects.filter(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{a}_{model}" for a in actions],
        )

    auditor = [
        *_model_permissions("consent", actions=("view",)),
        *_model_permissions("cookies", actions=("view",)),
        custom["view_dashboard"],
        custom["export_data"],
    ]

    groups = {}
    for name, perms in ((DPO, dpo), (EDITOR, editor), (AUDITOR, auditor)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(perms)
        groups[name] = group
    return groups
