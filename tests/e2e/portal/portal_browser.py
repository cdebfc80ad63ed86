"""A real Chromium on the portal, as the browser tests use it: every request is routed and anything not on this
machine is blocked and recorded; each page visited is checked by axe-core and saved as a screenshot; the labels
of a page are found through the message catalogues.

Chromium is Debian's (``/usr/bin/chromium``), started by Playwright with a fresh profile and no background
networking (Playwright's own browser download is not reachable, and not needed).
"""

from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from portal.i18n import PLACEHOLDER, catalogue

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = REPO / "var" / "portal" / "screenshots"
SEPARATORS = re.compile(r"\s+[·–]\s+|\s*\(|\)\s*|,\s+")
"""Between a label and the data beside it in one text node (``Valgperiode 2024-2027 · overlevert``); not ``: ``,
which data has too (a decision's subject ``Vedtak: Kommunedelplan for ...``)."""


def on_this_machine(url: str) -> bool:
    """Loopback (127.0.0.0/8, ::1, localhost) or no network at all (data:, blob:, about:)."""
    parsed = urlparse(url)
    if parsed.scheme in {"data", "blob", "about", "chrome-error"}:
        return True
    host = (parsed.hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class NetworkGuard:
    """Lets loopback requests through and blocks, before they leave the browser, all others."""

    allowed: int = 0
    blocked: list[str] = field(default_factory=list)

    def handle(self, route, request) -> None:
        if on_this_machine(request.url):
            self.allowed += 1
            route.continue_()
        else:
            self.blocked.append(request.url)
            route.abort("blockedbyclient")


def _pattern(text: str) -> re.Pattern[str]:
    parts = PLACEHOLDER.split(text)
    body = "".join(re.escape(p) if i % 2 == 0 else ".+?" for i, p in enumerate(parts))
    return re.compile(rf"\s*{body.strip()}\s*\Z", re.S)


@dataclass(frozen=True)
class Labels:
    """The catalogue values that differ between the languages, as patterns (placeholders match anything)."""

    only: dict[str, dict[str, re.Pattern[str]]]
    texts: dict[str, dict[str, str]]

    @classmethod
    def load(cls) -> Labels:
        nb, en = catalogue("nb").messages, catalogue("en").messages
        keys = [k for k in nb if nb[k] != en[k] and not k.startswith(("format.", "month."))]
        return cls(
            {"nb": {k: _pattern(nb[k]) for k in keys}, "en": {k: _pattern(en[k]) for k in keys}},
            {"nb": {k: nb[k] for k in keys}, "en": {k: en[k] for k in keys}},
        )

    def untranslated(self, found_in_nb: set[str], found_in_en: set[str]) -> set[str]:
        """Bokmål labels none of whose keys (one text may serve several) shows its English text."""
        nb = self.texts["nb"]
        return {key for key in found_in_nb if not any(nb[other] == nb[key] for other in found_in_en)}

    def found(self, language: str, texts: list[str]) -> set[str]:
        """Keys whose label in ``language`` is one of the texts, or a part of one between separators."""
        segments = {
            s.strip().rstrip(":").strip() for text in texts for s in [text, *SEPARATORS.split(text)] if s and s.strip()
        }
        plain = self.texts[language]
        found = {key for key, text in plain.items() if "{" not in text and text in segments}
        for key, text in plain.items():
            if "{" in text:
                head = text.split("{", 1)[0].strip()
                if any(s.startswith(head) and self.only[language][key].match(s) for s in segments):
                    found.add(key)
        return found


TEXTS_JS = """() => {
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    if (!parent || parent.closest('script, style, template')) continue;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text) out.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]'))
    for (const name of ['aria-label', 'title', 'placeholder', 'alt'])
      if (el.hasAttribute(name) && el.getAttribute(name).trim()) out.push(el.getAttribute(name).trim());
  return out;
}"""


@dataclass
class AxeFinding:
    page: str
    rule: str
    impact: str
    help: str
    targets: list[str]


@dataclass
class Browser:
    context: object
    base: str
    guard: NetworkGuard
    page: object = None
    visited: list[str] = field(default_factory=list)
    findings: list[AxeFinding] = field(default_factory=list)
    axe_rules_passed: int = 0
    axe_seconds: float = 0.0
    role: str | None = None
    shots: int = 0

    def __post_init__(self) -> None:
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob("*.png"):
            old.unlink()
        self._axe = AXE.read_text(encoding="utf-8")

    def goto(self, path: str):
        response = self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        return response

    def checked(self, name: str, axe: bool = True) -> None:
        """axe-core on the page as it stands, and a screenshot of it under var/portal/screenshots."""
        self.shots += 1
        if not axe:
            self.page.screenshot(path=str(SCREENSHOTS / f"{self.shots:02d}-{name}.png"))
            return
        self.visited.append(name)
        started = time.perf_counter()
        self.page.evaluate(self._axe)
        result = self.page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
        self.axe_seconds += time.perf_counter() - started
        self.axe_rules_passed += len(result["passes"])
        for violation in result["violations"]:
            if violation["impact"] in ("serious", "critical"):
                self.findings.append(
                    AxeFinding(
                        name,
                        violation["id"],
                        violation["impact"],
                        violation["help"],
                        [" ".join(n["target"]) for n in violation["nodes"][:5]],
                    )
                )
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.shots:02d}-{name}.png"))

    def picture(self, selector: str, path: Path, height: int = 1400) -> None:
        """A picture of one part of the page (at most ``height`` pixels of it), for the README."""
        box = self.page.locator(selector).bounding_box()
        self.page.screenshot(
            path=str(path),
            full_page=True,
            clip={
                "x": max(box["x"] - 16, 0),
                "y": max(box["y"] - 16, 0),
                "width": box["width"] + 32,
                "height": min(box["height"] + 32, height),
            },
        )

    def visit(self, path: str, name: str):
        response = self.goto(path)
        self.checked(name)
        return response

    def texts(self) -> list[str]:
        return self.page.evaluate(TEXTS_JS)

    def sign_in(self, role: str) -> None:
        """Signed in with ``role``'s development token through the sign-in form (once per change of role)."""
        if self.role == role:
            return
        self.goto("/sign-in")
        if self.page.locator("form[action='/sign-out'] button").count():
            self.page.locator("form[action='/sign-out'] button").click()
            self.page.wait_for_load_state("networkidle")
        self.page.fill("#token", f"dev-{role}-token")
        self.page.locator("form.narrow button[type=submit]").click()
        self.page.wait_for_load_state("networkidle")
        self.role = role

    def choose_language(self, language: str) -> None:
        self.page.locator(f"a.language[hreflang='{language}']").click()
        self.page.wait_for_load_state("networkidle")
