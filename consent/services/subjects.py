"""Subjects: the one resolution of a site's reference (user id, visitor id) to a person, new
subjects with their aliases and ids, and linking a visitor to a user who signed in."""

import threading

from django.db import IntegrityError, connection, transaction

from consent.models import AliasKind, Subject, SubjectAlias
from consent.services.sql import insert_rows


class SubjectIds:
    """Subject ids drawn from the table's sequence in blocks, so that a new subject costs no query.

    Ids are unique whatever the order they are used in; ids drawn and never used leave gaps,
    as a rolled-back insert does.
    """

    BLOCK = 64

    def __init__(self):
        self._lock = threading.Lock()
        self._free = []

    def take(self):
        with self._lock:
            if not self._free:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT nextval(pg_get_serial_sequence('consent_subject', 'id')) FROM generate_series(1, %s)",
                        [self.BLOCK],
                    )
                    self._free = [row[0] for row in reversed(cursor.fetchall())]
            return self._free.pop()

    def give_back(self, subject_id):
        """An id taken and not used (nothing was written with it) is used by the next new subject."""
        with self._lock:
            self._free.append(subject_id)

    def forget(self):
        with self._lock:
            self._free = []


subject_ids = SubjectIds()


_FIND_ALIAS_SQL = {}

# How each kind of reference is looked up: the alias kinds searched, the first found winning.
# A server-side ref may name a site user or a banner visitor (user ids win); a visitor id from
# the banner and a user id from a subject token each name only their own kind.
REF_KINDS = (AliasKind.USER, AliasKind.VISITOR)
VISITOR_KINDS = (AliasKind.VISITOR,)
USER_KINDS = (AliasKind.USER,)


def single_reference(visitor_id=None, user_id=None, ref=None):
    """(kinds searched, alias a new subject gets) for a request naming one reference, else None.

    The one rule every path uses to turn a reference into a subject: the general path
    (`resolve_subject`) and the one-statement first decision on PostgreSQL both search the
    same kinds, so the same reference can never name two subjects depending on the path.
    A visitor id with a user id is a link (`resolve_subject` handles it): None.
    """
    if ref is not None:
        return REF_KINDS, (AliasKind.USER, ref)
    if user_id is None:
        return VISITOR_KINDS, (AliasKind.VISITOR, visitor_id)
    if not visitor_id:
        return USER_KINDS, (AliasKind.USER, user_id)
    return None


def find_subject(site, ref, *, kinds=REF_KINDS):
    """The subject a site refers to by its user id or a visitor id (user ids win), or None."""
    kinds = tuple(kinds)
    sql = _FIND_ALIAS_SQL.get(len(kinds))
    if sql is None:  # plain SQL: this runs on every banner decision
        sql = _FIND_ALIAS_SQL[len(kinds)] = (
            "SELECT kind, subject_id FROM consent_subjectalias WHERE site_id = %s AND value = %s AND kind IN ("
            + ", ".join(["%s"] * len(kinds))
            + ")"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [getattr(site, "pk", site), ref, *kinds])
        aliases = dict(cursor.fetchall())
    for kind in kinds:
        if kind in aliases:
            return aliases[kind]
    return None


def create_subject(site, aliases, email="", *, with_flag=False):
    """Create a subject with its aliases; on a race with another request, return the winner.

    With `with_flag`, returns (subject id, created) so a caller knows the subject is new.
    """
    if connection.features.can_return_rows_from_bulk_insert:
        # No savepoint: the aliases skip conflicts, and a lost race undoes its own new rows.
        # On PostgreSQL the id comes from the same block as the first-decision statement's: one
        # way to number new subjects, whichever path writes them.
        taken = subject_ids.take() if connection.vendor == "postgresql" else None
        subject = insert_rows([Subject(id=taken, site=site, email=email or "")])[0]
        rows = [SubjectAlias(site=site, subject=subject, kind=kind, value=value) for kind, value in aliases]
        if insert_rows(rows, skip_conflicts=True):
            return (subject.pk, True) if with_flag else subject.pk
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM consent_subjectalias WHERE subject_id = %s", [subject.pk])
            cursor.execute("DELETE FROM consent_subject WHERE id = %s", [subject.pk])
        if taken is not None:
            subject_ids.give_back(taken)
    else:
        try:
            with transaction.atomic():
                subject = insert_rows([Subject(site=site, email=email or "")])[0]
                insert_rows(
                    [SubjectAlias(site=site, subject=subject, kind=kind, value=value) for kind, value in aliases]
                )
                return (subject.pk, True) if with_flag else subject.pk
        except IntegrityError:
            pass
    for kind, value in aliases:
        found = find_subject(site, value, kinds=(kind,))
        if found:
            return (found, False) if with_flag else found
    raise IntegrityError("The subject's aliases belong to different subjects.")


def _attach_alias(site, subject_id, kind, value):
    """Point an alias at a subject (moving a visitor id to the user who just signed in)."""
    updated = SubjectAlias.objects.filter(site=site, kind=kind, value=value).exclude(subject_id=subject_id)
    if updated.update(subject_id=subject_id):
        return
    if not SubjectAlias.objects.filter(site=site, kind=kind, value=value).exists():
        try:
            with transaction.atomic():
                SubjectAlias.objects.create(site=site, subject_id=subject_id, kind=kind, value=value)
        except IntegrityError:
            SubjectAlias.objects.filter(site=site, kind=kind, value=value).update(subject_id=subject_id)


def resolve_subject(site, *, visitor_id=None, user_id=None, ref=None, create=True, email="", with_flag=False):
    """Find (or create) the subject for a request and link a visitor to a known user.

    `ref` is a server-side reference: a site user id or a visitor id; unknown refs become users.
    With `with_flag`, returns (subject id, created by this call).
    """
    found, created = _resolve_subject(site, visitor_id, user_id, ref, create, email)
    return (found, created) if with_flag else found


def _resolve_subject(site, visitor_id, user_id, ref, create, email):
    single = single_reference(visitor_id, user_id, ref)
    if single is not None:
        kinds, alias = single
        found = find_subject(site, alias[1], kinds=kinds)
        if found or not create:
            return found, False
        return create_subject(site, [alias], email, with_flag=True)
    # A visitor signing in as a user: the user's subject wins and the visitor id moves to it.
    found = find_subject(site, user_id, kinds=USER_KINDS)
    if found is None:
        found = find_subject(site, visitor_id, kinds=VISITOR_KINDS)
        if found:
            _attach_alias(site, found, AliasKind.USER, user_id)
    if found is None:
        if not create:
            return None, False
        aliases = [(AliasKind.USER, user_id), (AliasKind.VISITOR, visitor_id)]
        return create_subject(site, aliases, email, with_flag=True)
    _attach_alias(site, found, AliasKind.VISITOR, visitor_id)
    return found, False
