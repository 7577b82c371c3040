"""Background work on the tasks API (django-tasks), run by `manage.py db_worker` in production.

Each task lives next to what it does; this module names them all in one place (and keeps the
paths of tasks queued before they moved working).
"""

from consent.notifications import send_policy_notifications
from consent.rollup import roll_up_stats
from consent.webhooks import deliver_webhooks

__all__ = ["deliver_webhooks", "roll_up_stats", "send_policy_notifications"]
