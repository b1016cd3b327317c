"""The database role the portal runs as in production (PostgreSQL): rows only, never the tables.

The tables belong to the role that runs the migrations. The application's role may SELECT, INSERT,
UPDATE and DELETE rows (the lock triggers still judge every write) but owns nothing, so it cannot
disable a trigger (ALTER TABLE needs ownership), cannot TRUNCATE (a privilege it is not given), and cannot
set session_replication_role (superusers only). See docs/deploy.md.
"""

from psycopg2 import sql


def app_role_grant(connection, *, name: str, password: str) -> None:
    """Create the role if it does not exist (else set its password), and grant it rows in every table,
    now and for tables created later by the owner."""
    role = sql.Identifier(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        verb = "ALTER" if cursor.fetchone() else "CREATE"
        cursor.execute(
            sql.SQL(verb + " ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION").format(
                role, sql.Literal(password)
            )
        )
        database = sql.Identifier(connection.settings_dict["NAME"])
        for statement in (
            "GRANT CONNECT ON DATABASE {database} TO {role}",
            "GRANT USAGE ON SCHEMA public TO {role}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        ):
            cursor.execute(sql.SQL(statement).format(database=database, role=role))
