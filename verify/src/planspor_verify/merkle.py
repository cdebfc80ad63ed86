"""RFC 6962 / RFC 9162 Merkle tree hashing: roots, inclusion proofs and consistency proofs.

The tree is the one of Certificate Transparency (RFC 9162, section 2.1), so that any
tool of that world can check a planspor log:

- leaf hash ``SHA-256(0x00 || data)``, interior node ``SHA-256(0x01 || left || right)``
  (the prefixes keep a leaf from ever passing for a node: second preimages);
- the root of n > 1 leaves splits at k, the largest power of two below n:
  ``MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n]))``; the empty tree's root is ``SHA-256("")``.

Proofs are generated from a ``PerfectNode`` function, ``(level, index) -> hash`` of the
perfect subtree over leaves ``[index << level, (index + 1) << level)``, so a log that keeps
those nodes answers any proof without reading its whole history. Verification follows the
RFC's algorithms (2.1.3.2 and 2.1.4.2) step by step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

PerfectNode = Callable[[int, int], bytes]
"""``(level, index)`` -> the hash of the perfect subtree over leaves ``[index << level, (index + 1) << level)``."""


class ProofError(ValueError):
    """A proof that does not prove what it claims, or a request for one that cannot exist."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """k with k < n <= 2k, for n > 1: where RFC 6962 splits a tree of n leaves."""
    if n < 2:
        raise ValueError(f"a tree of {n} leaves does not split")
    return 1 << ((n - 1).bit_length() - 1)


class CompactRange:
    """The right edge of a tree of ``size`` leaves: one perfect subtree per set bit of ``size``, largest first.

    This is all a log must keep to append a leaf and compute its root in O(log n),
    without reading its history again. ``append`` returns every perfect node the new
    leaf completes (the leaf itself included), for a store that keeps them for proofs.
    """

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        self.size = size
        self.hashes = list(hashes)
        if size < 0 or len(self.hashes) != bin(size).count("1"):
            raise ValueError(
                f"a range of {size} leaves has {bin(max(size, 0)).count('1')} subtrees, not {len(self.hashes)}"
            )
        if any(len(h) != HASH_SIZE for h in self.hashes):
            raise ValueError("every subtree hash has 32 bytes")

    def copy(self) -> CompactRange:
        return CompactRange(self.size, self.hashes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; the perfect nodes completed, as ``(level, index, hash)``, lowest first."""
        node, level, index, rest = leaf, 0, self.size, self.size
        completed = [(0, index, node)]
        while rest & 1:
            node = node_hash(self.hashes.pop(), node)
            level, index, rest = level + 1, index >> 1, rest >> 1
            completed.append((level, index, node))
        self.hashes.append(node)
        self.size += 1
        return completed

    def extend(self, leaves: Iterable[bytes]) -> list[tuple[int, int, bytes]]:
        completed: list[tuple[int, int, bytes]] = []
        for leaf in leaves:
            completed.extend(self.append(leaf))
        return completed

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        root = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            root = node_hash(left, root)
        return root


def root(leaves: Iterable[bytes]) -> bytes:
    """The root of the tree over these leaf hashes (RFC 9162 MTH)."""
    compact = CompactRange()
    compact.extend(leaves)
    return compact.root()


def nodes_of(leaves: Sequence[bytes]) -> PerfectNode:
    """A ``PerfectNode`` over leaf hashes held in memory (for a verifier that has all the leaves)."""
    levels: list[list[bytes]] = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    def node(level: int, index: int) -> bytes:
        try:
            return levels[level][index]
        except IndexError:
            raise ProofError(f"no perfect subtree at level {level}, index {index}") from None

    return node


def subtree_hash(start: int, end: int, node: PerfectNode) -> bytes:
    """MTH(D[start:end]) from perfect nodes: one per aligned block, split as RFC 6962 splits."""
    size = end - start
    if size <= 0:
        raise ProofError(f"empty range {start}..{end}")
    if size & (size - 1) == 0 and start % size == 0:
        return node(size.bit_length() - 1, start // size)
    k = largest_power_of_two_below(size)
    return node_hash(subtree_hash(start, start + k, node), subtree_hash(start + k, end, node))


def inclusion_proof(index: int, size: int, node: PerfectNode) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 2.1.3.1: the audit path of leaf ``index`` (0-based)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")

    def path(m: int, start: int, n: int) -> list[bytes]:
        if n == 1:
            return []
        k = largest_power_of_two_below(n)
        if m < k:
            return path(m, start, k) + [subtree_hash(start + k, start + n, node)]
        return path(m - k, start + k, n - k) + [subtree_hash(start, start + k, node)]

    return path(index, 0, size)


def consistency_proof(first: int, second: int, node: PerfectNode) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 2.1.4.1: the tree of ``first`` leaves is a prefix of the one of ``second``."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from {first} to {second}")
    if first == 0 or first == second:
        return []

    def subproof(m: int, start: int, n: int, whole: bool) -> list[bytes]:
        if m == n:
            return [] if whole else [subtree_hash(start, start + n, node)]
        k = largest_power_of_two_below(n)
        if m <= k:
            return subproof(m, start, k, whole) + [subtree_hash(start + k, start + n, node)]
        return subproof(m - k, start + k, n - k, False) + [subtree_hash(start, start + k, node)]

    return subproof(first, 0, second, True)


def _check_hashes(*hashes: bytes) -> None:
    for h in hashes:
        if not isinstance(h, bytes) or len(h) != HASH_SIZE:
            raise ProofError("every hash of a proof has 32 bytes")


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes) -> None:
    """RFC 9162 2.1.3.2; raises ``ProofError`` unless ``leaf`` is leaf ``index`` of the tree with ``root_hash``."""
    _check_hashes(leaf, root_hash, *proof)
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the proof is longer than the path")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is shorter than the path")
    if r != root_hash:
        raise ProofError("the proof does not lead to the root")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 2.1.4.2; raises ``ProofError`` unless the tree of ``first_root`` is a prefix of that of ``second_root``.

    As in transparency-dev/merkle, a proof from the empty tree is refused as meaningless:
    a caller compares an empty tree by its size alone.
    """
    _check_hashes(first_root, second_root, *proof)
    if not 0 < first <= second:
        raise ProofError(f"no consistency proof from {first} to {second}")
    if first == second:
        if proof:
            raise ProofError("trees of equal size have an empty consistency proof")
        if first_root != second_root:
            raise ProofError("two different roots for one tree size")
        return
    if not proof:
        raise ProofError("empty consistency proof between different sizes")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than the path")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is shorter than the path")
    if fr != first_root:
        raise ProofError("the proof does not lead to the first root")
    if sr != second_root:
        raise ProofError("the proof does not lead to the second root")
