"""Database triggers that make posted documents append-only, on SQLite and PostgreSQL alike.

The services never edit or delete a posted money document; these triggers make the database refuse
it too — from the admin, a shell, or a bug. Stored running totals (``outstanding``, ``allocated``)
stay writable because they are not part of the document.
"""

from django.db import migrations


def _trigger_name(table: str, op: str) -> str:
    return f"{table}_no_{op.lower()}"


def _create(connection, table: str, columns: list[str] | None) -> list[str]:
    message = f"{table} is append-only: post a reversal instead"
    if connection.vendor == "postgresql":
        function = f"{table}_append_only"
        sql = [
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql""",
            f"""CREATE TRIGGER {_trigger_name(table, "delete")} BEFORE DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {function}()""",
        ]
        if columns is None:
            sql.append(
                f"""CREATE TRIGGER {_trigger_name(table, "update")} BEFORE UPDATE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {function}()"""
            )
        else:
            changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
            sql.append(
                f"""CREATE TRIGGER {_trigger_name(table, "update")} BEFORE UPDATE ON {table}
                FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {function}()"""
            )
        return sql
    # SQLite
    when = ""
    if columns is not None:
        when = "WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    return [
        f"""CREATE TRIGGER {_trigger_name(table, "delete")} BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, '{message}'); END""",
        f"""CREATE TRIGGER {_trigger_name(table, "update")} BEFORE UPDATE ON {table} {when}
        BEGIN SELECT RAISE(ABORT, '{message}'); END""",
    ]


def _drop(connection, table: str) -> list[str]:
    sql = []
    for op in ("delete", "update"):
        if connection.vendor == "postgresql":
            sql.append(f"DROP TRIGGER IF EXISTS {_trigger_name(table, op)} ON {table}")
        else:
            sql.append(f"DROP TRIGGER IF EXISTS {_trigger_name(table, op)}")
    if connection.vendor == "postgresql":
        sql.append(f"DROP FUNCTION IF EXISTS {table}_append_only()")
    return sql


def append_only(tables: dict[str, list[str] | None]) -> migrations.RunPython:
    """A migration operation: ``{table: None}`` freezes whole rows, ``{table: [cols]}`` freezes
    only those columns; in both cases rows cannot be deleted."""

    def forward(apps, schema_editor):
        for table, columns in tables.items():
            for statement in _create(schema_editor.connection, table, columns):
                schema_editor.execute(statement)

    def backward(apps, schema_editor):
        for table in tables:
            for statement in _drop(schema_editor.connection, table):
                schema_editor.execute(statement)

    return migrations.RunPython(forward, backward)
