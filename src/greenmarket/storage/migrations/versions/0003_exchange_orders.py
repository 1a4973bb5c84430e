"""Exchange: each order's reservation (hold or cash) and open quantity; each book's last entry.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 12:32:20.574310
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exchange_books',
    sa.Column('contract_id', sa.String(length=64), nullable=False),
    sa.Column('last_sequence', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('contract_id', name=op.f('pk_exchange_books'))
    )
    op.create_table('exchange_orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('contract_id', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=False),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('limit_price', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('open_quantity', sa.BigInteger(), nullable=False),
    sa.Column('hold_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reservation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('cash_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('holding_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['cash_account_id'], ['cash_accounts.id'], name=op.f('fk_exchange_orders_cash_account_id_cash_accounts')),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_exchange_orders_hold_id_holds')),
    sa.ForeignKeyConstraint(['holding_account_id'], ['accounts.id'], name=op.f('fk_exchange_orders_holding_account_id_accounts')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_exchange_orders_participant_id_participants')),
    sa.ForeignKeyConstraint(['reservation_id'], ['cash_reservations.id'], name=op.f('fk_exchange_orders_reservation_id_cash_reservations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_orders')),
    sa.UniqueConstraint('contract_id', 'order_id', name='uq_exchange_orders_book_id')
    )


def downgrade() -> None:
    op.drop_table('exchange_books')
    op.drop_table('exchange_orders')
