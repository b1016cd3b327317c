"""Many rows in one statement, without a model instance per row.

A score sheet of 200 units x 100 criteria writes 20,000 scores and 20,000 audit entries; through `bulk_create`
each row is a model instance and each of its values goes through the field's preparation, which cost more than
the database's own work. On PostgreSQL the rows go as one JSON parameter (`INSERT … SELECT … FROM
jsonb_array_elements`), each value cast to its column's type by the server, and a column that holds the same value
in every row (the period, the time, the author, the reason, the blank texts) as one parameter of its own; elsewhere
(SQLite) through `bulk_create`.

Why JSON: the driver (psycopg2) writes a list parameter into the statement as an `ARRAY[…]` expression of one
literal per value, which the server parses and plans value by value — for 20,000 rows of 14 columns that took
twice the time of the insert itself. A JSON text is one literal, read in one pass.
"""

import json

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
    columns = list(zip(*rows, strict=True))
    values, params, varying = [], [], []
    for field, column in zip(fields, columns, strict=True):
        cast = field.db_type(connection).split("(")[0]  # varchar, numeric: the column's own type checks the size
        first = column[0]
        if column.count(first) == len(column):
            values.append(f"%s::{cast}")
            params.append(first)
        else:
            values.append(f"(r.value->>{len(varying)})::{cast}")
            varying.append(column)
    data = json.dumps([list(row) for row in zip(*varying, strict=True)] if varying else [[]] * len(rows), default=str)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608 - names from the model
        f"SELECT {', '.join(values)} FROM jsonb_array_elements(%s::jsonb) AS r(value)"
    )
    if conflict:
        targets = ", ".join(quote(model._meta.get_field(name).column) for name in conflict)
        updated = [quote(model._meta.get_field(name).column) for name in update]
        sql += f" ON CONFLICT ({targets}) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in updated)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, data])
