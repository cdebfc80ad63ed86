"""The auditor's exports, gathered from the services over HTTP: the whole record (a verifier bundle) and
the evidence pack of one decision, strategy or input (``planspor_verify.evidence``), for the CLI and the portal."""

from planspor_runtime.evidence.collect import (
    SOURCES,
    TRACE_PATHS,
    EvidenceError,
    Fetch,
    evidence_pack,
    feed_lines,
    record_bundle,
)

__all__ = ["SOURCES", "TRACE_PATHS", "EvidenceError", "Fetch", "evidence_pack", "feed_lines", "record_bundle"]
