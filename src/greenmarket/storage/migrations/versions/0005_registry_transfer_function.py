"""PostgreSQL only: a credit transfer by quantity as one server-side function, with its journal entry.

``registry_transfer`` is the database twin of ``ledger.transfer`` for a plain quantity (no
specification): the same checks in the same order with the same messages, the same row locks in
the same order (the source's active blocks by id, the journal head last), the same rows written in
the same order, and the same journal entry, sealed by ``journal_append`` when the transaction
commits (a deferred trigger on ``journal_pending``: still inside the transaction, and the last lock
it takes). ``journal_append`` hashes
the canonical JSON that ``journal.entry.canonical_json`` produces (sorted keys by code point, no
spaces, UTF-8, whole numbers only); tests/journal proves the bytes equal. A refusal is returned
as ``{"refused": {error, code, field, message, details}}`` before anything is written, and raised
as that domain error by ``registry/in_database.py``.

One call is one round trip, and the journal head is held only for the commit, not across any
round trip to the client. SQLite keeps the Python path.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

FUNCTIONS = (
    # Numbers are written as PostgreSQL prints them, which equals Python only for whole numbers.
    """CREATE FUNCTION journal_whole_number(value jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT AS $$
    BEGIN
        IF value::text !~ '^-?[0-9]+$' THEN
            RAISE EXCEPTION 'journal payloads hold whole numbers only, not %', value;
        END IF;
        RETURN value::text;
    END $$""",
    # Python's json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False): PostgreSQL
    # escapes strings exactly as Python does; keys sort by byte, which in UTF-8 is code point order.
    # One call per object or array; scalars are written in place.
    """CREATE FUNCTION journal_canonical_json(value jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT AS $$
    BEGIN
        CASE jsonb_typeof(value)
        WHEN 'object' THEN
            RETURN '{' || coalesce((
                SELECT string_agg(to_jsonb(key)::text || ':' || CASE jsonb_typeof(item)
                        WHEN 'object' THEN journal_canonical_json(item)
                        WHEN 'array' THEN journal_canonical_json(item)
                        WHEN 'number' THEN journal_whole_number(item)
                        ELSE item::text END, ',' ORDER BY key COLLATE "C")
                FROM jsonb_each(value) AS members(key, item)), '') || '}';
        WHEN 'array' THEN
            RETURN '[' || coalesce((
                SELECT string_agg(CASE jsonb_typeof(item)
                        WHEN 'object' THEN journal_canonical_json(item)
                        WHEN 'array' THEN journal_canonical_json(item)
                        WHEN 'number' THEN journal_whole_number(item)
                        ELSE item::text END, ',' ORDER BY position)
                FROM jsonb_array_elements(value) WITH ORDINALITY AS items(item, position)), '')
                || ']';
        WHEN 'number' THEN
            RETURN journal_whole_number(value);
        ELSE
            RETURN value::text;
        END CASE;
    END $$""",
    # The canonical JSON of JournalEntry.body(), its keys in sorted order, around a payload
    # already in canonical form (so that the payload is serialized before the head is locked).
    """CREATE FUNCTION journal_body_text(
        sequence bigint, "time" text, actor text, area text, type text, payload text,
        previous_hash text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT AS $$
        SELECT '{"actor":' || to_jsonb(actor)::text || ',"area":' || to_jsonb(area)::text
            || ',"payload":' || payload || ',"previous_hash":' || to_jsonb(previous_hash)::text
            || ',"sequence":' || sequence || ',"time":' || to_jsonb("time")::text
            || ',"type":' || to_jsonb(type)::text || '}'
    $$""",
    # journal.store.append, in the database: lock the head, chain, insert, move the head.
    # Appenders first queue on a transaction-level advisory lock: the head row stays the guard,
    # but waiters then queue on one lock instead of the row's tuple lock and its holder's
    # transaction, and hand over with one wake-up instead of two (about a third more appends
    # per second with 16 clients here).
    """CREATE FUNCTION journal_append(
        p_time text, p_actor text, p_area text, p_type text, p_payload jsonb) RETURNS bigint
    LANGUAGE plpgsql AS $$
    DECLARE
        payload_text text := journal_canonical_json(p_payload);
        head record;
        entry_hash text;
    BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('greenmarket.journal_head'));
        SELECT sequence, hash INTO STRICT head FROM journal_head WHERE id = 1 FOR UPDATE;
        entry_hash := encode(sha256(convert_to(journal_body_text(
            head.sequence + 1, p_time, p_actor, p_area, p_type, payload_text, head.hash),
            'UTF8')), 'hex');
        INSERT INTO journal (sequence, "time", actor, area, type, payload, previous_hash, hash)
        VALUES (head.sequence + 1, p_time, p_actor, p_area, p_type, p_payload, head.hash,
                entry_hash);
        UPDATE journal_head SET sequence = head.sequence + 1, hash = entry_hash WHERE id = 1;
        RETURN head.sequence + 1;
    END $$""",
    # An entry to be appended when its transaction commits, by the deferred trigger below: the
    # journal head is then locked during the commit itself, not across a round trip to the
    # client. Rows live only inside their transaction (the trigger deletes them), hence UNLOGGED.
    """CREATE UNLOGGED TABLE journal_pending (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        "time" text NOT NULL, actor text NOT NULL, area text NOT NULL, type text NOT NULL,
        payload jsonb NOT NULL)""",
    """CREATE FUNCTION journal_seal_pending() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM journal_pending WHERE id = NEW.id;  -- first: not while holding the head
        PERFORM journal_append(NEW."time", NEW.actor, NEW.area, NEW.type, NEW.payload);
        RETURN NULL;
    END $$""",
    """CREATE CONSTRAINT TRIGGER journal_pending_sealed AFTER INSERT ON journal_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_seal_pending()""",
    # A refusal is returned, not raised: nothing has been written when a check fails, so the
    # transaction stays usable, as it does when the Python path raises its domain error.
    """CREATE FUNCTION registry_refusal(
        error text, code text, field text, message text, details jsonb DEFAULT '{}')
        RETURNS jsonb
    LANGUAGE sql AS $$
        SELECT jsonb_build_object('refused', jsonb_build_object(
            'error', error, 'code', code, 'field', field, 'message', message, 'details', details))
    $$""",
    # model.ensure_may_move, for one side of a move (``present``: the account exists).
    """CREATE FUNCTION registry_may_move(
        account_id bigint, role text, present boolean, kyc_state text, state text) RETURNS jsonb
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT present THEN
            RETURN registry_refusal('NotFound', 'not_found', role || '_id',
                                    format('account %s does not exist', account_id));
        ELSIF kyc_state <> 'verified' THEN
            RETURN registry_refusal('Forbidden', 'kyc_not_verified', role || '_id', format(
                'the %s holder''s KYC is %s; only verified participants may move credits',
                role, kyc_state));
        ELSIF state <> 'open' THEN
            RETURN registry_refusal('Conflict', 'account_not_open', role || '_id', format(
                'the %s is %s; credits move only between open accounts', role, state));
        END IF;
        RETURN NULL;
    END $$""",
    # ledger._ensure_kind for a move's two ends (holding or venue custody).
    """CREATE FUNCTION registry_movable_kind(account_id bigint, kind text, field text)
        RETURNS jsonb
    LANGUAGE plpgsql AS $$
    BEGIN
        IF kind NOT IN ('holding', 'venue_custody') THEN
            RETURN registry_refusal('Conflict', 'wrong_account_kind', field, format(
                'account %s is a %s account; this needs holding or venue_custody',
                account_id, kind));
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION registry_transfer(
        p_from bigint, p_to bigint, p_quantity bigint, p_actor text, p_stamp text) RETURNS jsonb
    LANGUAGE plpgsql AS $$
    DECLARE
        src record;
        dst record;
        free serial_blocks[];
        block serial_blocks;
        remaining bigint := p_quantity;
        cut_ids bigint[] := '{}';
        cut_ends bigint[] := '{}';
        ineligible text;
        refusal jsonb;
        transfer_id bigint;
        piece serial_blocks;
        touched jsonb := '[]';
        result jsonb;
    BEGIN
        -- ledger._movable_accounts: both ends, checked source first, then their kinds.
        SELECT a.id, a.kind, a.state, p.kyc_state, p.type INTO src
            FROM accounts a JOIN participants p ON p.id = a.participant_id WHERE a.id = p_from;
        SELECT a.id, a.kind, a.state, p.kyc_state, p.type INTO dst
            FROM accounts a JOIN participants p ON p.id = a.participant_id WHERE a.id = p_to;
        refusal := coalesce(
            registry_may_move(p_from, 'from_account', src.id IS NOT NULL, src.kyc_state,
                              src.state),
            registry_may_move(p_to, 'to_account', dst.id IS NOT NULL, dst.kyc_state, dst.state),
            registry_movable_kind(p_from, src.kind, 'from_account_id'),
            registry_movable_kind(p_to, dst.kind, 'to_account_id'));
        IF refusal IS NOT NULL THEN
            RETURN refusal;
        END IF;
        -- ledger._lock_blocks: every active block of the source, locked by id; then allocation
        -- order, oldest vintage first, then lowest serial.
        SELECT coalesce(array_agg(locked ORDER BY locked.vintage, locked.serial_start, locked.id),
                        '{}')
            INTO free
            FROM (SELECT * FROM serial_blocks
                  WHERE account_id = p_from AND status = 'active' ORDER BY id FOR UPDATE) locked;
        -- blocks.take_quantity: whole blocks, then the lowest serials of the last one.
        IF p_quantity <= 0 THEN
            RETURN registry_refusal('ValidationError', 'validation_failed', 'quantity',
                                    'quantity must be a positive whole number');
        END IF;
        FOREACH block IN ARRAY free LOOP
            EXIT WHEN remaining = 0;
            cut_ids := cut_ids || block.id;
            cut_ends := cut_ends || least(block.serial_end, block.serial_start + remaining - 1);
            remaining := remaining - (cut_ends[cardinality(cut_ends)] - block.serial_start + 1);
        END LOOP;
        IF remaining > 0 THEN
            RETURN registry_refusal('InsufficientCredits', 'insufficient_credits', 'quantity',
                format('%s credits requested but only %s free credits match', p_quantity,
                       p_quantity - remaining),
                jsonb_build_object('requested', p_quantity, 'available', p_quantity - remaining));
        END IF;
        -- ledger._ensure_destination_may_hold
        IF dst.type = 'financial_institution' THEN
            SELECT p.id INTO ineligible FROM projects p JOIN serial_blocks b ON b.project_id = p.id
                WHERE b.id = ANY (cut_ids) AND NOT p.fi_eligible ORDER BY p.id LIMIT 1;
            IF ineligible IS NOT NULL THEN
                RETURN registry_refusal('Forbidden', 'not_eligible_for_holder', 'to_account_id',
                    format('project %s''s credits are not eligible for financial institutions '
                           '(verifier is neither a DOE nor ISO 14065-accredited, and the program '
                           'is not governmental)', ineligible));
            END IF;
        END IF;
        INSERT INTO transfers (from_account_id, to_account_id, quantity, created_at)
            VALUES (p_from, p_to, p_quantity, p_stamp) RETURNING id INTO transfer_id;
        -- ledger._apply_cuts: a whole block changes in place; a split block keeps its remainder
        -- in the original row (shrunk first) and the taken piece becomes a new row.
        FOR n IN 1 .. cardinality(cut_ids) LOOP
            block := free[n];
            IF cut_ends[n] = block.serial_end THEN
                UPDATE serial_blocks SET account_id = p_to, status = 'active', hold_id = NULL,
                        retirement_id = NULL, cancellation_id = NULL
                    WHERE id = block.id RETURNING * INTO piece;
                touched := touched || to_jsonb(piece);
            ELSE
                UPDATE serial_blocks SET serial_start = cut_ends[n] + 1
                    WHERE id = block.id RETURNING * INTO piece;
                touched := touched || to_jsonb(piece);
                INSERT INTO serial_blocks (program, project_id, vintage, issuance_id,
                        serial_start, serial_end, account_id, status, hold_id, retirement_id,
                        cancellation_id)
                    VALUES (block.program, block.project_id, block.vintage, block.issuance_id,
                            block.serial_start, cut_ends[n], p_to, 'active', NULL, NULL, NULL)
                    RETURNING * INTO piece;
                touched := touched || to_jsonb(piece);
            END IF;
        END LOOP;
        result := jsonb_build_object(
            'id', transfer_id, 'from_account_id', p_from, 'to_account_id', p_to,
            'quantity', p_quantity, 'created_at', p_stamp,
            'serials', (SELECT jsonb_agg(jsonb_build_array(free[n].serial_start, cut_ends[n])
                                         ORDER BY free[n].serial_start, cut_ends[n])
                        FROM generate_subscripts(cut_ids, 1) AS n));
        INSERT INTO journal_pending ("time", actor, area, type, payload)
            VALUES (p_stamp, p_actor, 'registry', 'transferred',
                    result || jsonb_build_object('blocks', touched));
        RETURN result;
    END $$""",
)

DROPPED = (
    "registry_transfer(bigint, bigint, bigint, text, text)",
    "journal_seal_pending()",
    "registry_movable_kind(bigint, text, text)",
    "registry_may_move(bigint, text, boolean, text, text)",
    "registry_refusal(text, text, text, text, jsonb)",
    "journal_append(text, text, text, text, jsonb)",
    "journal_body_text(bigint, text, text, text, text, text, text)",
    "journal_canonical_json(jsonb)",
    "journal_whole_number(jsonb)",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in FUNCTIONS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS journal_pending")
        for signature in DROPPED:
            op.execute(f"DROP FUNCTION IF EXISTS {signature}")
