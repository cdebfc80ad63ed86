"""RFC 6962 / RFC 9162 Merkle trees: published vectors, and every size against the definitions."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planspor_verify.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    nodes_of,
    root,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)

pytestmark = pytest.mark.unit

VECTORS = Path(__file__).parent / "vectors"

# The Certificate Transparency reference leaves and the roots of their first 1..8 (RFC 6962 test data,
# as in transparency-dev/merkle and certificate-transparency-go).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def b64(text: str | None) -> bytes:
    return base64.b64decode(text) if text else b""


def test_leaf_and_node_hashes_are_those_of_rfc_6962():
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert node_hash(b"N123", b"N456").hex() == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"


def test_the_reference_roots_of_certificate_transparency_for_sizes_0_to_8():
    leaves = [leaf_hash(d) for d in CT_LEAVES]
    assert root([]) == EMPTY_ROOT
    assert [root(leaves[:n]).hex() for n in range(1, 9)] == CT_ROOTS


def probes(kind: str) -> list[dict]:
    return json.loads((VECTORS / f"transparency-dev-{kind}.json").read_text())["probes"]


@pytest.mark.parametrize("probe", probes("inclusion"), ids=lambda p: p["file"].removeprefix("testdata/inclusion/"))
def test_the_inclusion_probes_of_transparency_dev_merkle(probe):
    def check():
        verify_inclusion(
            probe["leafIdx"],
            probe["treeSize"],
            b64(probe["leafHash"]),
            [b64(p) for p in probe["proof"] or []],
            b64(probe["root"]),
        )

    if probe["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


@pytest.mark.parametrize("probe", probes("consistency"), ids=lambda p: p["file"].removeprefix("testdata/consistency/"))
def test_the_consistency_probes_of_transparency_dev_merkle(probe):
    def check():
        verify_consistency(
            probe["size1"],
            probe["size2"],
            b64(probe["root1"]),
            b64(probe["root2"]),
            [b64(p) for p in probe["proof"] or []],
        )

    # one probe accepts two equal 12-byte "roots" for equal sizes; a root that is not 32 bytes is refused here
    not_hashes = any(len(b64(probe[r])) != 32 for r in ("root1", "root2"))
    if probe["wantErr"] or not_hashes:
        with pytest.raises(ProofError):
            check()
    else:
        check()


def test_the_happy_paths_of_the_probes_are_what_we_generate_from_the_reference_leaves():
    node = nodes_of([leaf_hash(d) for d in CT_LEAVES])
    for probe in probes("inclusion"):
        if (
            not probe["wantErr"]
            and probe["treeSize"] <= 8
            and b64(probe["leafHash"]) == leaf_hash(CT_LEAVES[probe["leafIdx"]])
        ):
            assert inclusion_proof(probe["leafIdx"], probe["treeSize"], node) == [b64(p) for p in probe["proof"] or []]
    checked = 0
    for probe in probes("consistency"):
        if (
            not probe["wantErr"]
            and probe["size2"] <= 8
            and b64(probe["root2"]) == root([leaf_hash(d) for d in CT_LEAVES[: probe["size2"]]])
        ):
            assert consistency_proof(probe["size1"], probe["size2"], node) == [b64(p) for p in probe["proof"] or []]
            checked += 1
    assert checked >= 3


# ---------------------------------------------------------------------------- the definitions, naively


def naive_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(naive_root(leaves[:k]), naive_root(leaves[k:]))


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return naive_path(m, leaves[:k]) + [naive_root(leaves[k:])]
    return naive_path(m - k, leaves[k:]) + [naive_root(leaves[:k])]


def naive_proof(m: int, leaves: list[bytes], whole: bool = True) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [naive_root(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return naive_proof(m, leaves[:k], whole) + [naive_root(leaves[k:])]
    return naive_proof(m - k, leaves[k:], False) + [naive_root(leaves[:k])]


def leaves_of(count: int, salt: int = 0) -> list[bytes]:
    return [leaf_hash(f"{salt}:{i}".encode()) for i in range(count)]


sizes = st.integers(min_value=1, max_value=300)


@settings(max_examples=80, deadline=None)
@given(sizes)
def test_the_root_and_the_compact_range_agree_with_the_definition_at_every_size(size):
    leaves = leaves_of(size)
    compact = CompactRange()
    for n, leaf in enumerate(leaves, start=1):
        compact.append(leaf)
        if n in (1, size // 2 or 1, size):
            assert compact.root() == naive_root(leaves[:n])
    assert root(leaves) == naive_root(leaves) == subtree_hash(0, size, nodes_of(leaves))


@settings(max_examples=80, deadline=None)
@given(sizes, st.data())
def test_inclusion_proofs_are_the_definitions_paths_and_verify(size, data):
    leaves = leaves_of(size, 1)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = inclusion_proof(index, size, nodes_of(leaves))
    assert proof == naive_path(index, leaves)
    verify_inclusion(index, size, leaves[index], proof, naive_root(leaves))
    if proof:
        forged = list(proof)
        forged[data.draw(st.integers(0, len(proof) - 1))] = leaf_hash(b"forged")
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaves[index], forged, naive_root(leaves))
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf_hash(b"another leaf"), proof, naive_root(leaves))


@settings(max_examples=80, deadline=None)
@given(sizes, st.data())
def test_consistency_proofs_are_the_definitions_proofs_and_verify(size, data):
    leaves = leaves_of(size, 2)
    first = data.draw(st.integers(min_value=1, max_value=size))
    proof = consistency_proof(first, size, nodes_of(leaves))
    assert proof == (naive_proof(first, leaves) if first < size else [])
    verify_consistency(first, size, naive_root(leaves[:first]), naive_root(leaves), proof)
    if first < size:
        with pytest.raises(ProofError):
            verify_consistency(first, size, leaf_hash(b"rewritten"), naive_root(leaves), proof)
        changed = list(leaves)
        changed[data.draw(st.integers(0, first - 1))] = leaf_hash(b"changed")
        with pytest.raises(ProofError):
            verify_consistency(first, size, naive_root(changed[:first]), naive_root(leaves), proof)


def test_a_compact_range_refuses_a_frontier_that_does_not_fit_its_size():
    with pytest.raises(ValueError, match="subtrees"):
        CompactRange(3, [leaf_hash(b"a")])


def test_proofs_for_positions_outside_the_tree_are_refused():
    node = nodes_of(leaves_of(5))
    with pytest.raises(ProofError):
        inclusion_proof(5, 5, node)
    with pytest.raises(ProofError):
        consistency_proof(6, 5, node)
