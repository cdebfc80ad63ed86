"""planspor-verify: check a planspor record offline, trusting nothing but the keys you hold.

Pure: the standard library and ``cryptography``, nothing of planspor's own code.
"""

from planspor_verify.bundle import Bundle, BundleError, SourceRecord, read_bundle, write_bundle
from planspor_verify.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from planspor_verify.evidence import EvidencePack, PackError, PackSource, read_pack, verify_pack, write_pack
from planspor_verify.note import NoteError, Signer, VerifierKey
from planspor_verify.verifier import Failure, Report, verify_bundle

__all__ = [
    "Bundle",
    "BundleError",
    "Checkpoint",
    "EvidencePack",
    "Failure",
    "NoteError",
    "PackError",
    "PackSource",
    "Report",
    "Signer",
    "SourceRecord",
    "VerifierKey",
    "open_checkpoint",
    "parse_checkpoint",
    "read_bundle",
    "read_pack",
    "verify_bundle",
    "verify_pack",
    "write_bundle",
    "write_pack",
]
