"""RFC 9162 Merkle tree hashing, inclusion proofs and consistency proofs (pure: no I/O).

The tree over leaves ``d(0) … d(n-1)`` is the Merkle Tree Hash of RFC 9162 §2.1.1: a leaf hashes
to ``SHA-256(0x00 ‖ d)``, an interior node to ``SHA-256(0x01 ‖ left ‖ right)``, the empty tree to
``SHA-256("")``, and a tree of ``n > 1`` leaves splits at the largest power of two below ``n``.

:class:`MerkleTree` is append-only and keeps the hash of every complete, aligned subtree (sizes
1, 2, 4, …), level by level in flat byte arrays (32 bytes a hash). Because such a subtree never
changes once complete, the same levels answer for every earlier tree size: the root, the inclusion
proof (§2.1.3.1) and the consistency proof (§2.1.4.1) of any size ``m ≤ size`` take O(log² m)
hashes at most, and the proofs hold O(log m) hashes. The verifiers (§2.1.3.2, §2.1.4.2) need only
the proof and the roots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Hash one leaf's data: ``SHA-256(0x00 ‖ data)``."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two children: ``SHA-256(0x01 ‖ left ‖ right)``."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n ≥ 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only Merkle tree that keeps every complete subtree hash."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._levels: list[bytearray] = [bytearray()]
        for data in leaves:
            self.append(data)

    @property
    def size(self) -> int:
        return len(self._levels[0]) // HASH_SIZE

    def append(self, data: bytes) -> int:
        """Append one leaf's data; return its index."""
        return self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, hashed: bytes) -> int:
        """Append one already hashed leaf, completing every subtree it closes; return its index."""
        if len(hashed) != HASH_SIZE:
            raise ValueError("a leaf hash has 32 bytes")
        index = self.size
        self._levels[0] += hashed
        level, position = 0, index
        while position % 2 == 1:
            pair = self._levels[level][(position - 1) * HASH_SIZE : (position + 1) * HASH_SIZE]
            if len(self._levels) == level + 1:
                self._levels.append(bytearray())
            self._levels[level + 1] += node_hash(pair[:HASH_SIZE], pair[HASH_SIZE:])
            level, position = level + 1, position // 2
        return index

    def leaf_hash(self, index: int) -> bytes:
        self._check_range(index, index + 1)
        return bytes(self._levels[0][index * HASH_SIZE : (index + 1) * HASH_SIZE])

    def root(self, size: int | None = None) -> bytes:
        """The Merkle Tree Hash of the first ``size`` leaves (default: all)."""
        size = self.size if size is None else size
        return self.subtree_hash(0, size) if size else EMPTY_ROOT

    def subtree_hash(self, start: int, end: int) -> bytes:
        """MTH of the leaves ``start … end-1`` (``start < end ≤ size``)."""
        self._check_range(start, end)
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            level, position = n.bit_length() - 1, start // n
            return bytes(self._levels[level][position * HASH_SIZE : (position + 1) * HASH_SIZE])
        k = split_point(n)
        return node_hash(self.subtree_hash(start, start + k), self.subtree_hash(start + k, end))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of the first ``size`` leaves (§2.1.3.1)."""
        size = self.size if size is None else size
        self._check_range(index, size)
        if index >= size:
            raise ValueError(f"leaf index {index} is outside a tree of size {size}")
        proof: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = split_point(end - start)
            if index < start + k:
                proof.append(self.subtree_hash(start + k, end))
                end = start + k
            else:
                proof.append(self.subtree_hash(start, start + k))
                start += k
        proof.reverse()
        return proof

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """Prove the first ``first`` leaves are a prefix of the first ``second`` (§2.1.4.1).

        Empty when ``first`` is 0 or equals ``second``: those need no proof.
        """
        second = self.size if second is None else second
        self._check_range(0, second)
        if not 0 <= first <= second:
            raise ValueError(f"tree size {first} is not within 0…{second}")
        if first in (0, second):
            return []
        proof: list[bytes] = []
        start, end, known = 0, second, True
        while end - start != first - start:
            n, m = end - start, first - start
            k = split_point(n)
            if m <= k:
                proof.append(self.subtree_hash(start + k, end))
                end = start + k
            else:
                proof.append(self.subtree_hash(start, start + k))
                start, known = start + k, False
        if not known:
            proof.append(self.subtree_hash(start, end))
        proof.reverse()
        return proof

    def _check_range(self, start: int, end: int) -> None:
        if not 0 <= start <= end <= self.size:
            raise ValueError(f"leaves {start}…{end - 1} are outside a tree of size {self.size}")


def root_from_inclusion_proof(
    index: int, size: int, hashed_leaf: bytes, proof: Sequence[bytes]
) -> bytes | None:
    """Recompute the root an audit path leads to (§2.1.3.2); ``None`` if it is malformed."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, hashed_leaf
    for p in proof:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def verify_inclusion(
    index: int, size: int, hashed_leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """True when ``proof`` shows leaf ``index`` with hash ``hashed_leaf`` in the tree ``root``."""
    return root_from_inclusion_proof(index, size, hashed_leaf, proof) == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when ``proof`` shows tree ``first_root`` is a prefix of ``second_root`` (§2.1.4.2)."""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root
