"""Writing many rows at once, faster than ``bulk_create`` builds its SQL.

On PostgreSQL rows go through COPY (into a temporary table first when existing rows must be
updated); on SQLite through one prepared INSERT run with ``executemany``. Values are prepared by
each field exactly as the ORM would (``get_db_prep_save``), so money is still integer fen.
Only for plain columns: models with JSON fields or database defaults need ``bulk_create``.
"""

import json

from django.db import connection, models


def _prepared(model, objects, fields):
    for obj in objects:
        yield tuple(
            f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in fields
        )


def insert_rows(model, objects: list, *, conflict: str | None = None, update=()) -> None:
    """INSERT ``objects`` (unsaved instances of ``model``; their auto primary key is left to the
    database). With ``conflict`` (a unique column) and ``update`` (field names), a row whose
    ``conflict`` value exists already updates those fields instead."""
    if not objects:
        return
    fields = [f for f in model._meta.concrete_fields if not f.auto_created]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    on_conflict = ""
    if conflict:
        updates = ", ".join(
            f"{quote(model._meta.get_field(name).column)} = EXCLUDED."
            f"{quote(model._meta.get_field(name).column)}"
            for name in update
        )
        on_conflict = f" ON CONFLICT ({quote(conflict)}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            target = table
            if conflict:
                target = quote("bulk_" + model._meta.db_table)
                # Only the columns written, without their constraints: a model with an auto
                # primary key has no value for it here (the INSERT below lets the table give it).
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {target} ON COMMIT DROP AS "
                    f"SELECT {columns} FROM {table} WITH NO DATA"
                )
            with cursor.cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
                for values in _prepared(model, objects, fields):
                    copy.write_row(values)
            if conflict:
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target}{on_conflict}"
                )
                cursor.execute(f"DROP TABLE {target}")
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks}){on_conflict}",
                list(_prepared(model, objects, fields)),
            )


def insert_values(model, field_names: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT plain ``rows`` of Python values (ints, dates, strings, JSON-able dicts — one per
    name in ``field_names``) as new rows of ``model``: for rows known not to exist yet, where
    building a model instance per row would cost more than writing it. PostgreSQL copies them
    straight into the table."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY takes JSON as its text; every other value goes as it is.
            json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in rows:
                    if json_at:
                        values = list(values)
                        for i in json_at:
                            if values[i] is not None:
                                values[i] = json.dumps(values[i], cls=fields[i].encoder)
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                [
                    tuple(
                        f.get_db_prep_save(value, connection=connection)
                        for f, value in zip(fields, values, strict=True)
                    )
                    for values in rows
                ],
            )


def insert_prepared(model, field_names: tuple[str, ...], rows) -> None:
    """INSERT ``rows`` whose values are already what the columns hold — money as integer fen,
    JSON as its text, foreign keys as ids — except dates and moments, which are adapted for the
    database here. The fastest way in for big imports: no model instances, no per-value field
    calls beyond the date columns."""
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    adapt = []
    for index, f in enumerate(fields):
        if isinstance(f, models.DateTimeField):
            adapt.append((index, connection.ops.adapt_datetimefield_value))
        elif isinstance(f, models.DateField):
            adapt.append((index, connection.ops.adapt_datefield_value))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in rows:
                    copy.write_row(values)
            return
        marks = ", ".join(["%s"] * len(fields))
        prepared = []
        for values in rows:
            if adapt:
                values = list(values)
                for index, function in adapt:
                    values[index] = function(values[index])
            prepared.append(values)
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", prepared)
