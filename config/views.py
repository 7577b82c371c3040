"""Views of the platform as a whole, for browsers and load balancers rather than for any one feature."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET, require_safe

from consent.proof import keys as proof_keys


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


@require_GET
def ledger_keys(request):
    """The public keys that verify checkpoints and receipts, as a JWKS (RFC 7517, RFC 8037)."""
    response = JsonResponse(proof_keys.jwks(), content_type="application/jwk-set+json")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
