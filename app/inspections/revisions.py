"""An inspection's revision: a number the database itself raises at every change to what the
inspection's checklist shows, whoever writes (the ORM, a tap's own statements, a migration, a
script), so that a rendered checklist can be kept until it changes (kept_checklists.py).

What raises a draft's: its own row; its items; their answers' history and photos; the marks
on those photos and on its check-in; its outside body's documents; its places, contractors,
service lines and inspectors. Triggers do it, written here for both databases: the migration
that brought the column creates them, and so does `db.create_all()` (the tests' schema).
A migration that rebuilds one of these tables on SQLite (batch mode) must drop all of them
first (SQLite refuses to rename a table into place while a trigger names a missing one) and
create them again after. The migration that brought them keeps its own copy of these
statements, as they were, and of the DROPs; tests/inspections/test_revisions.py compares the
triggers the migrations leave with those the models make.
"""

# For each table: how a row ({row}: NEW or OLD) finds its inspection (NULL: it has none).
_ITEM = "(SELECT inspection_id FROM inspection_items WHERE id = {row}.item_id)"
_MARKED_PHOTO = (
    "(SELECT i.inspection_id FROM inspection_photos p JOIN inspection_items i "
    "ON i.id = p.item_id WHERE p.id = {row}.photo_id)"
)
INSPECTION_OF = {
    "inspection_items": "{row}.inspection_id",
    "answer_records": _ITEM,
    "inspection_photos": _ITEM,
    "evidence_marks": (
        "CASE {row}.photo_kind WHEN 'inspection' THEN "
        + _MARKED_PHOTO
        + " WHEN 'check_in' THEN {row}.photo_id END"
    ),
    "external_documents": "{row}.inspection_id",
    "inspection_sites": "{row}.inspection_id",
    "inspection_contractors": "{row}.inspection_id",
    "inspection_service_lines": "{row}.inspection_id",
    "inspection_inspectors": "{row}.inspection_id",
}
# Only a draft's: only a draft's checklist is shown, and reopening one changes its own row. A
# submitted inspection's row is left unwritten (on PostgreSQL each write leaves a dead row).
_RAISE = "UPDATE inspections SET revision = revision + 1 WHERE id IN ({ids}) AND status = 'draft'"


def _sqlite() -> list[str]:
    statements = [
        # an UPDATE of a draft's own row that left the revision alone (one by the triggers
        # below raises it, and is left at that)
        "CREATE TRIGGER IF NOT EXISTS inspections_revision AFTER UPDATE ON inspections "
        "FOR EACH ROW WHEN NEW.revision = OLD.revision AND NEW.status = 'draft' BEGIN "
        "UPDATE inspections SET revision = revision + 1 WHERE id = NEW.id; END"
    ]
    for table, found in INSPECTION_OF.items():
        for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
            ids = ", ".join(found.format(row=row) for row in rows)
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}_revision AFTER {event} "
                f"ON {table} FOR EACH ROW BEGIN {_RAISE.format(ids=ids)}; END"
            )
    return statements


def _postgresql() -> list[str]:
    statements = [
        "CREATE OR REPLACE FUNCTION inspections_revision() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN IF NEW.revision = OLD.revision AND NEW.status = 'draft' THEN "
        "NEW.revision := OLD.revision + 1; END IF; RETURN NEW; END $$",
        "CREATE OR REPLACE TRIGGER inspections_revision BEFORE UPDATE ON inspections "
        "FOR EACH ROW EXECUTE FUNCTION inspections_revision()",
    ]
    for table, found in INSPECTION_OF.items():
        # OLD is NULL in an INSERT's trigger and NEW in a DELETE's: both rows serve all three.
        # Deferred to the commit: a transaction locks the draft's row last, after the rows it
        # writes, so a tap and a note on one item never wait on each other in turn (deadlock),
        # and taps on other items wait only for a commit, not for a card to render.
        ids = f"{found.format(row='OLD')}, {found.format(row='NEW')}"
        statements += [
            f"CREATE OR REPLACE FUNCTION {table}_revision() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN {_RAISE.format(ids=ids)}; RETURN NULL; END $$",
            f"DROP TRIGGER IF EXISTS {table}_revision ON {table}",
            f"CREATE CONSTRAINT TRIGGER {table}_revision AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"EXECUTE FUNCTION {table}_revision()",
        ]
    return statements


def revision_triggers(dialect: str) -> list[str]:
    """The statements that create the triggers on this database ("sqlite" or "postgresql")."""
    return _postgresql() if dialect == "postgresql" else _sqlite()
