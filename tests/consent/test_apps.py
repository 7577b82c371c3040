"""A fresh install has the console's roles: migrate creates them, and running it again changes nothing."""

from django.contrib.auth.models import Group
from django.core.management import call_command

from consent.roles import AUDITOR, DPO, EDITOR, setup_roles


def permissions():
    return {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}


def test_migrate_creates_the_roles(db):
    # The test database was migrated, so the roles are there before anyone ran setup_roles.
    created = permissions()
    assert set(created) == {DPO, EDITOR, AUDITOR}
    assert "view_dashboard" in created[EDITOR] and "view_subject" not in created[EDITOR]

    Group.objects.all().delete()
    call_command("migrate", verbosity=0)
    assert permissions() == created

    call_command("migrate", verbosity=0)  # idempotent: same groups, same permissions
    assert Group.objects.count() == 3 and permissions() == created
    assert {name: set(g.permissions.values_list("codename", flat=True)) for name, g in setup_roles().items()} == created
