"""inspection revisions: a number the database raises at every change to what a draft's
checklist shows, so that the rendered checklist can be kept until it changes

Revision ID: 3f7a9c2d5e81
Revises: 8c3b6e1f2a47
Create Date: 2026-12-08 00:00:00

The triggers are app/inspections/revisions.py's as they were when this migration was written,
kept here so that a later change to that module does not change what this migration does.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3f7a9c2d5e81'
down_revision = '8c3b6e1f2a47'
branch_labels = None
depends_on = None

TRIGGERS = {
    'sqlite': [
        "CREATE TRIGGER IF NOT EXISTS inspections_revision AFTER UPDATE ON inspections FOR EACH ROW WHEN NEW.revision = OLD.revision AND NEW.status = 'draft' BEGIN UPDATE inspections SET revision = revision + 1 WHERE id = NEW.id; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_items_insert_revision AFTER INSERT ON inspection_items FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (NEW.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_items_update_revision AFTER UPDATE ON inspection_items FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id, NEW.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_items_delete_revision AFTER DELETE ON inspection_items FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS answer_records_insert_revision AFTER INSERT ON answer_records FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN ((SELECT inspection_id FROM inspection_items WHERE id = NEW.item_id)) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS answer_records_update_revision AFTER UPDATE ON answer_records FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN ((SELECT inspection_id FROM inspection_items WHERE id = OLD.item_id), (SELECT inspection_id FROM inspection_items WHERE id = NEW.item_id)) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS answer_records_delete_revision AFTER DELETE ON answer_records FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN ((SELECT inspection_id FROM inspection_items WHERE id = OLD.item_id)) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_photos_insert_revision AFTER INSERT ON inspection_photos FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN ((SELECT inspection_id FROM inspection_items WHERE id = NEW.item_id)) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_photos_update_revision AFTER UPDATE ON inspection_photos FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN ((SELECT inspection_id FROM inspection_items WHERE id = OLD.item_id), (SELECT inspection_id FROM inspection_items WHERE id = NEW.item_id)) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_photos_delete_revision AFTER DELETE ON inspection_photos FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN ((SELECT inspection_id FROM inspection_items WHERE id = OLD.item_id)) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS evidence_marks_insert_revision AFTER INSERT ON evidence_marks FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (CASE NEW.photo_kind WHEN 'inspection' THEN (SELECT i.inspection_id FROM inspection_photos p JOIN inspection_items i ON i.id = p.item_id WHERE p.id = NEW.photo_id) WHEN 'check_in' THEN NEW.photo_id END) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS evidence_marks_update_revision AFTER UPDATE ON evidence_marks FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (CASE OLD.photo_kind WHEN 'inspection' THEN (SELECT i.inspection_id FROM inspection_photos p JOIN inspection_items i ON i.id = p.item_id WHERE p.id = OLD.photo_id) WHEN 'check_in' THEN OLD.photo_id END, CASE NEW.photo_kind WHEN 'inspection' THEN (SELECT i.inspection_id FROM inspection_photos p JOIN inspection_items i ON i.id = p.item_id WHERE p.id = NEW.photo_id) WHEN 'check_in' THEN NEW.photo_id END) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS evidence_marks_delete_revision AFTER DELETE ON evidence_marks FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (CASE OLD.photo_kind WHEN 'inspection' THEN (SELECT i.inspection_id FROM inspection_photos p JOIN inspection_items i ON i.id = p.item_id WHERE p.id = OLD.photo_id) WHEN 'check_in' THEN OLD.photo_id END) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS external_documents_insert_revision AFTER INSERT ON external_documents FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (NEW.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS external_documents_update_revision AFTER UPDATE ON external_documents FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id, NEW.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS external_documents_delete_revision AFTER DELETE ON external_documents FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_sites_insert_revision AFTER INSERT ON inspection_sites FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (NEW.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_sites_update_revision AFTER UPDATE ON inspection_sites FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id, NEW.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_sites_delete_revision AFTER DELETE ON inspection_sites FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_contractors_insert_revision AFTER INSERT ON inspection_contractors FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (NEW.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_contractors_update_revision AFTER UPDATE ON inspection_contractors FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id, NEW.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_contractors_delete_revision AFTER DELETE ON inspection_contractors FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_service_lines_insert_revision AFTER INSERT ON inspection_service_lines FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (NEW.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_service_lines_update_revision AFTER UPDATE ON inspection_service_lines FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id, NEW.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_service_lines_delete_revision AFTER DELETE ON inspection_service_lines FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_inspectors_insert_revision AFTER INSERT ON inspection_inspectors FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (NEW.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_inspectors_update_revision AFTER UPDATE ON inspection_inspectors FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id, NEW.inspection_id) AND status = 'draft'; END",
        "CREATE TRIGGER IF NOT EXISTS inspection_inspectors_delete_revision AFTER DELETE ON inspection_inspectors FOR EACH ROW BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id) AND status = 'draft'; END",
    ],
    'postgresql': [
        "CREATE OR REPLACE FUNCTION inspections_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.revision = OLD.revision AND NEW.status = 'draft' THEN NEW.revision := OLD.revision + 1; END IF; RETURN NEW; END $$",
        'CREATE OR REPLACE TRIGGER inspections_revision BEFORE UPDATE ON inspections FOR EACH ROW EXECUTE FUNCTION inspections_revision()',
        "CREATE OR REPLACE FUNCTION inspection_items_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id, NEW.inspection_id) AND status = 'draft'; RETURN NULL; END $$",
        'DROP TRIGGER IF EXISTS inspection_items_revision ON inspection_items',
        'CREATE CONSTRAINT TRIGGER inspection_items_revision AFTER INSERT OR UPDATE OR DELETE ON inspection_items DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION inspection_items_revision()',
        "CREATE OR REPLACE FUNCTION answer_records_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN ((SELECT inspection_id FROM inspection_items WHERE id = OLD.item_id), (SELECT inspection_id FROM inspection_items WHERE id = NEW.item_id)) AND status = 'draft'; RETURN NULL; END $$",
        'DROP TRIGGER IF EXISTS answer_records_revision ON answer_records',
        'CREATE CONSTRAINT TRIGGER answer_records_revision AFTER INSERT OR UPDATE OR DELETE ON answer_records DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION answer_records_revision()',
        "CREATE OR REPLACE FUNCTION inspection_photos_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN ((SELECT inspection_id FROM inspection_items WHERE id = OLD.item_id), (SELECT inspection_id FROM inspection_items WHERE id = NEW.item_id)) AND status = 'draft'; RETURN NULL; END $$",
        'DROP TRIGGER IF EXISTS inspection_photos_revision ON inspection_photos',
        'CREATE CONSTRAINT TRIGGER inspection_photos_revision AFTER INSERT OR UPDATE OR DELETE ON inspection_photos DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION inspection_photos_revision()',
        "CREATE OR REPLACE FUNCTION evidence_marks_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (CASE OLD.photo_kind WHEN 'inspection' THEN (SELECT i.inspection_id FROM inspection_photos p JOIN inspection_items i ON i.id = p.item_id WHERE p.id = OLD.photo_id) WHEN 'check_in' THEN OLD.photo_id END, CASE NEW.photo_kind WHEN 'inspection' THEN (SELECT i.inspection_id FROM inspection_photos p JOIN inspection_items i ON i.id = p.item_id WHERE p.id = NEW.photo_id) WHEN 'check_in' THEN NEW.photo_id END) AND status = 'draft'; RETURN NULL; END $$",
        'DROP TRIGGER IF EXISTS evidence_marks_revision ON evidence_marks',
        'CREATE CONSTRAINT TRIGGER evidence_marks_revision AFTER INSERT OR UPDATE OR DELETE ON evidence_marks DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION evidence_marks_revision()',
        "CREATE OR REPLACE FUNCTION external_documents_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id, NEW.inspection_id) AND status = 'draft'; RETURN NULL; END $$",
        'DROP TRIGGER IF EXISTS external_documents_revision ON external_documents',
        'CREATE CONSTRAINT TRIGGER external_documents_revision AFTER INSERT OR UPDATE OR DELETE ON external_documents DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION external_documents_revision()',
        "CREATE OR REPLACE FUNCTION inspection_sites_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id, NEW.inspection_id) AND status = 'draft'; RETURN NULL; END $$",
        'DROP TRIGGER IF EXISTS inspection_sites_revision ON inspection_sites',
        'CREATE CONSTRAINT TRIGGER inspection_sites_revision AFTER INSERT OR UPDATE OR DELETE ON inspection_sites DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION inspection_sites_revision()',
        "CREATE OR REPLACE FUNCTION inspection_contractors_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id, NEW.inspection_id) AND status = 'draft'; RETURN NULL; END $$",
        'DROP TRIGGER IF EXISTS inspection_contractors_revision ON inspection_contractors',
        'CREATE CONSTRAINT TRIGGER inspection_contractors_revision AFTER INSERT OR UPDATE OR DELETE ON inspection_contractors DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION inspection_contractors_revision()',
        "CREATE OR REPLACE FUNCTION inspection_service_lines_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id, NEW.inspection_id) AND status = 'draft'; RETURN NULL; END $$",
        'DROP TRIGGER IF EXISTS inspection_service_lines_revision ON inspection_service_lines',
        'CREATE CONSTRAINT TRIGGER inspection_service_lines_revision AFTER INSERT OR UPDATE OR DELETE ON inspection_service_lines DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION inspection_service_lines_revision()',
        "CREATE OR REPLACE FUNCTION inspection_inspectors_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE inspections SET revision = revision + 1 WHERE id IN (OLD.inspection_id, NEW.inspection_id) AND status = 'draft'; RETURN NULL; END $$",
        'DROP TRIGGER IF EXISTS inspection_inspectors_revision ON inspection_inspectors',
        'CREATE CONSTRAINT TRIGGER inspection_inspectors_revision AFTER INSERT OR UPDATE OR DELETE ON inspection_inspectors DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION inspection_inspectors_revision()',
    ],
}
DROPS = {
    'sqlite': [
        'DROP TRIGGER IF EXISTS inspection_items_insert_revision',
        'DROP TRIGGER IF EXISTS inspection_items_update_revision',
        'DROP TRIGGER IF EXISTS inspection_items_delete_revision',
        'DROP TRIGGER IF EXISTS answer_records_insert_revision',
        'DROP TRIGGER IF EXISTS answer_records_update_revision',
        'DROP TRIGGER IF EXISTS answer_records_delete_revision',
        'DROP TRIGGER IF EXISTS inspection_photos_insert_revision',
        'DROP TRIGGER IF EXISTS inspection_photos_update_revision',
        'DROP TRIGGER IF EXISTS inspection_photos_delete_revision',
        'DROP TRIGGER IF EXISTS evidence_marks_insert_revision',
        'DROP TRIGGER IF EXISTS evidence_marks_update_revision',
        'DROP TRIGGER IF EXISTS evidence_marks_delete_revision',
        'DROP TRIGGER IF EXISTS external_documents_insert_revision',
        'DROP TRIGGER IF EXISTS external_documents_update_revision',
        'DROP TRIGGER IF EXISTS external_documents_delete_revision',
        'DROP TRIGGER IF EXISTS inspection_sites_insert_revision',
        'DROP TRIGGER IF EXISTS inspection_sites_update_revision',
        'DROP TRIGGER IF EXISTS inspection_sites_delete_revision',
        'DROP TRIGGER IF EXISTS inspection_contractors_insert_revision',
        'DROP TRIGGER IF EXISTS inspection_contractors_update_revision',
        'DROP TRIGGER IF EXISTS inspection_contractors_delete_revision',
        'DROP TRIGGER IF EXISTS inspection_service_lines_insert_revision',
        'DROP TRIGGER IF EXISTS inspection_service_lines_update_revision',
        'DROP TRIGGER IF EXISTS inspection_service_lines_delete_revision',
        'DROP TRIGGER IF EXISTS inspection_inspectors_insert_revision',
        'DROP TRIGGER IF EXISTS inspection_inspectors_update_revision',
        'DROP TRIGGER IF EXISTS inspection_inspectors_delete_revision',
        'DROP TRIGGER IF EXISTS inspections_revision',
    ],
    'postgresql': [
        'DROP FUNCTION IF EXISTS inspections_revision() CASCADE',
        'DROP FUNCTION IF EXISTS inspection_items_revision() CASCADE',
        'DROP FUNCTION IF EXISTS answer_records_revision() CASCADE',
        'DROP FUNCTION IF EXISTS inspection_photos_revision() CASCADE',
        'DROP FUNCTION IF EXISTS evidence_marks_revision() CASCADE',
        'DROP FUNCTION IF EXISTS external_documents_revision() CASCADE',
        'DROP FUNCTION IF EXISTS inspection_sites_revision() CASCADE',
        'DROP FUNCTION IF EXISTS inspection_contractors_revision() CASCADE',
        'DROP FUNCTION IF EXISTS inspection_service_lines_revision() CASCADE',
        'DROP FUNCTION IF EXISTS inspection_inspectors_revision() CASCADE',
    ],
}


def upgrade():
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='0', nullable=False))
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROPS[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_column('revision')
