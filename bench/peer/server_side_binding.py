"""The project's settings with psycopg's server-side parameter binding (a bench variant).

Django's default on psycopg 3 is client-side binding: every parameter is quoted into the SQL
text in Python, and no statement can be prepared. With server-side binding the parameters travel
apart and psycopg prepares a statement after it has run a few times (prepare_threshold).
"""

from config.settings import *  # noqa: F403
from config.settings import DATABASES

DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
