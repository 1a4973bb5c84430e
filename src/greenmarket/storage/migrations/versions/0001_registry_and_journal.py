"""Registry and journal tables, with the invariants the database itself enforces.

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 12:01:13.469282
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('principal', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('principal', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('journal',
    sa.Column('sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('area', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('previous_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('sequence', name=op.f('pk_journal')),
    sa.UniqueConstraint('hash', name=op.f('uq_journal_hash'))
    )
    op.create_table('journal_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_head'))
    )
    op.create_table('participants',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('kyc_state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("kyc_state in ('pending','verified','rejected','suspended')", name=op.f('ck_participants_kyc')),
    sa.CheckConstraint("type in ('corporate','financial_institution','government','local_government','association')", name=op.f('ck_participants_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participants'))
    )
    op.create_table('programs',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('governmental', sa.Boolean(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('serial_format', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_programs'))
    )
    op.create_table('accounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("kind in ('holding','retirement','venue_custody','bridge')", name=op.f('ck_accounts_kind')),
    sa.CheckConstraint("state in ('pending','open','blocked')", name=op.f('ck_accounts_state')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_accounts_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_participant_id'), ['participant_id'], unique=False)

    op.create_table('projects',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('program', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('methodology', sa.String(length=100), nullable=False),
    sa.Column('verifier', sa.String(length=200), nullable=False),
    sa.Column('verifier_accreditation', sa.String(length=16), nullable=False),
    sa.Column('fi_eligible', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("verifier_accreditation in ('doe','iso14065','none')", name=op.f('ck_projects_accreditation')),
    sa.ForeignKeyConstraint(['program'], ['programs.code'], name=op.f('fk_projects_program_programs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects'))
    )
    op.create_table('serial_counters',
    sa.Column('program', sa.String(length=16), nullable=False),
    sa.Column('next_serial', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['program'], ['programs.code'], name=op.f('fk_serial_counters_program_programs')),
    sa.PrimaryKeyConstraint('program', name=op.f('pk_serial_counters'))
    )
    op.create_table('users',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=True),
    sa.CheckConstraint("role in ('admin','participant','auditor','compliance')", name=op.f('ck_users_role')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_users_participant_id_participants')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_users'))
    )
    op.create_table('cancellations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_cancellations_quantity')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_cancellations_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cancellations'))
    )
    op.create_table('holds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('remaining', sa.BigInteger(), nullable=False),
    sa.Column('specification', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reference', sa.String(length=128), nullable=True),
    sa.Column('managed_by', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("managed_by in ('participant','exchange')", name=op.f('ck_holds_managed_by')),
    sa.CheckConstraint("state in ('active','released','consumed')", name=op.f('ck_holds_state')),
    sa.CheckConstraint('quantity > 0 and remaining >= 0 and remaining <= quantity', name=op.f('ck_holds_quantities')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_holds_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds'))
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holds_account_id'), ['account_id'], unique=False)

    op.create_table('issuances',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('program', sa.String(length=16), nullable=False),
    sa.Column('vintage', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('serial_start', sa.BigInteger(), nullable=False),
    sa.Column('serial_end', sa.BigInteger(), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.CheckConstraint('quantity > 0 and serial_end - serial_start + 1 = quantity', name=op.f('ck_issuances_range')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_issuances_account_id_accounts')),
    sa.ForeignKeyConstraint(['program'], ['programs.code'], name=op.f('fk_issuances_program_programs')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_issuances_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issuances'))
    )
    with op.batch_alter_table('issuances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuances_project_id'), ['project_id'], unique=False)

    op.create_table('retirements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('beneficiary', sa.String(length=300), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('claim', sa.Text(), nullable=False),
    sa.Column('reporting_year', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("purpose in ('voluntary_offset','gx_ets','corsia','ndc','other')", name=op.f('ck_retirements_purpose')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_retirements_quantity')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_retirements_account_id_accounts')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_retirements_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retirements'))
    )
    with op.batch_alter_table('retirements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retirements_participant_id'), ['participant_id'], unique=False)

    op.create_table('serial_blocks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('program', sa.String(length=16), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('vintage', sa.Integer(), nullable=False),
    sa.Column('issuance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('serial_start', sa.BigInteger(), nullable=False),
    sa.Column('serial_end', sa.BigInteger(), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('hold_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('retirement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('cancellation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("(status = 'cancelled') = (cancellation_id is not null)", name=op.f('ck_serial_blocks_cancelled_has_cancellation')),
    sa.CheckConstraint("(status = 'held') = (hold_id is not null)", name=op.f('ck_serial_blocks_held_has_hold')),
    sa.CheckConstraint("(status = 'retired') = (retirement_id is not null)", name=op.f('ck_serial_blocks_retired_has_retirement')),
    sa.CheckConstraint("status in ('active','held','locked','retired','cancelled')", name=op.f('ck_serial_blocks_status')),
    sa.CheckConstraint('serial_start >= 1 and serial_end >= serial_start', name=op.f('ck_serial_blocks_range')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_serial_blocks_account_id_accounts')),
    sa.ForeignKeyConstraint(['cancellation_id'], ['cancellations.id'], name=op.f('fk_serial_blocks_cancellation_id_cancellations')),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_serial_blocks_hold_id_holds')),
    sa.ForeignKeyConstraint(['issuance_id'], ['issuances.id'], name=op.f('fk_serial_blocks_issuance_id_issuances')),
    sa.ForeignKeyConstraint(['program'], ['programs.code'], name=op.f('fk_serial_blocks_program_programs')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_serial_blocks_project_id_projects')),
    sa.ForeignKeyConstraint(['retirement_id'], ['retirements.id'], name=op.f('fk_serial_blocks_retirement_id_retirements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_serial_blocks'))
    )
    with op.batch_alter_table('serial_blocks', schema=None) as batch_op:
        batch_op.create_index('ix_serial_blocks_account_free', ['account_id', 'status', 'project_id', 'vintage', 'serial_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_serial_blocks_hold_id'), ['hold_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_serial_blocks_issuance_id'), ['issuance_id'], unique=False)
        batch_op.create_index('ix_serial_blocks_program_start', ['program', 'serial_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_serial_blocks_retirement_id'), ['retirement_id'], unique=False)

    op.create_table('transfers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('from_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('to_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('hold_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_transfers_quantity')),
    sa.ForeignKeyConstraint(['from_account_id'], ['accounts.id'], name=op.f('fk_transfers_from_account_id_accounts')),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_transfers_hold_id_holds')),
    sa.ForeignKeyConstraint(['to_account_id'], ['accounts.id'], name=op.f('fk_transfers_to_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers'))
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfers_from_account_id'), ['from_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_to_account_id'), ['to_account_id'], unique=False)


    op.execute("INSERT INTO journal_head (id, sequence, hash) VALUES (1, 0, '" + "0" * 64 + "')")
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_INVARIANTS:
            op.execute(statement)
    else:
        for statement in SQLITE_INVARIANTS:
            op.execute(statement)


POSTGRES_INVARIANTS = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """ALTER TABLE serial_blocks ADD CONSTRAINT ex_serial_blocks_no_overlap
       EXCLUDE USING gist (program WITH =, int8range(serial_start, serial_end, '[]') WITH &&)""",
    """CREATE FUNCTION serial_blocks_guard() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'DELETE' THEN
           RAISE EXCEPTION 'serial blocks are never deleted' USING ERRCODE = 'check_violation';
         END IF;
         IF TG_OP = 'UPDATE' AND OLD.status IN ('retired', 'cancelled') THEN
           RAISE EXCEPTION 'retired or cancelled credits never move' USING ERRCODE = 'check_violation';
         END IF;
         IF NOT EXISTS (SELECT 1 FROM issuances i WHERE i.id = NEW.issuance_id
                        AND NEW.serial_start >= i.serial_start AND NEW.serial_end <= i.serial_end) THEN
           RAISE EXCEPTION 'serial block outside its issuance' USING ERRCODE = 'check_violation';
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER serial_blocks_guard BEFORE INSERT OR UPDATE OR DELETE ON serial_blocks
       FOR EACH ROW EXECUTE FUNCTION serial_blocks_guard()""",
    """CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'the journal is append-only' USING ERRCODE = 'check_violation';
       END $$""",
    """CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
       FOR EACH ROW EXECUTE FUNCTION journal_append_only()""",
]

# SQLite has no exclusion constraints: the trigger checks the one block that could overlap, the
# block of the program with the greatest start not after the new end (existing blocks are disjoint).
_OVERLAP = """(SELECT b.serial_end FROM serial_blocks b
               WHERE b.program = NEW.program AND b.serial_start <= NEW.serial_end {not_self}
               ORDER BY b.serial_start DESC LIMIT 1) >= NEW.serial_start"""
_OUTSIDE_ISSUANCE = """NOT EXISTS (SELECT 1 FROM issuances i WHERE i.id = NEW.issuance_id
                       AND NEW.serial_start >= i.serial_start AND NEW.serial_end <= i.serial_end)"""
SQLITE_INVARIANTS = [
    f"""CREATE TRIGGER serial_blocks_no_overlap_insert BEFORE INSERT ON serial_blocks
        WHEN {_OVERLAP.format(not_self="")}
        BEGIN SELECT RAISE(ABORT, 'serial range overlaps an existing block of the program'); END""",
    f"""CREATE TRIGGER serial_blocks_no_overlap_update BEFORE UPDATE ON serial_blocks
        WHEN {_OVERLAP.format(not_self="AND b.id != NEW.id")}
        BEGIN SELECT RAISE(ABORT, 'serial range overlaps an existing block of the program'); END""",
    f"""CREATE TRIGGER serial_blocks_inside_issuance_insert BEFORE INSERT ON serial_blocks
        WHEN {_OUTSIDE_ISSUANCE}
        BEGIN SELECT RAISE(ABORT, 'serial block outside its issuance'); END""",
    f"""CREATE TRIGGER serial_blocks_inside_issuance_update BEFORE UPDATE ON serial_blocks
        WHEN {_OUTSIDE_ISSUANCE}
        BEGIN SELECT RAISE(ABORT, 'serial block outside its issuance'); END""",
    """CREATE TRIGGER serial_blocks_final BEFORE UPDATE ON serial_blocks
        WHEN OLD.status IN ('retired', 'cancelled')
        BEGIN SELECT RAISE(ABORT, 'retired or cancelled credits never move'); END""",
    """CREATE TRIGGER serial_blocks_no_delete BEFORE DELETE ON serial_blocks
        BEGIN SELECT RAISE(ABORT, 'serial blocks are never deleted'); END""",
    """CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
        BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END""",
    """CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
        BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END""",
]

def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS serial_blocks_guard ON serial_blocks")
        op.execute("DROP TRIGGER IF EXISTS journal_append_only ON journal")
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfers_to_account_id'))
        batch_op.drop_index(batch_op.f('ix_transfers_from_account_id'))

    op.drop_table('transfers')
    with op.batch_alter_table('serial_blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_serial_blocks_retirement_id'))
        batch_op.drop_index('ix_serial_blocks_program_start')
        batch_op.drop_index(batch_op.f('ix_serial_blocks_issuance_id'))
        batch_op.drop_index(batch_op.f('ix_serial_blocks_hold_id'))
        batch_op.drop_index('ix_serial_blocks_account_free')

    op.drop_table('serial_blocks')
    with op.batch_alter_table('retirements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retirements_participant_id'))

    op.drop_table('retirements')
    with op.batch_alter_table('issuances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issuances_project_id'))

    op.drop_table('issuances')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holds_account_id'))

    op.drop_table('holds')
    op.drop_table('cancellations')
    op.drop_table('users')
    op.drop_table('serial_counters')
    op.drop_table('projects')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_participant_id'))

    op.drop_table('accounts')
    op.drop_table('programs')
    op.drop_table('participants')
    op.drop_table('journal_head')
    op.drop_table('journal')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS serial_blocks_guard()")
        op.execute("DROP FUNCTION IF EXISTS journal_append_only()")
    op.drop_table('idempotency_keys')
