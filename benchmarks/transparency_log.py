"""Transparency-log benchmark: tree building, proofs and offline verification at journal scale.

    python benchmarks/transparency_log.py                 # 1,000,000 leaves, 200,000 stored entries
    python benchmarks/transparency_log.py --leaves 100000 --entries 20000

1. In memory: append ``--leaves`` leaves of 300 bytes (about a journal entry) to a ``MerkleTree``,
   then make and verify 2,000 inclusion and 2,000 consistency proofs at random sizes. Proof
   sizes are printed against ⌈log₂ n⌉ to show they grow logarithmically.
2. Stored: write ``--entries`` sealed journal entries into a fresh SQLite journal, then time a
   cold ``log.journal_tree`` (read, re-check the hash chain, hash every leaf), a checkpoint, the
   JSON Lines export, and the offline check ``greenmarket log verify`` performs.

Each step prints wall-clock and CPU seconds; rates and ratios use CPU seconds, which a shared,
busy machine disturbs less. Compare the ratios printed within one run.
"""

from __future__ import annotations

import argparse
import io
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, update

from greenmarket.clock import FixedClock
from greenmarket.integrity import log
from greenmarket.integrity.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from greenmarket.integrity.proofs import parse_journal_lines, verify_journal
from greenmarket.integrity.tables import ensure_tables
from greenmarket.journal import GENESIS_HASH, JournalEntry
from greenmarket.storage.db import Database
from greenmarket.storage.schema import journal, journal_head, metadata

PROOFS = 2_000
START = datetime(2026, 4, 1, tzinfo=UTC)


def timed(label: str, action):  # type: ignore[no-untyped-def]
    """Run ``action``; print wall and CPU seconds (CPU is steadier on a shared machine)."""
    began, began_cpu = time.perf_counter(), time.process_time()
    result = action()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    print(f"{label:<46} {elapsed:9.3f} s  (cpu {cpu:7.3f} s)")
    return result, cpu


def in_memory(leaves: int, rng: random.Random) -> None:
    data = [rng.randbytes(300) for _ in range(leaves)]
    tree, build = timed(f"append {leaves:,} leaves", lambda: MerkleTree(data))
    print(f"{'  leaves per second':<46} {leaves / build:13,.0f}")
    sizes = [rng.randint(1, leaves) for _ in range(PROOFS)]
    roots = {n: tree.root(n) for n in sizes}

    def inclusion() -> int:
        longest = 0
        for n in sizes:
            index = rng.randrange(n)
            proof = tree.inclusion_proof(index, n)
            assert verify_inclusion(index, n, leaf_hash(data[index]), proof, roots[n])
            longest = max(longest, len(proof))
        return longest

    def consistency() -> int:
        longest = 0
        for n in sizes:
            m = rng.randint(1, n)
            proof = tree.consistency_proof(m, n)
            assert verify_consistency(m, n, tree.root(m), roots[n], proof)
            longest = max(longest, len(proof))
        return longest

    longest, spent = timed(f"{PROOFS:,} inclusion proofs made + verified", inclusion)
    print(
        f"{'  per proof (ms); longest / ceil(log2 n)':<46} {spent / PROOFS * 1e3:9.3f}   "
        f"{longest} / {(leaves - 1).bit_length()}"
    )
    longest, spent = timed(f"{PROOFS:,} consistency proofs made + verified", consistency)
    print(
        f"{'  per proof (ms); longest / ceil(log2 n)+1':<46} {spent / PROOFS * 1e3:9.3f}   "
        f"{longest} / {(leaves - 1).bit_length() + 1}"
    )


def sealed(count: int) -> list[dict]:
    rows, previous = [], GENESIS_HASH
    for sequence in range(1, count + 1):
        entry = JournalEntry.seal(
            sequence=sequence,
            time=START + timedelta(seconds=sequence),
            actor="registry-admin",
            area="registry",
            type="credits_transferred",
            payload={
                "from": f"ACC-{sequence % 97}",
                "to": f"ACC-{sequence % 89}",
                "serial_start": sequence * 1000 + 1,
                "serial_end": sequence * 1000 + 500,
            },
            previous_hash=previous,
        )
        rows.append(entry.to_dict())
        previous = entry.hash
    return rows


def stored(entries: int, folder: Path) -> None:
    database = Database(f"sqlite:///{folder / 'bench.db'}")
    metadata.create_all(database.engine, tables=[journal, journal_head])
    ensure_tables(database.engine)
    rows = sealed(entries)
    with database.unit_of_work() as session:
        session.execute(insert(journal), rows)
        session.execute(insert(journal_head).values(id=1, sequence=0, hash=GENESIS_HASH))
        session.execute(update(journal_head).values(sequence=entries, hash=rows[-1]["hash"]))
    del rows
    key, clock = Ed25519PrivateKey.generate(), FixedClock(START)
    with database.read() as session:
        _, cold = timed(
            f"cold tree over {entries:,} stored entries", lambda: log.journal_tree(session)
        )
        _, warm = timed("warm tree (cached, nothing new)", lambda: log.journal_tree(session))
    with database.unit_of_work() as session:
        signed, _ = timed(
            "sign a checkpoint", lambda: log.issue_checkpoint(session, clock=clock, key=key)
        )
    buffer = io.BytesIO()
    with database.read() as session:
        timed("export as JSON Lines", lambda: log.export_journal(session, buffer))
    lines = buffer.getvalue().decode().splitlines()
    parsed, parse = timed("parse the export", lambda: parse_journal_lines(lines, source="bench"))
    _, check = timed(
        "verify chain + Merkle root offline", lambda: verify_journal(parsed, signed.checkpoint)
    )
    print(f"{'  stored entries per second (cold tree)':<46} {entries / cold:13,.0f}")
    print(f"{'  cold / warm tree':<46} {cold / max(warm, 1e-9):13,.0f}x")
    print(f"{'  offline verify (parse + check), s':<46} {parse + check:9.3f}")
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    in_memory(arguments.leaves, random.Random(arguments.seed))
    with tempfile.TemporaryDirectory() as folder:
        stored(arguments.entries, Path(folder))


if __name__ == "__main__":
    main()
