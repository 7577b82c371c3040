"""Retention: each site's promise of how long records are kept (`manage.py apply_retention`, daily).

Consent records: superseded events older than `Site.retention_days` leave the ledger behind a
fresh signed checkpoint, as signed compactions (consent/proof/compaction.py); the decision in
force for each (subject, purpose, vendor) always stays, with its proof. Analytics data (the daily
consent statistics and webhook delivery logs) older than `Site.data_retention_days` is deleted.
Every run that removes anything is one entry in the audit trail (docs/retention.md).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from consent.models import DailyAudienceStat, DailyConsentStat, LedgerCheckpoint, Site, WebhookDelivery
from consent.proof.checkpoints import checkpoint_sites
from consent.proof.compaction import compact_batch
from consent.services.audit import record_audit


@dataclass
class RetentionResult:
    site: str
    events_removed: int = 0
    compactions: list = field(default_factory=list)
    checkpoint: int | None = None
    stats_removed: int = 0
    deliveries_removed: int = 0


def compact_site(site, now):
    """Remove the site's superseded consent events older than its retention period."""
    cutoff = now - timedelta(days=site.retention_days)
    [(_, fresh)] = checkpoint_sites([site], now=now)
    checkpoint = fresh or LedgerCheckpoint.objects.filter(site=site).order_by("-upto_event_id", "-id").first()
    if checkpoint is None:
        return None, [], 0
    compactions, removed = [], 0
    while (compaction := compact_batch(site, checkpoint, cutoff, now=now)) is not None:
        compactions.append(compaction.pk)
        removed += compaction.event_count
    return checkpoint, compactions, removed


def purge_analytics(site, now):
    """Delete the site's analytics data older than its data retention period."""
    cutoff = now - timedelta(days=site.data_retention_days)
    with transaction.atomic():
        stats = DailyConsentStat.objects.filter(site=site, day__lt=cutoff.date()).delete()[0]
        stats += DailyAudienceStat.objects.filter(site=site, day__lt=cutoff.date()).delete()[0]
        deliveries = WebhookDelivery.objects.filter(
            webhook__site=site, created_at__lt=cutoff, delivered_at__isnull=False
        ).delete()[0]
    return stats, deliveries


def apply_retention(site, now=None):
    """Apply one site's retention periods; returns a RetentionResult."""
    now = now or timezone.now()
    result = RetentionResult(site.key)
    if site.retention_days:
        checkpoint, result.compactions, result.events_removed = compact_site(site, now)
        result.checkpoint = checkpoint.pk if checkpoint else None
    if site.data_retention_days:
        result.stats_removed, result.deliveries_removed = purge_analytics(site, now)
    if result.events_removed or result.stats_removed or result.deliveries_removed:
        record_audit(
            action="retention.applied",
            site=site,
            actor_label="system",
            now=now,
            data={
                "retention_days": site.retention_days,
                "data_retention_days": site.data_retention_days,
                "events_removed": result.events_removed,
                "compactions": result.compactions,
                "checkpoint": result.checkpoint,
                "stats_removed": result.stats_removed,
                "deliveries_removed": result.deliveries_removed,
            },
        )
    return result


def apply_all(site_keys=None, now=None):
    """Every site with a retention period (or those named)."""
    sites = Site.objects.order_by("id")
    if site_keys:
        sites = sites.filter(key__in=site_keys)
    sites = sites.exclude(retention_days__isnull=True, data_retention_days__isnull=True)
    return [apply_retention(site, now) for site in sites]


def retention_text(days):
    """Days as the largest whole unit a person reads easily (years, months or days)."""
    if days is None:
        return None
    if days % 365 == 0:
        return ("years", days // 365)
    if days % 30 == 0:
        return ("months", days // 30)
    return ("days", days)
