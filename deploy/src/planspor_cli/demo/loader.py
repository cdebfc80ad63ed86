"""The whole run: the story in order, then the wait until the knowledge graph has applied every event."""

from __future__ import annotations

import time
from typing import Any

from planspor_cli.demo.cocreation import CocreationSteps
from planspor_cli.demo.formal import FormalTrack
from planspor_cli.demo.session import LoadReport, wait_for


class Loader(FormalTrack, CocreationSteps):
    """One run of the scenario against one platform (``run``); ``ids`` maps scenario keys to the services' ids."""

    def run(self, *, force: bool = False, wait_for_graph: bool = True) -> LoadReport:
        try:
            if not force and self.already_loaded():
                self.say(f"the scenario is already loaded (ids in {self.ids_file}): nothing sent")
                return LoadReport(ids=self.ids, loaded=False)
            started = time.monotonic()
            self.say("plan register: previous strategies, goals, indicators and the plan portfolio ...")
            self.load_previous_strategies()
            self.load_goals_and_plans()
            self.load_indicators()
            self.say("co-creation: process, participants, workshops, inputs, plan needs, ballots ...")
            self.wait_for_catalogue()
            self.load_cocreation()
            self.say("formal track: strategy drafted from the recommendation, inputs, publication, decisions ...")
            self.load_formal_track()
            self.load_after_adoption()
            self.save_ids()
            loaded = time.monotonic()
            report = LoadReport(ids=self.ids, loaded=True, load_seconds=loaded - started, requests=self.requests)
            if wait_for_graph:
                self.say("knowledge: waiting until the graph has applied every event ...")
                report.events = self.wait_for_graph()
                report.graph_seconds = time.monotonic() - loaded
            return report
        finally:
            self.close()

    def feed_head(self, base_url: str) -> int:
        """The last position a source's relay has published (its feed's end)."""
        api = self.platform.operator(base_url)
        try:
            after = 0
            while True:
                page = api.get("/events", after=after, limit=1000)
                if not page["events"]:
                    return after
                after = page["next_after"]
        finally:
            api.close()

    def wait_for_graph(self) -> dict[str, int]:
        """Caught up when the graph holds the last facts loaded and every published position is applied."""
        last_plan = self.ids[f"plan:{self.s['after_adoption'][-1]['key']}"]
        progress: dict[str, int] = {}

        def caught_up() -> dict[str, int] | None:
            heads = {
                "plan-registry": self.feed_head(self.platform.plan_registry_url),
                "cocreation": self.feed_head(self.platform.cocreation_url),
            }
            checkpoints = self.kn.get("/health")["checkpoints"]
            applied = {s: checkpoints.get(s, {}).get("position") or 0 for s in heads}
            progress.update(applied)
            if any(applied[s] < heads[s] for s in heads):
                return None
            analyst = self.platform.analyst()
            try:
                rows = analyst.post(
                    "/api/v1/cypher",
                    {
                        "query": "MATCH (p:Plan {id: $plan}) MATCH (s:Strategy {id: $strategy}) "
                        "RETURN s.status AS status",
                        "params": {"plan": last_plan, "strategy": self.ids["strategy"]},
                    },
                )["rows"]
            finally:
                analyst.close()
            return applied if rows and _first(rows[0]) == "adopted" else None

        return wait_for(
            caught_up,
            "the knowledge graph to apply every event",
            self.wait_timeout,
            interval=0.5,
            progress=lambda: tuple(sorted(progress.items())),
        )


def _first(row: Any) -> Any:
    if isinstance(row, dict):
        return next(iter(row.values()), None)
    return row[0] if row else None
