"""Views of the platform as a whole, for browsers and load balancers rather than for any one feature."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links; send them to the SVG icon."""
    return redirect(static("favicon.svg"))


def healthz(request):
    """For load balancers and the container healthcheck: the database answers and is fully migrated.

    An unmigrated (or half-migrated) database would answer `SELECT 1` and then fail every real
    request, so pending migrations count as unhealthy too.
    """
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:  # any database failure means unhealthy
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    if pending:
        return JsonResponse({"status": "error", "database": "migrations pending", "pending": len(pending)}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
