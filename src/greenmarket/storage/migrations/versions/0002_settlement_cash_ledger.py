"""Settlement: double-entry cash ledger, cash reservations and DvP instructions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 12:16:11.843240
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cash_movements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reference', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("kind in ('deposit','withdrawal','settlement')", name=op.f('ck_cash_movements_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_movements'))
    )
    op.create_table('cash_accounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('reserved', sa.BigInteger(), nullable=False),
    sa.Column('may_go_negative', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind in ('participant','venue_fees','bank')", name=op.f('ck_cash_accounts_kind')),
    sa.CheckConstraint('may_go_negative or balance >= reserved', name=op.f('ck_cash_accounts_floor')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_cash_accounts_reserved')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_cash_accounts_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_accounts')),
    sa.UniqueConstraint('participant_id', 'currency', 'kind', name='uq_cash_accounts_owner')
    )
    op.create_table('cash_postings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('movement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_cash_postings_amount')),
    sa.ForeignKeyConstraint(['account_id'], ['cash_accounts.id'], name=op.f('fk_cash_postings_account_id_cash_accounts')),
    sa.ForeignKeyConstraint(['movement_id'], ['cash_movements.id'], name=op.f('fk_cash_postings_movement_id_cash_movements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_postings'))
    )
    with op.batch_alter_table('cash_postings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cash_postings_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cash_postings_movement_id'), ['movement_id'], unique=False)

    op.create_table('cash_reservations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('remaining', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=128), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("state in ('active','released','consumed')", name=op.f('ck_cash_reservations_state')),
    sa.CheckConstraint('amount > 0 and remaining >= 0 and remaining <= amount', name=op.f('ck_cash_reservations_amounts')),
    sa.ForeignKeyConstraint(['account_id'], ['cash_accounts.id'], name=op.f('fk_cash_reservations_account_id_cash_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_reservations'))
    )
    with op.batch_alter_table('cash_reservations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cash_reservations_account_id'), ['account_id'], unique=False)

    op.create_table('settlement_instructions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('trade_reference', sa.String(length=128), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('buyer_fee', sa.BigInteger(), nullable=False),
    sa.Column('seller_fee', sa.BigInteger(), nullable=False),
    sa.Column('seller_hold_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('buyer_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('buyer_reservation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seller_cash_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('venue_cash_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('trade_date', sa.Date(), nullable=False),
    sa.Column('settlement_date', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('settled_at', sa.String(length=32), nullable=True),
    sa.CheckConstraint("state in ('pending','settled','failed')", name=op.f('ck_settlement_instructions_state')),
    sa.CheckConstraint('buyer_fee >= 0 and seller_fee >= 0 and seller_fee <= amount', name=op.f('ck_settlement_instructions_fees')),
    sa.CheckConstraint('quantity > 0 and price > 0 and amount = price * quantity', name=op.f('ck_settlement_instructions_amount')),
    sa.CheckConstraint('settlement_date >= trade_date', name=op.f('ck_settlement_instructions_dates')),
    sa.ForeignKeyConstraint(['buyer_account_id'], ['accounts.id'], name=op.f('fk_settlement_instructions_buyer_account_id_accounts')),
    sa.ForeignKeyConstraint(['buyer_reservation_id'], ['cash_reservations.id'], name=op.f('fk_settlement_instructions_buyer_reservation_id_cash_reservations')),
    sa.ForeignKeyConstraint(['seller_cash_account_id'], ['cash_accounts.id'], name=op.f('fk_settlement_instructions_seller_cash_account_id_cash_accounts')),
    sa.ForeignKeyConstraint(['seller_hold_id'], ['holds.id'], name=op.f('fk_settlement_instructions_seller_hold_id_holds')),
    sa.ForeignKeyConstraint(['venue_cash_account_id'], ['cash_accounts.id'], name=op.f('fk_settlement_instructions_venue_cash_account_id_cash_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_instructions')),
    sa.UniqueConstraint('trade_reference', name=op.f('uq_settlement_instructions_trade_reference'))
    )
    with op.batch_alter_table('settlement_instructions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_instructions_settlement_date'), ['settlement_date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('settlement_instructions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_instructions_settlement_date'))

    op.drop_table('settlement_instructions')
    with op.batch_alter_table('cash_reservations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cash_reservations_account_id'))

    op.drop_table('cash_reservations')
    with op.batch_alter_table('cash_postings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cash_postings_movement_id'))
        batch_op.drop_index(batch_op.f('ix_cash_postings_account_id'))

    op.drop_table('cash_postings')
    op.drop_table('cash_accounts')
    op.drop_table('cash_movements')
