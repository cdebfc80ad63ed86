"""Co-creation: the process, its participants, workshops, inputs, plan needs, ballots and the recommendation."""

from __future__ import annotations

from planspor_cli.demo.session import Session, wait_for


class CocreationSteps(Session):
    """The co-creation process, as its facilitator runs it (the catalogue first: inputs name plans)."""

    def plans_in_catalogue(self) -> set[str]:
        return {p["plan_id"] for p in self.cc.every("/api/v1/plans")["items"]}

    def wait_for_catalogue(self) -> None:
        """Inputs and plan needs may only name plans co-creation knows from plan-registry's events."""
        wanted = {self.ids[k] for k in self.ids if k.startswith("plan:")}
        wait_for(
            lambda: wanted <= self.plans_in_catalogue(),
            "co-creation's plan catalogue to hold every plan",
            self.wait_timeout,
        )

    def load_cocreation(self) -> None:
        p = self.s["process"]
        process_id = self.ids["process"] = self.post(
            self.cc,
            "/api/v1/processes",
            {
                "title": p["title"],
                "purpose": p["purpose"],
                "election_period": self.s["election_period"],
                "roles_and_limits": p["roles_and_limits"],
                "all_officials_invited": p["all_officials_invited"],
                "follow_up_days": p["follow_up_days"],
                "started_on": p["started_on"],
            },
            "process",
        )["process_id"]
        for person in self.s["participants"]:
            body = {
                k: person[k] for k in ("name", "kind", "role", "party", "body", "unit", "substitute") if k in person
            } | {"enrolled_on": p["started_on"]}
            self.ids[f"participant:{person['key']}"] = self.post(
                self.cc, f"/api/v1/processes/{process_id}/participants", body, "participant", person["key"]
            )["participant_id"]
        self.phase("workshops", p["started_on"])
        for workshop in self.s["workshops"]:
            name = f"workshop:{workshop['key']}"
            workshop_id = self.ids[name] = self.post(
                self.cc,
                f"/api/v1/processes/{process_id}/workshops",
                {
                    "title": workshop["title"],
                    "on": workshop["date"],
                    "format": workshop["format"],
                    "agenda": workshop["agenda"],
                    "planned_on": p["started_on"],
                },
                name,
            )["workshop_id"]
            self.post(
                self.cc,
                f"/api/v1/workshops/{workshop_id}/held",
                {
                    "held_on": workshop["date"],
                    "attendee_ids": [self.ids[f"participant:{a}"] for a in workshop["attendees"]],
                },
                name,
                "held",
            )
        dates = {w["key"]: w["date"] for w in self.s["workshops"]}
        for item in self.s["inputs"]:
            name = f"input:{item['key']}"
            self.ids[name] = self.post(
                self.cc,
                f"/api/v1/workshops/{self.ids['workshop:' + item['workshop']]}/inputs",
                {
                    "author_id": self.ids[f"participant:{item['author']}"],
                    "kind": item["kind"],
                    "text": item["text"],
                    "plan_ids": [self.ids[f"plan:{k}"] for k in item.get("plans", [])],
                    "goal_ids": [self.ids[f"goal:{k}"] for k in item.get("goals", [])],
                    "recorded_on": dates[item["workshop"]],
                },
                name,
            )["input_id"]
        for need in self.s["plan_needs"]:
            name = f"need:{need['key']}"
            body = {
                "input_ids": [self.ids[f"input:{k}"] for k in need["inputs"]],
                "kind": need["kind"],
                "title": need["title"],
            }
            if need.get("plan"):
                body["plan_id"] = self.ids[f"plan:{need['plan']}"]
            if need.get("merge_into"):
                body["merge_into_plan_id"] = self.ids[f"plan:{need['merge_into']}"]
            if need["kind"] == "new":
                body["plan_type"] = need.get("plan_type", "strategi")
            body["proposed_on"] = max(dates[i["workshop"]] for i in self.s["inputs"] if i["key"] in need["inputs"])
            self.ids[name] = self.post(self.cc, f"/api/v1/processes/{process_id}/plan-needs", body, name)[
                "plan_need_id"
            ]
        vote = self.s["prioritisation"]
        self.phase("prioritisation", vote["opened_on"])
        voters = list(vote["ballots"])
        prioritisation_id = self.ids["prioritisation"] = self.post(
            self.cc,
            f"/api/v1/processes/{process_id}/prioritisations",
            {
                "title": "Prioritering av planbehov",
                "method": vote["method"],
                "candidate_ids": [self.ids[f"need:{n['key']}"] for n in self.s["plan_needs"]],
                "eligible_ids": [self.ids[f"participant:{k}"] for k in voters],
                "quorum": vote["quorum"],
                "opened_on": vote["opened_on"],
            },
            "prioritisation",
        )["prioritisation_id"]
        for voter, ranking in vote["ballots"].items():
            self.post(
                self.cc,
                f"/api/v1/prioritisations/{prioritisation_id}/ballots",
                {
                    "participant_id": self.ids[f"participant:{voter}"],
                    "ranking": [self.ids[f"need:{n}"] for n in ranking],
                    "cast_on": vote["opened_on"],
                },
                "ballot",
                voter,
            )
        result = self.post(
            self.cc,
            f"/api/v1/prioritisations/{prioritisation_id}/close",
            {"made_on": vote["closes_on"]},
            "prioritisation",
            "close",
        )["result"]
        rec = self.s["recommendation"]
        self.phase("recommendation", rec["issued_on"])
        by_id = {v: k.split(":", 1)[1] for k, v in self.ids.items() if k.startswith("need:")}
        kinds = {n["key"]: n["kind"] for n in self.s["plan_needs"]}
        top = [by_id[r["need_id"]] for r in sorted(result, key=lambda r: r["rank"])][: rec["top"]]
        self.ids["recommended"] = ",".join(top)
        issued = self.post(
            self.cc,
            f"/api/v1/processes/{process_id}/recommendation",
            {
                "prioritisation_id": prioritisation_id,
                "summary": "Samskapingens anbefaling til planstrategi 2024-2027",
                "council_constituted_on": self.s["council_constituted_on"],
                "issued_on": rec["issued_on"],
                "items": [
                    {"need_id": self.ids[f"need:{k}"], "action": kinds[k], "start_year": int(rec["timing"][k])}
                    for k in top
                ],
            },
            "recommendation",
        )
        self.ids["recommendation"] = issued["recommendation_id"]

    def phase(self, to: str, on: str) -> None:
        self.post(self.cc, f"/api/v1/processes/{self.ids['process']}/phase", {"to": to, "on": on}, "phase", to)
