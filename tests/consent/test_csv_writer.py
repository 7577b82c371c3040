"""One CSV writer: formula cells are defused in every export, including the person's own."""

import csv
import io

import pytest
from django.test import Client

from consent.csv_writer import csv_text, safe_cell
from consent.models import Subject
from consent.services.subjects import find_subject
from tests.people import grant, open_centre


@pytest.mark.parametrize(
    "value, written",
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-3", "-3"),
        ("+1.5", "+1.5"),
        ("-1e5", "-1e5"),
        ("-inf", "'-inf"),
        ("plain", "plain"),
        (None, ""),
        (7, "7"),
    ],
)
def test_formula_cells_are_defused_and_numbers_kept(value, written):
    assert safe_cell(value) == written


def test_csv_text_round_trips_through_a_reader():
    text = csv_text(["a", "b"], [["=1+1", 'quote " and, comma'], [None, -4]])
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["'=1+1", 'quote " and, comma'], ["", "-4"]]


def test_the_persons_own_csv_export_defuses_formulas(site):
    grant(site, "user-9", {"analytics": "granted"}, language="=HYPERLINK(1)")
    subject_id = find_subject(site, "user-9")
    Subject.objects.filter(pk=subject_id).update(email="x@example.test")
    client = Client()
    open_centre(client, site, subject_id)
    rows = list(csv.DictReader(io.StringIO(client.get("/preferences/acme/export.csv").content.decode())))
    assert [r["language"] for r in rows] == ["'=HYPERLINK(1)"]
