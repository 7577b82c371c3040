"""System checks for IAB TCF: a site using TCF needs the CMP id IAB Europe assigned."""

from django.conf import settings
from django.core.checks import Warning, register
from django.db import DatabaseError

from cookies.models import TcfSettings


@register("compatibility", deploy=True)
def tcf_needs_cmp_id(app_configs=None, **kwargs):
    """Only a registered CMP may write TC strings; id 0 is a placeholder that vendors reject."""
    if settings.TCF_CMP_ID:
        return []
    try:
        using = TcfSettings.objects.filter(enabled=True).exists()
    except DatabaseError:  # before migrations
        return []
    if not using:
        return []
    return [
        Warning(
            "A site has IAB TCF switched on but TCF_CMP_ID is not set.",
            hint="Register the CMP with IAB Europe and set TCF_CMP_ID (and TCF_CMP_VERSION).",
            id="cookies.W001",
        )
    ]
