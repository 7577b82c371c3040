"""The one CSV writer of the platform: console exports, the audit API and the person's own export.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to a
spreadsheet program (CSV injection), so it is written with a leading apostrophe. Plain numbers
such as `-3` or `+1.5` are left alone: they are data, not formulas.
"""

import csv
import io
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def safe_cell(value):
    """The text of one cell, defused if a spreadsheet would run it."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_lines(header, rows):
    """CSV text, one chunk per line (header first), for streaming; rows are sequences of values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line([safe_cell(v) for v in header])
    for row in rows:
        yield line([safe_cell(v) for v in row])


def csv_text(header, rows):
    """The whole CSV document as one string (small exports)."""
    return "".join(csv_lines(header, rows))
