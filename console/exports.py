"""CSV downloads for the console. Every export is recorded in the audit trail by the caller."""

from django.http import StreamingHttpResponse

from consent.csv_writer import csv_lines


def csv_response(filename, header, rows):
    """Stream rows as a CSV attachment (rows may be a generator over a large queryset)."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
