"""The session store: Django's database sessions, read with one plain SQL statement.

Every signed-in request reads its session. Through the ORM that read cost about 0.2 ms, nearly all of
it building the query; the statement itself takes about 0.02 ms (bench/RESULTS.md). Writing, expiry,
cycling keys and clearing stay Django's own.
"""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class _Row:
    __slots__ = ("session_data",)

    def __init__(self, session_data):
        self.session_data = session_data


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        table, quote = model._meta.db_table, connection.ops.quote_name
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {quote('session_data')} FROM {quote(table)} "
                           f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s",
                           [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return _Row(row[0])
