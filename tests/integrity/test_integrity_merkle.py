"""RFC 9162 Merkle tree: against an independent naive MTH, known answers, and broken proofs."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenmarket.integrity.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 70
DATA = [f"entry-{i}".encode() for i in range(MAX_SIZE)]


def naive_mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 written out literally, recursively, with nothing cached."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:])).digest()


@pytest.fixture(scope="module")
def tree() -> MerkleTree:
    return MerkleTree(DATA)


def test_roots_match_the_naive_definition_for_every_size(tree: MerkleTree) -> None:
    for n in range(MAX_SIZE + 1):
        assert tree.root(n) == naive_mth(DATA[:n])
    assert MerkleTree().root() == EMPTY_ROOT


def test_known_answers_of_the_rfc_6962_reference_vectors() -> None:
    leaves = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        bytes(range(0x50, 0x58)),
        bytes(range(0x60, 0x70)),
    ]
    expected = {
        1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    }
    tree = MerkleTree(leaves)
    for size, root in expected.items():
        assert tree.root(size).hex() == root


def test_inclusion_proofs_verify_for_every_size_and_index(tree: MerkleTree) -> None:
    for n in range(1, MAX_SIZE + 1):
        root = naive_mth(DATA[:n])
        for index in range(n):
            proof = tree.inclusion_proof(index, n)
            assert len(proof) <= (n - 1).bit_length()
            assert verify_inclusion(index, n, leaf_hash(DATA[index]), proof, root), (index, n)


def test_consistency_proofs_verify_for_every_pair(tree: MerkleTree) -> None:
    roots = [naive_mth(DATA[:n]) for n in range(MAX_SIZE + 1)]
    for n in range(1, MAX_SIZE + 1):
        for m in range(0, n + 1):
            proof = tree.consistency_proof(m, n)
            assert len(proof) <= (n - 1).bit_length() + 1
            assert verify_consistency(m, n, roots[m], roots[n], proof), (m, n)


def _flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


def test_every_altered_inclusion_proof_is_refused(tree: MerkleTree) -> None:
    for n in (1, 2, 3, 7, 8, 13, 32, 70):
        root = tree.root(n)
        for index in range(n):
            hashed, proof = leaf_hash(DATA[index]), tree.inclusion_proof(index, n)
            assert not verify_inclusion(index, n, _flip(hashed), proof, root)
            assert not verify_inclusion(index, n, hashed, proof, _flip(root))
            assert not verify_inclusion(index, n, hashed, proof + [root], root)
            assert not verify_inclusion(n, n, hashed, proof, root)
            for position in range(len(proof)):
                broken = proof[:position] + [_flip(proof[position])] + proof[position + 1 :]
                assert not verify_inclusion(index, n, hashed, broken, root)
                assert not verify_inclusion(index, n, hashed, proof[:position], root)
            if n > 1:
                other = (index + 1) % n
                assert not verify_inclusion(other, n, hashed, proof, root)
            if n < MAX_SIZE:
                assert not verify_inclusion(index, n + 1, hashed, proof, tree.root(n + 1))


def test_every_altered_consistency_proof_is_refused(tree: MerkleTree) -> None:
    for n in (2, 3, 7, 8, 13, 32, 70):
        for m in range(1, n):
            first, second, proof = tree.root(m), tree.root(n), tree.consistency_proof(m, n)
            assert not verify_consistency(m, n, _flip(first), second, proof)
            assert not verify_consistency(m, n, first, _flip(second), proof)
            assert not verify_consistency(m, n, first, second, proof + [first])
            assert not verify_consistency(m, n, first, second, proof[:-1])
            assert not verify_consistency(n, m, second, first, proof)
            for position in range(len(proof)):
                broken = proof[:position] + [_flip(proof[position])] + proof[position + 1 :]
                assert not verify_consistency(m, n, first, second, broken)


def test_a_forked_history_has_no_consistency_proof() -> None:
    honest = MerkleTree(DATA[:40])
    forked = MerkleTree(DATA[:17] + [b"rewritten"] + DATA[18:40])
    for m in range(18, 40):
        proof = forked.consistency_proof(m, 40)
        assert not verify_consistency(m, 40, honest.root(m), forked.root(40), proof)
    for m in range(1, 18):  # the untouched prefix is still consistent
        proof = forked.consistency_proof(m, 40)
        assert verify_consistency(m, 40, honest.root(m), forked.root(40), proof)


def test_a_tree_refuses_sizes_beyond_its_leaves(tree: MerkleTree) -> None:
    with pytest.raises(ValueError):
        tree.inclusion_proof(MAX_SIZE, MAX_SIZE)
    with pytest.raises(ValueError):
        tree.consistency_proof(3, MAX_SIZE + 1)
    with pytest.raises(ValueError):
        tree.root(MAX_SIZE + 1)


@settings(max_examples=40, deadline=None)
@given(
    leaves=st.lists(st.binary(max_size=16), min_size=1, max_size=300),
    data=st.data(),
)
def test_random_trees_prove_what_the_naive_tree_holds(leaves: list[bytes], data) -> None:  # type: ignore[no-untyped-def]
    tree = MerkleTree(leaves)
    n = data.draw(st.integers(1, len(leaves)), label="n")
    m = data.draw(st.integers(1, n), label="m")
    index = data.draw(st.integers(0, n - 1), label="index")
    root_n, root_m = naive_mth(leaves[:n]), naive_mth(leaves[:m])
    assert verify_inclusion(
        index, n, leaf_hash(leaves[index]), tree.inclusion_proof(index, n), root_n
    )
    assert verify_consistency(m, n, root_m, root_n, tree.consistency_proof(m, n))
