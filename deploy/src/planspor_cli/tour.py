"""What the CLI prints: traces as trees, plan lists and the compliance report as tables, and the tour
`make run` ends with (counts, the trace from the adoption decision back to the 29 April 2022 seminar,
the compliance report, tokens and URLs)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from planspor_cli.client import Platform
from planspor_runtime.access import DEVELOPMENT_TOKENS, Role

NAME_KEYS = ("title", "name", "subject", "text", "summary", "status", "phase", "from_party", "action")
COUNTED = (
    "Plan",
    "Goal",
    "Indicator",
    "Measurement",
    "Strategy",
    "StrategyItem",
    "Decision",
    "Process",
    "Participant",
    "Workshop",
    "Input",
    "PlanNeed",
    "Ballot",
    "Recommendation",
    "ExternalInput",
    "Evidence",
    "Event",
)


def describe(step: dict[str, Any]) -> str:
    props = step.get("properties") or {}
    name = next((str(props[k]) for k in NAME_KEYS if props.get(k)), "")
    if len(name) > 70:
        name = name[:67] + "..."
    when = props.get("held_on") or props.get("meeting_date") or props.get("issued_on") or ""
    first = (step.get("events") or [{}])[0]
    extra = f" [dim]{when}[/]" if when else ""
    event = f" [dim]({first.get('type')})[/]" if first.get("type") else ""
    return f"[bold]{step['label']}[/] {name}{extra}{event}"


def chain_to(steps: list[dict[str, Any]], target: dict[str, Any], start: dict[str, Any]) -> list[dict[str, Any]]:
    """The shortest path from the trace's start to ``target``, walking back along ``via`` to shallower steps."""
    by_key = {(s["label"], s["id"]): s for s in steps}
    root = (start["label"], start["id"])
    depth = {key: step.get("depth", 0) for key, step in by_key.items()}
    depth[root] = -1
    path = [target]
    current = target
    while (current["label"], current["id"]) != root and current.get("via"):
        origins = [(v["from"]["label"], v["from"]["id"]) for v in current["via"]]
        key = min(origins, key=lambda k: depth.get(k, 10**9))
        if depth.get(key, 10**9) >= depth.get((current["label"], current["id"]), 10**9) or key in {
            (p["label"], p["id"]) for p in path
        }:
            break
        if key == root:
            break
        current = by_key[key]
        path.append(current)
    return list(reversed(path))


def print_trace(console: Console, result: dict[str, Any]) -> None:
    start = result["start"]
    steps = result.get("steps", [])
    tree = Tree(f"[bold]{start['label']}[/] {start['id']}  [dim]as of {result.get('as_of')}[/]")
    nodes: dict[tuple[str, str], Tree] = {(start["label"], start["id"]): tree}
    for step in sorted(steps, key=lambda s: s.get("depth", 0)):
        key = (step["label"], step["id"])
        if key in nodes:
            continue
        parent = nodes.get((step["via"][0]["from"]["label"], step["via"][0]["from"]["id"])) if step.get("via") else None
        via = step["via"][0]["relationship"] if step.get("via") else ""
        nodes[key] = (parent or tree).add(f"[cyan]{via}[/] {describe(step)}")
    console.print(tree)
    console.print(f"[dim]{len(steps)} steps behind it[/]")


def print_forward(console: Console, result: dict[str, Any]) -> None:
    item = result.get("input", {})
    console.print(f"[bold]Input[/] {item.get('text', item.get('id'))}")
    console.print(f"outcome: [bold]{result.get('outcome')}[/] at stage {result.get('stage')}")
    if result.get("explanation"):
        console.print(result["explanation"])


def print_plans(console: Console, which: str, result: dict[str, Any]) -> None:
    rows = result.get("plans", [])
    columns = {
        "outside": ("title", "plan_type", "owning_unit", "reason"),
        "unanchored": ("title", "plan_type", "owning_unit", "status"),
        "overdue": ("title", "revision_due", "days_overdue", "status"),
    }[which]
    table = Table(*columns, title=f"{len(rows)} plans ({which})")
    for row in rows:
        table.add_row(*(str(row.get(c, "")) for c in columns))
    console.print(table)


def print_compliance(console: Console, result: dict[str, Any]) -> None:
    summary = result.get("summary", {})
    table = Table(
        "check",
        "paragraph",
        "status",
        "detail",
        title=f"compliance: {summary.get('pass', 0)} pass, {summary.get('fail', 0)} fail, "
        f"{summary.get('unknown', 0)} unknown",
    )
    colour = {"pass": "green", "fail": "red", "unknown": "yellow"}
    for check in result.get("checks", []):
        table.add_row(
            check["id"],
            check.get("paragraph", ""),
            f"[{colour.get(check['status'], 'white')}]{check['status']}[/]",
            check.get("detail", ""),
        )
    console.print(table)


def counts(platform: Platform) -> dict[str, int]:
    query = "MATCH (n) UNWIND labels(n) AS label WITH label WHERE label IN $labels RETURN label, count(*) AS n"
    result = platform.analyst().post("/api/v1/cypher", {"query": query, "params": {"labels": list(COUNTED)}})
    out = {}
    for row in result["rows"]:
        label, n = (row["label"], row["n"]) if isinstance(row, dict) else row
        out[label] = n
    return out


SEMINAR_DEPTH = 5


def seminar_chain(platform: Platform, ids: dict[str, str]) -> list[dict[str, Any]]:
    """From the adoption decision back to an input raised at the council seminar of 29 April 2022: five hops (the
    strategy, its item, the plan need, the input, the workshop), so the trace is asked no deeper."""
    trace = platform.auditor().get(f"/api/v1/trace/back/decision/{ids['decision:adoption']}", depth=SEMINAR_DEPTH)
    seminar = ids.get("workshop:W1")
    inputs = [
        s for s in trace["steps"] if s["label"] == "Input" and (s.get("properties") or {}).get("workshop_id") == seminar
    ]
    if not inputs:
        return []
    chains = [chain_to(trace["steps"], s, trace["start"]) for s in inputs]
    chain = min(chains, key=len)
    workshop = next((s for s in trace["steps"] if s["label"] == "Workshop" and s["id"] == seminar), None)
    start = {
        "label": trace["start"]["label"],
        "id": trace["start"]["id"],
        "properties": next((s.get("properties") for s in trace["steps"] if s["id"] == trace["start"]["id"]), {}) or {},
        "events": [],
    }
    return [start, *chain, *([workshop] if workshop else [])]


AS_OF_DAYS = ("2024-06-01", "2024-06-20")
"""Before and after the council's meeting of 19 June 2024: what the tour asks the graph as of each day."""


def strategy_status_on(platform: Platform, strategy_id: str, day: str) -> str:
    """The strategy's status in effective time on ``day``: the last of its statuses begun by then (one hop from
    the strategy: the rest of its trace back is not asked, and a fresh Neo4j has fewer statements to plan)."""
    trace = platform.auditor().get(f"/api/v1/trace/back/strategy/{strategy_id}", as_of=day, depth=1)
    statuses = [
        s["properties"]["status"]
        for s in trace["steps"]
        if s["label"] == "StrategyStatus" and not s["properties"].get("retracted_at")
    ]
    return statuses[-1] if statuses else "not drafted"


def print_as_of(console: Console, platform: Platform, strategy_id: str) -> None:
    table = Table("as of", "the strategy 2024-2027 is", title="effective time: as of a day")
    for day in AS_OF_DAYS:
        table.add_row(day, strategy_status_on(platform, strategy_id, day))
    console.print(table)


def print_tour(console: Console, platform: Platform, ids: dict[str, str]) -> None:
    console.rule("planspor: the Bærum plan strategy 2024-2027")
    numbers = counts(platform)
    table = Table("in the graph", "count", title="counts")
    for label in COUNTED:
        table.add_row(label, str(numbers.get(label, 0)))
    console.print(table)
    chain = seminar_chain(platform, ids)
    tree = Tree("[bold]trace[/]: the council's adoption back to the council seminar of 29 April 2022")
    node = tree
    for step in chain:
        node = node.add(describe(step))
    console.print(tree)
    console.print(f"[dim]full trace: planspor trace decision adoption   (decision id {ids['decision:adoption']})[/]")
    print_compliance(console, platform.auditor().get(f"/api/v1/strategies/{ids['strategy']}/compliance"))
    print_as_of(console, platform, ids["strategy"])
    tokens = Table("role", "development token", title="tokens (development only)")
    for role in Role:
        tokens.add_row(role.value, DEVELOPMENT_TOKENS[role])
    console.print(tokens)
    urls = Table("service", "URL", "OpenAPI", title="URLs")
    for name, url in (
        ("plan-registry", platform.plan_registry_url),
        ("cocreation", platform.cocreation_url),
        ("knowledge", platform.knowledge_url),
    ):
        urls.add_row(name, url, f"{url}/docs")
    console.print(urls)
