"""The evidence pack's two texts for people: the trace as a self-contained page, and the README.

The page is one HTML file with its style inline and no script, no font and no image from
anywhere: it opens the same in any browser, offline, years later. It is a rendering of
``trace.json`` and the events; what ``planspor-verify`` checks is those, not the page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from planspor_verify.checkpoint import parse_checkpoint
from planspor_verify.evidence import EvidencePack
from planspor_verify.note import NoteError

TITLE_KEYS = ("title", "plan_title", "name", "summary", "text", "from_party", "label", "description")
DATE_KEYS = (
    "meeting_date",
    "held_on",
    "received_on",
    "dated",
    "adopted_on",
    "published_on",
    "issued_on",
    "scheduled_on",
    "proposed_on",
    "on",
    "date",
)
"""Where a step's own date is (the day it happened in the municipality), before the time its event was recorded."""
FIRST_KEYS = (
    "case_number",
    "sak",
    "body",
    "meeting_date",
    "decided_on",
    "held_on",
    "date",
    "outcome",
    "status",
    "kind",
    "origin",
)
KIND_NAMES = {
    "decision": "Decision",
    "strategy": "Strategy",
    "strategy-item": "Strategy item",
    "input": "Co-creation input",
}

STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:60rem;
padding:0 1rem;color:#1b1b1b}
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:1px solid #ccc}h3{margin:0;font-size:1.05rem}
ol.steps{list-style:none;padding:0}ol.steps>li{border-left:4px solid #2a6f97;padding:.5rem 1rem;margin:1rem 0;
background:#f6f9fb}
.when{color:#444;font-variant-numeric:tabular-nums}.label{font-weight:600;color:#2a6f97}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.5rem 0}dt{color:#555}dd{margin:0}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;
vertical-align:top}td code{word-break:break-all}
pre{background:#f4f4f4;padding:.75rem;overflow-x:auto;font-size:12px;white-space:pre-wrap;word-break:break-all}
code{font-size:.9em}a{color:#1d4f91}
"""


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _anchor(source: Any, position: Any) -> str:
    return f"event-{source}-{position}"


def _title(properties: Mapping[str, Any]) -> str:
    for key in TITLE_KEYS:
        if properties.get(key):
            return _text(properties[key])
    return ""


def _properties(properties: Mapping[str, Any]) -> str:
    keys = [k for k in FIRST_KEYS if k in properties] + sorted(k for k in properties if k not in FIRST_KEYS)
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(_text(properties[k]))}</dd>" for k in keys)
    return f"<dl>{rows}</dl>" if rows else ""


def _event_links(events: Any) -> str:
    items = []
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        href = _anchor(event.get("source"), event.get("position"))
        items.append(
            f'<li><span class="when">{escape(_text(event.get("occurred_at", "")))}</span> '
            f'<a href="#{escape(href)}"><code>{escape(_text(event.get("type", "")))}</code></a> '
            f"{escape(_text(event.get('source', '')))} position {escape(_text(event.get('position', '')))}"
            f"{' (' + escape(_text(event['link'])) + ')' if event.get('link') else ''}</li>"
        )
    return f"<ul>{''.join(items)}</ul>" if items else "<p>No event.</p>"


def effective_date(step: Mapping[str, Any]) -> str:
    """The day the step happened: a date of its own (a meeting, a workshop) or the day its first event was recorded."""
    properties = step.get("properties") or {}
    for key in DATE_KEYS:
        if isinstance(properties.get(key), str) and properties[key][:4].isdigit():
            return str(properties[key])[:10]
    events = step.get("events") or []
    return str(events[0].get("occurred_at", ""))[:10] if events and isinstance(events[0], dict) else ""


def _step(step: Mapping[str, Any], by_id: Mapping[str, tuple[Any, Any]]) -> str:
    properties = step.get("properties") or {}
    events = step.get("events") or []
    when = effective_date(step)
    links = []
    for via in step.get("via") or []:
        made = via.get("created_by")
        where = by_id.get(str(made))
        event = f' (<a href="#{_anchor(*where)}">event</a>)' if where else ""
        origin = via.get("from") or {}
        links.append(
            f"<li>{escape(_text(via.get('relationship', '')))} from {escape(_text(origin.get('label', '')))} "
            f"<code>{escape(_text(origin.get('id', '')))}</code> since {escape(_text(via.get('since', '')))}{event}</li>"
        )
    reached = f"<p>Reached by:</p><ul>{''.join(links)}</ul>" if links else ""
    return (
        f'<li id="step-{escape(_text(step.get("label")))}-{escape(_text(step.get("id")))}">'
        f'<h3><span class="when">{escape(_text(when))}</span> <span class="label">{escape(_text(step.get("label")))}'
        f"</span> {escape(_title(properties))}</h3>"
        f"<p><code>{escape(_text(step.get('id')))}</code></p>{_properties(properties)}{reached}"
        f"<p>Its events:</p>{_event_links(events)}</li>"
    )


def _summary(start: Mapping[str, Any] | None) -> str:
    if not start:
        return ""
    properties = start.get("properties") or {}
    facts = [
        (name, properties.get(key))
        for name, key in (
            ("Body", "body"),
            ("Case number", "case_number"),
            ("Meeting", "meeting_date"),
            ("Outcome", "outcome"),
            ("Adopted", "adopted_on"),
            ("Published", "published_on"),
            ("Status", "status"),
        )
        if properties.get(key)
    ]
    rows = "".join(f"<dt>{escape(name)}</dt><dd>{escape(_text(value))}</dd>" for name, value in facts)
    return f"<h2>The {escape(_text(start.get('label', '')).lower())}</h2><dl>{rows}</dl>" if rows else ""


def _inputs(trace: Mapping[str, Any]) -> str:
    """The co-creation inputs behind it, each with the workshop where it was raised."""
    steps = [s for s in trace.get("steps") or [] if isinstance(s, dict)]
    workshops = {s.get("id"): s for s in steps if s.get("label") == "Workshop"}
    rows = []
    for step in steps:
        if step.get("label") != "Input":
            continue
        properties = step.get("properties") or {}
        workshop = workshops.get(properties.get("workshop_id")) or {}
        held = (workshop.get("properties") or {}).get("held_on", "")
        rows.append(
            f"<tr><td><a href='#step-Input-{escape(_text(step.get('id')))}'>{escape(_text(properties.get('text', '')))}"
            f"</a></td><td>{escape(_text(properties.get('kind', '')))}</td>"
            f"<td>{escape(_title(workshop.get('properties') or {}))}</td><td>{escape(_text(held))}</td></tr>"
        )
    if not rows:
        return ""
    return (
        f"<h2>The inputs behind it ({len(rows)})</h2><table><thead><tr><th>input</th><th>kind</th><th>raised at</th>"
        f"<th>held on</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _forward(trace: Mapping[str, Any]) -> str:
    the_input = trace.get("input") or {}
    parts = [
        f"<h2>The input</h2><h3>{escape(_title(the_input))}</h3>{_properties(the_input)}",
        f"<p>Outcome: <strong>{escape(_text(trace.get('outcome', '')))}</strong>"
        f"{', at stage ' + escape(_text(trace['stage'])) if trace.get('stage') else ''}</p>",
        f"<p>Its events:</p>{_event_links(trace.get('events'))}",
        "<h2>What became of it</h2><ol class='steps'>",
    ]
    for need in trace.get("plan_needs") or []:
        named = need.get("plan_need") or {}
        judgement = need.get("judgement")
        parts.append(
            f"<li><h3><span class='label'>PlanNeed</span> {escape(_title(named))}</h3>{_properties(named)}"
            f"<p>Judgement: {escape(_text(judgement))}</p><p>Its events:</p>{_event_links(need.get('events'))}</li>"
        )
    parts.append("</ol>")
    return "".join(parts)


def _heads(pack: EvidencePack) -> str:
    rows = []
    for part in pack.sources:
        try:
            checkpoint = parse_checkpoint(part.head).checkpoint
            head = f"{checkpoint.size}/{checkpoint.root_b64}", checkpoint.time or ""
        except NoteError:
            head = ("(unreadable)", "")
        keys = "<br>".join(escape(str(k.get("vkey"))) for k in part.keys)
        rows.append(
            f"<tr><td>{escape(part.source)}</td><td><code>{escape(head[0])}</code></td><td>{escape(head[1])}</td>"
            f"<td>{len(part.lines)}</td><td><code>{keys}</code></td></tr>"
        )
    return (
        "<table><thead><tr><th>source</th><th>signed head (size/root)</th><th>issued</th><th>events here</th>"
        f"<th>public keys</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _events(events: Mapping[tuple[str, int], Mapping[str, Any]]) -> str:
    parts = []
    for (source, position), envelope in sorted(events.items()):
        signature = envelope.get("signature") or {}
        parts.append(
            f'<section id="{_anchor(source, position)}"><h3>{escape(source)} position {position}: '
            f"<code>{escape(_text(envelope.get('event_type')))}</code></h3>"
            f"<p class='when'>occurred {escape(_text(envelope.get('occurred_at')))}, by "
            f"{escape(_text((envelope.get('actor') or {}).get('name', '')))}; signed by "
            f"<code>{escape(_text(signature.get('key', '(unsigned)')))}</code></p>"
            f"<pre>{escape(json.dumps(envelope, indent=1, ensure_ascii=False, sort_keys=True))}</pre></section>"
        )
    return "".join(parts)


def trace_page(pack: EvidencePack, events: Mapping[tuple[str, int], Mapping[str, Any]]) -> str:
    """The trace of ``pack`` as one self-contained HTML page, every step linked to its events."""
    trace = pack.trace
    by_id = {str(e.get("event_id")): key for key, e in events.items()}
    kind = KIND_NAMES.get(pack.kind, pack.kind)
    start = next((s for s in trace.get("steps") or [] if s.get("depth") == 0), None)
    start_properties = (start or {}).get("properties") or trace.get("input") or {}
    title = _title(start_properties) or " ".join(
        _text(start_properties[k]) for k in ("case_number", "meeting_date") if start_properties.get(k)
    )
    if pack.kind == "input":
        body = _forward(trace)
    else:
        ordered = sorted(trace.get("steps") or [], key=lambda s: (not effective_date(s), effective_date(s)))
        steps = "".join(_step(step, by_id) for step in ordered)
        body = (
            f"{_summary(start)}{_inputs(trace)}"
            f"<h2>Behind it, by date ({len(ordered)} steps)</h2><ol class='steps'>{steps}</ol>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Evidence: {escape(kind)} {escape(title or pack.subject_id)}</title><style>{STYLE}</style></head><body>"
        f"<h1>Evidence pack: {escape(kind)} {escape(title)}</h1>"
        f"<p><code>{escape(pack.subject_id)}</code>, traced as of {escape(_text(trace.get('as_of', '')))}; "
        f"pack made {escape(_text(pack.created_at or ''))}.</p>"
        "<p>This page is a reading of <code>trace.json</code> and the events in this pack. To check that the events "
        "are the platform's own, signed and in its signed history, run <code>planspor-verify</code> on the pack "
        "(see <code>README.md</code> in it).</p>"
        f"<h2>Signed heads and keys</h2>{_heads(pack)}{body}<h2>The events</h2>{_events(events)}</body></html>\n"
    )


def pack_readme(pack: EvidencePack) -> str:
    """How the auditor who receives the pack checks it."""
    kind = KIND_NAMES.get(pack.kind, pack.kind).lower()
    keys = "\n".join(f"    {k.get('vkey')}" for part in pack.sources for k in part.keys)
    flags = " ".join(f"--key {part.source}.vkey" for part in pack.sources)
    count = sum(len(part.lines) for part in pack.sources)
    return f"""# Evidence pack: {kind} {pack.subject_id}

Made {pack.created_at} by planspor. It holds the trace of this {kind} back to what lies behind it
(`trace.json`, and `trace.html` to read in a browser), the {count} events the trace names, each as its
source signed it (canonical JSON, one per line in `<source>/events.jsonl`), an inclusion proof of each in
its source's signed history (`<source>/proofs.json`), the latest signed head of each source
(`<source>/head.txt`, a C2SP checkpoint) and the sources' public keys (`<source>/keys.json`).

## How to check it

1. Install the verifier alone (Python 3.11 or newer; its only dependency is `cryptography`):

       python -m venv auditor
       auditor/bin/pip install planspor-verify      # or: auditor/bin/pip install ./verify from planspor's source

2. Get the public key of each source from the municipality, through a channel of its own (not from this
   pack). The keys this pack was signed with are:

{keys}

   Put each in a file (`plan-registry.vkey`, `cocreation.vkey`), or give it on the command line.

3. Run:

       auditor/bin/planspor-verify evidence.zip {flags}

   `verified: ...` (exit code 0) means every event is signed by a key you gave, each is at its position in
   its source's signed history (the proof leads to the root of the signed head), each head is signed by a
   key you gave, and every event the trace names is here. `failed: ...` (exit code 1) names the first
   problem. Exit code 2: a key or the pack cannot be read.

To see that the head is the one the platform showed everyone, compare `<source>/head.txt` with a head you or
someone else saved earlier: a later head's history contains an earlier one's (`GET /proofs/consistency` of
the source, or `planspor-verify` on the whole record with `--saved-head`).
"""
