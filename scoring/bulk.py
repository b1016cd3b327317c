"""Many rows in one statement, without a model instance per row.

A score sheet of 200 units x 100 criteria writes 20,000 scores and 20,000 audit entries; through `bulk_create`
each row is a model instance and each of its values goes through the field's preparation, which cost more than
the database's own work. On PostgreSQL the rows go as one array per column (`INSERT … SELECT * FROM UNNEST`,
the form Django 5.2's own `bulk_create` uses), prepared by the driver; elsewhere (SQLite) through `bulk_create`.
"""

from django.db import connection


def insert_rows(model, names: tuple[str, ...], rows: list[tuple], *, conflict=(), update=()) -> None:
    """Insert `rows` (tuples of values in the order of the field `names`; a foreign key by its id) in one
    statement; with `conflict` (field names of a unique constraint), a row that exists has its fields `update`
    set to the new row's instead (`ON CONFLICT … DO UPDATE`)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        attnames = [model._meta.get_field(name).attname for name in names]
        model.objects.bulk_create(
            [model(**dict(zip(attnames, row, strict=True))) for row in rows],
            update_conflicts=bool(conflict),
            unique_fields=list(conflict) or None,
            update_fields=list(update) or None,
        )
        return
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    arrays = [f"%s::{field.db_type(connection).split('(')[0]}[]" for field in fields]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608 - names from the model
        f"SELECT * FROM UNNEST({', '.join(arrays)})"
    )
    if conflict:
        targets = ", ".join(quote(model._meta.get_field(name).column) for name in conflict)
        columns = [quote(model._meta.get_field(name).column) for name in update]
        sql += f" ON CONFLICT ({targets}) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])
