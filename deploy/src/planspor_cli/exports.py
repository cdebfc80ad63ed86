"""The auditor's exports from the CLI: the whole record and an evidence pack, over the services' HTTP
routes with the auditor's token (``planspor_runtime.evidence`` gathers them; this is the transport)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx

from planspor_cli.client import ApiError, CliError, Platform
from planspor_runtime.access import Role
from planspor_runtime.evidence import EvidenceError, Fetch, evidence_pack, record_bundle
from planspor_verify.bundle import write_bundle
from planspor_verify.evidence import write_pack

T = TypeVar("T")


def _urls(platform: Platform) -> dict[str, str]:
    return {
        "plan-registry": platform.plan_registry_url,
        "cocreation": platform.cocreation_url,
        "knowledge": platform.knowledge_url,
    }


def run_with_fetch(platform: Platform, work: Callable[[Fetch], Awaitable[T]]) -> T:
    """Run ``work`` with a fetch over httpx, every call with the auditor's token; errors as the CLI's."""

    async def main() -> T:
        urls = _urls(platform)
        headers = {"Authorization": f"Bearer {platform.token_for(Role.AUDITOR)}"}
        async with httpx.AsyncClient(headers=headers, timeout=platform.timeout) as http:

            async def fetch(service: str, path: str, params: Mapping[str, Any]) -> bytes:
                url = urls[service].rstrip("/") + path
                try:
                    response = await http.get(url, params=dict(params))
                except httpx.TransportError as error:
                    raise CliError(
                        f"cannot reach {urls[service]} ({type(error).__name__}): is the platform running?"
                    ) from None
                if response.status_code >= 400:
                    raise ApiError("GET", url, response)
                return response.content

            return await work(fetch)

    try:
        return asyncio.run(main())
    except EvidenceError as error:
        raise CliError(str(error)) from None


def export_record(platform: Platform, output: Path) -> dict[str, Any]:
    bundle = run_with_fetch(platform, record_bundle)
    write_bundle(output, bundle)
    return {
        "file": str(output),
        "sources": {r.source: {"events": len(r.lines), "heads": len(r.checkpoints)} for r in bundle.sources},
    }


def export_evidence(
    platform: Platform, kind: str, subject_id: str, output: Path, *, as_of: str | None, wait: float
) -> dict[str, Any]:
    async def gather(fetch: Fetch) -> Any:
        return await evidence_pack(fetch, kind, subject_id, as_of=as_of, wait=wait)

    pack = run_with_fetch(platform, gather)
    write_pack(output, pack)
    return {
        "file": str(output),
        "kind": kind,
        "id": subject_id,
        "steps": len(pack.trace.get("steps") or []),
        "sources": {p.source: {"events": len(p.lines), "head": p.head.split("\n")[1]} for p in pack.sources},
    }
