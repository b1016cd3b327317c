"""SQLite as it is linked, not as Django 5.2 assumes it: the number of parameters a statement may carry.

Django 5.2 takes every SQLite to allow 999 parameters (the limit before SQLite 3.32), so a bulk insert of 13
columns is cut into statements of 76 rows; the library says its own limit (32,766 since 3.32), which Django 6.0
reads too. A save of the entry page is then one statement on SQLite as on PostgreSQL.
"""

import sqlite3


def use_library_limits(sender, connection, **kwargs) -> None:
    """connection_created: take the parameter limit from the SQLite library the connection runs on."""
    if connection.vendor != "sqlite":
        return
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    connection.features.max_query_params = max(limit, 999)
