"""`planspor`: the platform from a terminal (tables and trees) or a script (``--json``).

Exit codes: 0 ok; 1 error or refused (the service said no, or is down); 2 usage; 3 not found.
URLs and token: options or PLANSPOR_PLAN_REGISTRY_URL, PLANSPOR_COCREATION_URL, PLANSPOR_KNOWLEDGE_URL,
PLANSPOR_TOKEN (sent on every call; without it each call uses the development token of its role).
An ID may be a service id or a key of the loaded demo (e.g. ``adoption``, ``N1``, ``IN07``, ``strategy``).
"""

from __future__ import annotations

import json
import sys
import threading
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from planspor_cli import tour as tours
from planspor_cli.client import EXIT_USAGE, CliError, Platform, default_ids_file
from planspor_runtime.access import Role

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)
export_app = typer.Typer(
    no_args_is_help=True, help="Export the graph, the whole signed record, or the evidence pack of one decision."
)
app.add_typer(export_app, name="export")
console = Console(soft_wrap=False)


class State:
    platform: Platform
    ids_file: Path

    def ids(self) -> dict[str, str]:
        if self.ids_file.exists():
            return json.loads(self.ids_file.read_text(encoding="utf-8"))
        return {}

    def resolve(self, kind: str, value: str) -> str:
        ids = self.ids()
        for candidate in (f"{kind}:{value}", value if ":" in value else None, kind if value == kind else None):
            if candidate and candidate in ids:
                return ids[candidate]
        return value


state = State()


@app.callback()
def main_options(
    plan_registry_url: str | None = typer.Option(
        None, envvar="PLANSPOR_PLAN_REGISTRY_URL", help="default http://127.0.0.1:8001"
    ),
    cocreation_url: str | None = typer.Option(
        None, envvar="PLANSPOR_COCREATION_URL", help="default http://127.0.0.1:8002"
    ),
    knowledge_url: str | None = typer.Option(
        None, envvar="PLANSPOR_KNOWLEDGE_URL", help="default http://127.0.0.1:8003"
    ),
    token: str | None = typer.Option(
        None, envvar="PLANSPOR_TOKEN", help="bearer token for every call (default: the development token per role)"
    ),
    ids_file: Path | None = typer.Option(
        None, envvar="PLANSPOR_DEMO_IDS", help="the demo's ids (default var/dev/demo-ids.json)"
    ),
) -> None:
    state.platform = Platform.from_env(
        plan_registry_url=plan_registry_url, cocreation_url=cocreation_url, knowledge_url=knowledge_url, token=token
    )
    state.ids_file = ids_file or default_ids_file()


def emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


# --------------------------------------------------------------------------- the stack


def _stack(argv: list[str]) -> None:
    from planspor_stack.__main__ import main as stack_main

    code = stack_main(argv)
    if code:
        raise typer.Exit(code)


@app.command()
def up(profile: str = typer.Option("dev", help="dev or test")) -> None:
    """Start the local stack (NATS, Neo4j) in the background; `make run` also starts the services."""
    _stack(["up", "--profile", profile])


@app.command()
def down(profile: str = typer.Option("dev", help="dev or test")) -> None:
    """Stop the local stack and the services of a profile."""
    _stack(["down", "--profile", profile])


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """What runs: the stack's servers, the three services, and how far the graph is."""
    from planspor_stack.stack import Stack

    servers = Stack.from_env().status()
    p = state.platform
    services = {"plan-registry": p.plan_registry_url, "cocreation": p.cocreation_url, "knowledge": p.knowledge_url}
    up_ = {name: p.client(url, Role.OPERATOR).alive() for name, url in services.items()}
    checkpoints: dict[str, Any] = {}
    if up_["knowledge"]:
        try:
            checkpoints = p.operator().get("/health").get("checkpoints", {})
        except CliError:
            checkpoints = {}
    if as_json:
        emit(
            {
                "servers": servers,
                "services": {n: {"url": services[n], "up": up_[n]} for n in services},
                "checkpoints": checkpoints,
            }
        )
        return
    table = Table(title="planspor")
    table.add_column("part")
    table.add_column("state")
    for name, text in servers.items():
        table.add_row(name, text)
    for name, url in services.items():
        table.add_row(name, f"[green]up[/] {url}" if up_[name] else f"[red]down[/] {url}")
    for source, point in checkpoints.items():
        table.add_row(f"graph <- {source}", f"position {point['position']}")
    console.print(table)


# --------------------------------------------------------------------------- the demo


@app.command()
def demo(
    force: bool = typer.Option(False, help="send the scenario even if the ids file says it is loaded (idempotent)"),
    tour: bool = typer.Option(True, help="print the tour afterwards"),
    as_json: bool = typer.Option(False, "--json", help="print the ids and timings as JSON"),
) -> None:
    """Load the Bærum 2024-2027 scenario through the services' APIs, wait for the graph, print a tour."""
    from planspor_cli.demo import Loader

    say = (lambda _: None) if as_json else (lambda text: console.print(f"[dim]planspor:[/] {text}"))
    report = Loader(state.platform, ids_file=state.ids_file, say=say).run(force=force)
    if as_json:
        emit(
            {
                "loaded": report.loaded,
                "load_seconds": round(report.load_seconds, 2),
                "graph_seconds": round(report.graph_seconds, 2),
                "requests": report.requests,
                "checkpoints": report.events,
                "ids": report.ids,
            }
        )
        return
    if report.loaded:
        console.print(
            f"planspor: loaded in {report.load_seconds:.1f} s ({report.requests} requests); "
            f"graph caught up {report.graph_seconds:.1f} s later (positions {report.events})"
        )
    if tour:
        tours.print_tour(console, state.platform, report.ids)


@app.command("import")
def import_command(
    directory: Path = typer.Argument(..., help="a folder with the filled-in templates (deploy/templates/import/)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check every row and report its problems; send nothing"),
    as_json: bool = typer.Option(False, "--json", help="print the summary and the problems as JSON"),
) -> None:
    """Load the municipality's history (plans, goals, decisions, indicators, measurements, SSB exports) through
    the API, each fact with the day it happened. A second run sends nothing twice. Exit 1 if a row is refused."""
    from planspor_cli.importer import run_import
    from planspor_cli.importer_output import print_import_report, progress

    with progress(disable=as_json or dry_run) as start:
        report = run_import(None if dry_run else state.platform.planner(), directory, dry_run=dry_run, start=start)
    if as_json:
        emit(report.as_dict())
    else:
        print_import_report(console, report)
    if report.refused:
        raise typer.Exit(1)


# --------------------------------------------------------------------------- queries


class TraceKind(StrEnum):
    decision = "decision"
    strategy = "strategy"
    item = "item"
    input = "input"


AS_OF_HELP = "the day asked about, in the municipality (YYYY-MM-DD; default today)"
KNOWN_AT_HELP = "as the register knew it then (ISO datetime or YYYY-MM-DD; default now)"


@app.command()
def trace(
    kind: TraceKind = typer.Argument(..., help="decision, strategy or item (trace back), input (trace forward)"),
    id: str = typer.Argument(..., help="the id, or a demo key (adoption, strategy, N1, IN07)"),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    known_at: str | None = typer.Option(None, "--known-at", help=KNOWN_AT_HELP),
    depth: int | None = typer.Option(
        None, "--depth", help="back: at most this many hops (0-12); forward: stages per plan need (1-4); default all"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the service's JSON"),
) -> None:
    """Trace a decision, strategy or strategy item back to the inputs behind it, or an input forward."""
    api = state.platform.auditor()
    frame = {"as_of": as_of, "known_at": known_at, "depth": depth}
    if kind is TraceKind.input:
        result = api.get(f"/api/v1/trace/forward/input/{state.resolve('input', id)}", **frame)
        if as_json:
            return emit(result)
        tours.print_forward(console, result)
        return
    path = {"decision": "decision", "strategy": "strategy", "item": "strategy-item"}[kind.value]
    result = api.get(f"/api/v1/trace/back/{path}/{state.resolve(kind.value, id)}", **frame)
    if as_json:
        return emit(result)
    tours.print_trace(console, result)


@app.command()
def plans(
    outside_strategy: bool = typer.Option(False, "--outside-strategy", help="started outside an adopted strategy"),
    unanchored: bool = typer.Option(False, "--unanchored", help="not anchored in a samfunnsdel goal"),
    overdue: bool = typer.Option(False, "--overdue", help="overdue for revision"),
    strategy: str | None = typer.Option(None, help="with --outside-strategy: registered since its adoption"),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    known_at: str | None = typer.Option(None, "--known-at", help=KNOWN_AT_HELP),
    as_json: bool = typer.Option(False, "--json", help="print the service's JSON"),
) -> None:
    """Plans that need attention: exactly one of --outside-strategy, --unanchored, --overdue."""
    chosen = [
        name for name, on in (("outside", outside_strategy), ("unanchored", unanchored), ("overdue", overdue)) if on
    ]
    if len(chosen) != 1:
        raise CliError("choose exactly one of --outside-strategy, --unanchored, --overdue", EXIT_USAGE)
    api = state.platform.analyst()
    path = {
        "outside": "/api/v1/plans/outside-strategy",
        "unanchored": "/api/v1/plans/not-anchored",
        "overdue": "/api/v1/plans/overdue-revision",
    }[chosen[0]]
    params = {"as_of": as_of, "known_at": known_at}
    if strategy and chosen[0] == "outside":
        params["strategy_id"] = state.resolve("strategy", strategy)
    result = api.every(path, "plans", **params)
    if as_json:
        return emit(result)
    tours.print_plans(console, chosen[0], result)


@app.command()
def compliance(
    strategy: str = typer.Argument(..., help="the strategy id, or `strategy` for the demo's"),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    known_at: str | None = typer.Option(None, "--known-at", help=KNOWN_AT_HELP),
    as_json: bool = typer.Option(False, "--json", help="print the service's JSON"),
) -> None:
    """The legal checks of a plan strategy (PBL §10-1, folkehelseloven §5-6). Exit 1 if a check fails."""
    result = state.platform.auditor().get(
        f"/api/v1/strategies/{state.resolve('strategy', strategy)}/compliance", as_of=as_of, known_at=known_at
    )
    if as_json:
        emit(result)
    else:
        tours.print_compliance(console, result)
    if result.get("summary", {}).get("fail"):
        raise typer.Exit(1)


@app.command()
def cypher(
    query: str = typer.Argument(..., help="a read-only Cypher query"),
    param: list[str] = typer.Option([], "--param", "-p", help="NAME=VALUE (VALUE as JSON if it parses)"),
    as_json: bool = typer.Option(False, "--json", help="print the service's JSON"),
) -> None:
    """Run an analyst's read-only Cypher query (writes are refused with exit 1)."""
    params: dict[str, Any] = {}
    for item in param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CliError(f"--param {item!r}: write NAME=VALUE", EXIT_USAGE)
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
    result = state.platform.analyst().post("/api/v1/cypher", {"query": query, "params": params})
    if as_json:
        return emit(result)
    table = Table(*result["columns"])
    for row in result["rows"]:
        cells = row.values() if isinstance(row, dict) else row
        table.add_row(*(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str) for v in cells))
    console.print(table)
    if result.get("truncated"):
        console.print(f"[yellow]truncated at {result.get('row_limit')} rows[/]")


@app.command()
def rebuild(
    origin: str = typer.Option("stream", "--from", help="stream (NATS) or feeds (the services' event feeds)"),
    from_bundle: Path | None = typer.Option(
        None, "--from-bundle", help="a record exported with `planspor export record` (sent to knowledge)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Empty the graph and replay every event (operator); shows progress and the checksum at the end."""
    if origin not in ("stream", "feeds"):
        raise CliError("--from must be stream or feeds", EXIT_USAGE)
    bundle: bytes | None = None
    if from_bundle is not None:
        try:
            bundle = from_bundle.read_bytes()
        except OSError as error:
            raise CliError(f"--from-bundle {from_bundle}: {error.strerror or error}", EXIT_USAGE) from None
        origin = "bundle"
    operator = state.platform.operator()
    before = operator.get("/health").get("checkpoints", {})
    total = sum(point.get("position") or 0 for point in before.values()) or None
    outcome: dict[str, Any] = {}

    def run() -> None:
        worker = state.platform.operator()
        try:
            if bundle is not None:
                outcome["result"] = worker.call(
                    "POST",
                    "/api/v1/rebuild/bundle",
                    content=bundle,
                    headers={"Content-Type": "application/zip"},
                    timeout=3600,
                )
            else:
                outcome["result"] = worker.post("/api/v1/rebuild", {"origin": origin}, timeout=3600)
        except CliError as error:
            outcome["error"] = error
        finally:
            worker.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    with Progress(
        TextColumn(f"rebuild from {origin}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=as_json,
    ) as bar:
        task = bar.add_task("events", total=total)
        while thread.is_alive():
            try:
                points = operator.get("/health").get("checkpoints", {})
                # a source the rebuild has not reached again has no position yet
                bar.update(task, completed=sum(p.get("position") or 0 for p in points.values()))
            except CliError:
                pass
            thread.join(timeout=0.3)
        if "result" in outcome:
            bar.update(task, completed=outcome["result"].get("events_read", total or 0))
    if "error" in outcome:
        raise outcome["error"]
    result = outcome["result"]
    if as_json:
        return emit(result)
    console.print(
        f"events read: {result.get('events_read')}  nodes: {result.get('nodes')}  "
        f"relationships: {result.get('relationships')}"
    )
    console.print(f"checksum: {result.get('checksum')}")


@app.command("backup")
def backup_command(
    directory: Path = typer.Argument(..., help="a new or empty directory to write the backup into"),
    as_json: bool = typer.Option(False, "--json", help="print the manifest as JSON"),
) -> None:
    """Copy the sources' event stores (consistently, while they run) and signing keys, with a manifest.

    The graph is not backed up: after `planspor restore` it is rebuilt (`planspor rebuild --from feeds`)."""
    from planspor_cli.backup import backup

    manifest = backup(directory)
    if as_json:
        return emit(manifest)
    for name, entry in manifest["sources"].items():
        head = entry.get("head", {})
        console.print(f"{name}: {entry['file']} (position {head.get('position', '?')}), {entry['key_file']}")
    console.print(f"wrote {directory}; the graph is not in it: it is rebuilt from the stores after a restore")


@app.command("restore")
def restore_command(
    directory: Path = typer.Argument(..., help="a directory written by `planspor backup`"),
    force: bool = typer.Option(False, "--force", help="overwrite stores and keys that are there"),
    as_json: bool = typer.Option(False, "--json", help="print the manifest as JSON"),
) -> None:
    """Check a backup's hashes and copy its stores and keys back (stopped services, an empty var/ or --force);
    then start the services and rebuild the graph with `planspor rebuild --from feeds`."""
    from planspor_cli.backup import restore

    manifest = restore(directory, force=force)
    if as_json:
        return emit(manifest)
    console.print(
        f"restored {', '.join(manifest['sources'])} from {directory} (taken {manifest['started_at']}); "
        "start the services, then rebuild the graph: planspor rebuild --from feeds"
    )


@export_app.command("prov")
def export_prov(output: Path | None = typer.Option(None, "--output", "-o", help="write to this file")) -> None:
    """The graph as W3C PROV JSON-LD (auditor)."""
    document = state.platform.auditor().call("GET", "/api/v1/export/prov", timeout=600)
    text = json.dumps(document, indent=1, ensure_ascii=False)
    if output is None:
        sys.stdout.write(text + "\n")
        return
    output.write_text(text + "\n", encoding="utf-8")
    graph = document.get("@graph", []) if isinstance(document, dict) else []
    console.print(f"wrote {output} ({len(text)} bytes, {len(graph)} records)")


SOURCE_NAMES = ("plan-registry", "cocreation")


def _source_url(source: str) -> str:
    p = state.platform
    urls = {"plan-registry": p.plan_registry_url, "cocreation": p.cocreation_url}
    if source not in urls:
        raise CliError(f"the source is plan-registry or cocreation, not {source!r}", EXIT_USAGE)
    return urls[source]


@app.command()
def keys(as_json: bool = typer.Option(False, "--json", help="print each source's answer of GET /keys")) -> None:
    """The sources' public (verifier) keys, one per line: what `planspor-verify --key` takes (auditor).

    Give them to the auditor through a channel of your own, apart from what they check."""
    answers = {s: state.platform.client(_source_url(s), Role.AUDITOR).get("/keys") for s in SOURCE_NAMES}
    if as_json:
        return emit(answers)
    for answer in answers.values():
        for key in answer.get("keys", []):
            sys.stdout.write(f"{key['vkey']}\n")


@app.command()
def head(source: str = typer.Argument(..., help="plan-registry or cocreation")) -> None:
    """The source's latest signed head (a C2SP checkpoint), to keep where the platform cannot reach it and
    give later to `planspor-verify --saved-head` (auditor)."""
    note = state.platform.client(_source_url(source), Role.AUDITOR).http_text("/checkpoints/latest")
    sys.stdout.write(note)


@export_app.command("record")
def export_record(
    output: Path = typer.Argument(..., help="the file to write, a zip (e.g. record.zip)"),
    as_json: bool = typer.Option(False, "--json", help="print what was written as JSON"),
) -> None:
    """Every event of both sources with its signature, every signed head and the public keys (auditor):
    a bundle `planspor-verify` checks, and `planspor rebuild --from-bundle` replays."""
    from planspor_cli.exports import export_record as write

    result = write(state.platform, output)
    if as_json:
        return emit(result)
    parts = ", ".join(f"{n['events']} events and {n['heads']} heads of {s}" for s, n in result["sources"].items())
    console.print(f"wrote {output}: {parts}")


class EvidenceKind(StrEnum):
    decision = "decision"
    strategy = "strategy"
    item = "item"
    input = "input"


@export_app.command("evidence")
def export_evidence(
    kind: EvidenceKind = typer.Argument(..., help="decision, strategy, item (a strategy item) or input"),
    id: str = typer.Argument(..., help="the id, or a demo key (adoption, strategy, N1, IN07)"),
    output: Path = typer.Argument(..., help="the file to write, a zip (e.g. evidence.zip)"),
    as_of: str | None = typer.Option(None, "--as-of", help="trace as of this ISO date or datetime"),
    wait: float = typer.Option(
        90.0, "--wait", help="seconds to wait for a signed head that covers the newest event behind it"
    ),
    as_json: bool = typer.Option(False, "--json", help="print what was written as JSON"),
) -> None:
    """The evidence pack of one decision, strategy, strategy item or input (auditor): its trace (JSON and a
    page), every event behind it with its signature and an inclusion proof against its source's signed head."""
    from planspor_cli.exports import export_evidence as write

    trace_kind = "strategy-item" if kind is EvidenceKind.item else kind.value
    resolved = state.resolve(kind.value, id)
    result = write(state.platform, trace_kind, resolved, output, as_of=as_of, wait=wait)
    if as_json:
        return emit(result)
    parts = ", ".join(f"{n['events']} of {s} (head {n['head']})" for s, n in result["sources"].items())
    console.print(f"wrote {output}: the {trace_kind} {resolved}, {result['steps']} steps, events {parts}")


def main() -> None:
    """Console script: errors become one line on stderr and the documented exit code."""
    try:
        # without standalone mode click answers a command's typer.Exit with its code instead of raising it
        code = app(standalone_mode=False)
    except CliError as error:
        Console(stderr=True).print(f"[red]planspor:[/] {error.message}", highlight=False, soft_wrap=True)
        sys.exit(error.code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as error:  # click's usage errors and the like
        import click

        if isinstance(error, click.exceptions.UsageError):
            error.show()
            sys.exit(EXIT_USAGE)
        if isinstance(error, click.exceptions.ClickException):
            error.show()
            sys.exit(error.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
