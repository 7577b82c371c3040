"""Background work on the tasks API (django-tasks): run by `manage.py db_worker` in production."""

from django_tasks import task

from consent.models import Notification


@task()
def send_policy_notifications(notification_ids):
    """Deliver a batch of policy-change notices; failures are retried one by one with backoff."""
    from features.notifications import RETRY, deliver, schedule_retry

    outcomes = {}
    for notification_id in notification_ids:
        outcome = deliver(notification_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome == RETRY:
            attempts = Notification.objects.filter(pk=notification_id).values_list("attempts", flat=True).first()
            schedule_retry(notification_id, attempts or 1)
    return outcomes


@task()
def deliver_webhooks(delivery_ids):
    """POST consent changes to the site's webhooks; each failure reschedules itself with backoff."""
    from features.webhooks import deliver

    return {str(pk): deliver(pk) for pk in delivery_ids}


@task()
def roll_up_stats(site_key=None):
    """Add the events recorded since the last run to the dashboard's daily stats (every few minutes)."""
    from consent.models import Site
    from features.rollup import roll_up

    site = Site.objects.get(key=site_key) if site_key else None
    return roll_up(site)
