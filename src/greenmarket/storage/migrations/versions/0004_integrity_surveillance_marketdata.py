"""Transparency-log checkpoints, meta-registry imports, surveillance cases, market-data tables.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 13:09:12.924797
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('log_checkpoints',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=False),
    sa.Column('tree_size', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('root_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.Column('key_id', sa.LargeBinary(length=4), nullable=False),
    sa.Column('signature', sa.LargeBinary(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_checkpoints'))
    )
    op.create_table('marketdata_block_reports',
    sa.Column('contract_id', sa.String(length=64), nullable=False),
    sa.Column('trading_day', sa.Date(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('price_ticks', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('contract_id', 'trading_day', 'report_id', name=op.f('pk_marketdata_block_reports'))
    )
    op.create_table('marketdata_cursor',
    sa.Column('consumer', sa.String(length=32), nullable=False),
    sa.Column('sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('consumer', name=op.f('pk_marketdata_cursor'))
    )
    op.create_table('marketdata_daily',
    sa.Column('contract_id', sa.String(length=64), nullable=False),
    sa.Column('trading_day', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tick', sa.String(length=20), nullable=False),
    sa.Column('open_ticks', sa.BigInteger(), nullable=True),
    sa.Column('high_ticks', sa.BigInteger(), nullable=True),
    sa.Column('low_ticks', sa.BigInteger(), nullable=True),
    sa.Column('close_ticks', sa.BigInteger(), nullable=True),
    sa.Column('volume', sa.BigInteger(), nullable=False),
    sa.Column('notional_ticks', sa.BigInteger(), nullable=False),
    sa.Column('trades', sa.Integer(), nullable=False),
    sa.Column('block_volume', sa.BigInteger(), nullable=False),
    sa.Column('closing_bid_ticks', sa.BigInteger(), nullable=True),
    sa.Column('closing_ask_ticks', sa.BigInteger(), nullable=True),
    sa.Column('spread_tick_us', sa.BigInteger(), nullable=False),
    sa.Column('quoted_us', sa.BigInteger(), nullable=False),
    sa.Column('deliveries', sa.Integer(), nullable=False),
    sa.Column('delivered_quantity', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('contract_id', 'trading_day', name=op.f('pk_marketdata_daily'))
    )
    op.create_table('marketdata_instructions',
    sa.Column('instruction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('contract_id', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('instruction_id', name=op.f('pk_marketdata_instructions'))
    )
    op.create_table('marketdata_projects',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('program', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_marketdata_projects'))
    )
    op.create_table('marketdata_registry_daily',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('program', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('vintage', sa.Integer(), nullable=False),
    sa.Column('issued', sa.BigInteger(), nullable=False),
    sa.Column('retired', sa.BigInteger(), nullable=False),
    sa.Column('cancelled', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'program', 'category', 'vintage', name=op.f('pk_marketdata_registry_daily'))
    )
    op.create_table('marketdata_trades',
    sa.Column('contract_id', sa.String(length=64), nullable=False),
    sa.Column('trade_id', sa.String(length=48), nullable=False),
    sa.Column('sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('time', sa.String(length=40), nullable=False),
    sa.Column('trading_day', sa.Date(), nullable=False),
    sa.Column('price_ticks', sa.BigInteger(), nullable=False),
    sa.Column('price', sa.String(length=40), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('block', sa.Boolean(), nullable=False),
    sa.Column('auction', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('contract_id', 'trade_id', name=op.f('pk_marketdata_trades'))
    )
    with op.batch_alter_table('marketdata_trades', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketdata_trades_sequence'), ['sequence'], unique=False)

    op.create_table('metaregistry_sources',
    sa.Column('source', sa.String(length=1000), nullable=False),
    sa.Column('registry', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_metaregistry_sources'))
    )
    op.create_table('surveillance_alerts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('time', sa.String(length=40), nullable=False),
    sa.Column('contract', sa.String(length=64), nullable=True),
    sa.Column('participants', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('evidence', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint('score >= 0 and score <= 1', name=op.f('ck_surveillance_alerts_score')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveillance_alerts'))
    )
    with op.batch_alter_table('surveillance_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveillance_alerts_rule'), ['rule'], unique=False)

    op.create_table('metaregistry_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=1000), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('registry', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('program', sa.String(length=32), nullable=False),
    sa.Column('project', sa.String(length=64), nullable=False),
    sa.Column('vintage', sa.String(length=16), nullable=False),
    sa.Column('series', sa.String(length=32), nullable=True),
    sa.Column('serial_start', sa.BigInteger(), nullable=True),
    sa.Column('serial_end', sa.BigInteger(), nullable=True),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('row_quantity', sa.BigInteger(), nullable=True),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('transfer_to', sa.String(length=32), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.CheckConstraint("role in ('issuance','active','tokenized','retirement','cancellation')", name=op.f('ck_metaregistry_records_role')),
    sa.CheckConstraint('(serial_start is null and serial_end is null) or (serial_start >= 1 and serial_end >= serial_start)', name=op.f('ck_metaregistry_records_range')),
    sa.ForeignKeyConstraint(['source'], ['metaregistry_sources.source'], name=op.f('fk_metaregistry_records_source_metaregistry_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metaregistry_records'))
    )
    with op.batch_alter_table('metaregistry_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_metaregistry_records_source'), ['source'], unique=False)

    op.create_table('metaregistry_rejections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=1000), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['source'], ['metaregistry_sources.source'], name=op.f('fk_metaregistry_rejections_source_metaregistry_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metaregistry_rejections'))
    )
    with op.batch_alter_table('metaregistry_rejections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_metaregistry_rejections_source'), ['source'], unique=False)

    op.create_table('surveillance_cases',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('alert_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assignee', sa.String(length=128), nullable=True),
    sa.Column('opened_at', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("status in ('open','under_review','escalated','closed')", name=op.f('ck_surveillance_cases_status')),
    sa.ForeignKeyConstraint(['alert_id'], ['surveillance_alerts.id'], name=op.f('fk_surveillance_cases_alert_id_surveillance_alerts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveillance_cases')),
    sa.UniqueConstraint('alert_id', name=op.f('uq_surveillance_cases_alert_id'))
    )
    with op.batch_alter_table('surveillance_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveillance_cases_status'), ['status'], unique=False)

    op.create_table('surveillance_case_audit',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_value', sa.Text(), nullable=True),
    sa.Column('to_value', sa.Text(), nullable=True),
    sa.CheckConstraint("action in ('opened','status','assignee','note')", name=op.f('ck_surveillance_case_audit_action')),
    sa.ForeignKeyConstraint(['case_id'], ['surveillance_cases.id'], name=op.f('fk_surveillance_case_audit_case_id_surveillance_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveillance_case_audit'))
    )
    with op.batch_alter_table('surveillance_case_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveillance_case_audit_case_id'), ['case_id'], unique=False)

    op.create_table('surveillance_case_notes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('author', sa.String(length=128), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['surveillance_cases.id'], name=op.f('fk_surveillance_case_notes_case_id_surveillance_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveillance_case_notes'))
    )
    with op.batch_alter_table('surveillance_case_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveillance_case_notes_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('surveillance_case_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveillance_case_notes_case_id'))

    op.drop_table('surveillance_case_notes')
    with op.batch_alter_table('surveillance_case_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveillance_case_audit_case_id'))

    op.drop_table('surveillance_case_audit')
    with op.batch_alter_table('surveillance_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveillance_cases_status'))

    op.drop_table('surveillance_cases')
    with op.batch_alter_table('metaregistry_rejections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_metaregistry_rejections_source'))

    op.drop_table('metaregistry_rejections')
    with op.batch_alter_table('metaregistry_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_metaregistry_records_source'))

    op.drop_table('metaregistry_records')
    with op.batch_alter_table('surveillance_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveillance_alerts_rule'))

    op.drop_table('surveillance_alerts')
    op.drop_table('metaregistry_sources')
    with op.batch_alter_table('marketdata_trades', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketdata_trades_sequence'))

    op.drop_table('marketdata_trades')
    op.drop_table('marketdata_registry_daily')
    op.drop_table('marketdata_projects')
    op.drop_table('marketdata_instructions')
    op.drop_table('marketdata_daily')
    op.drop_table('marketdata_cursor')
    op.drop_table('marketdata_block_reports')
    op.drop_table('log_checkpoints')
