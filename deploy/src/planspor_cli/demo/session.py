"""The plumbing of one run of the scenario: the scenario file, the ids, the keys, the requests counted."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from planspor_cli.client import Api, ApiError, CliError, Platform

SCENARIO = Path(__file__).parents[1] / "scenario" / "baerum-2024-2027.json"
NAMESPACE = uuid5(NAMESPACE_URL, "https://planspor.no/demo/baerum-2024-2027")
STATUTORY = {"kommuneplan_samfunnsdel", "kommuneplan_arealdel", "kommunedelplan"}
COUNCIL = "municipal_council"


def load_scenario(path: Path = SCENARIO) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def wait_for(
    condition: Callable[[], Any],
    what: str,
    timeout: float = 60.0,
    interval: float = 0.2,
    progress: Callable[[], Any] | None = None,
) -> Any:
    """Polls ``condition`` until it returns something truthy; the interval only paces the polling.

    With ``progress``, ``timeout`` is the time allowed without progress: the deadline moves on whenever
    ``progress()`` changes (a graph that is still applying events on a busy machine is not given up on).
    """
    deadline = time.monotonic() + timeout
    seen = progress() if progress else None
    while True:
        result = condition()
        if result:
            return result
        if progress and (now := progress()) != seen:
            seen, deadline = now, time.monotonic() + timeout
        if time.monotonic() > deadline:
            still = f" (no progress past {seen})" if progress else ""
            raise CliError(f"gave up after {timeout:.0f} s waiting for {what}{still}")
        time.sleep(interval)


def day_of(text: str) -> date:
    return date.fromisoformat(text)


@dataclass
class LoadReport:
    ids: dict[str, str]
    loaded: bool
    """False when the ids file showed the scenario already there and nothing was sent."""
    load_seconds: float = 0.0
    graph_seconds: float = 0.0
    requests: int = 0
    events: dict[str, int] = field(default_factory=dict)


class Session:
    """One run of the scenario against one platform. ``ids`` maps scenario keys to the services' ids."""

    def __init__(
        self,
        platform: Platform,
        scenario: dict[str, Any] | None = None,
        *,
        ids_file: Path | None = None,
        say: Callable[[str], None] = lambda _: None,
        wait_timeout: float = 120.0,
    ) -> None:
        self.platform = platform
        self.s = scenario or load_scenario()
        self.ids_file = ids_file
        self.say = say
        self.wait_timeout = wait_timeout
        self.ids: dict[str, str] = {}
        self.requests = 0
        self.pr: Api = platform.planner()
        self.cc: Api = platform.facilitator()
        self.kn: Api = platform.operator()

    # ------------------------------------------------------------------ plumbing

    def key(self, *parts: str) -> str:
        return "baerum-2024-2027:" + ":".join(parts)

    def uuid(self, *parts: str) -> str:
        return str(uuid5(NAMESPACE, self.key(*parts)))

    def post(self, api: Api, path: str, body: dict[str, Any], *key: str) -> dict[str, Any]:
        self.requests += 1
        return api.post(path, body, key=self.key(*key))

    def put(self, api: Api, path: str, body: dict[str, Any], *key: str) -> dict[str, Any]:
        self.requests += 1
        return api.put(path, body, key=self.key(*key))

    def close(self) -> None:
        for api in (self.pr, self.cc, self.kn):
            api.close()

    def already_loaded(self) -> bool:
        """The ids file names the adoption decision and plan-registry still has it."""
        if self.ids_file is None or not self.ids_file.exists():
            return False
        ids = json.loads(self.ids_file.read_text(encoding="utf-8"))
        decision = ids.get("decision:adoption")
        if not decision:
            return False
        try:
            self.pr.get(f"/api/v1/decisions/{decision}")
        except ApiError as error:
            if error.status == 404:
                return False
            raise
        self.ids = ids
        return True

    def save_ids(self) -> None:
        if self.ids_file is not None:
            self.ids_file.parent.mkdir(parents=True, exist_ok=True)
            self.ids_file.write_text(json.dumps(self.ids, indent=1, sort_keys=True) + "\n", encoding="utf-8")
