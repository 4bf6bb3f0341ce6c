"""The HTML report of the demo fleet in a real browser: headless Chromium (Debian's package,
installed by tests/run.sh) opens it from file:// with every request sent to a proxy this test
owns, which fails the test on any connection; the rendered DOM holds every site, finding and
verdict; screenshots at desktop and A4 width. ``UPDATE_SCREENSHOTS=1`` refreshes docs/*.png
(and fails: re-run)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from bundle_kit import ROOT, driftctl
from fleet_kit import Fleet
from golden_kit import updated, updating
from reports_kit import HOSTILE
from snapshot_kit import snapshot_dict, workload

from driftctl.formats.escape import visible
from driftctl.policy.load import load_policy

MAX_BYTES = 1024 * 1024
RENDER_BUDGET_S = 2.0
DESKTOP = (1400, 1000)
A4 = (794, 1123)  # A4 at 96 dpi: the width a printed page has
DOCS = ROOT / "docs"


class Refs(HTMLParser):
    """Everything in a page that could make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.external: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            value = value or ""
            if name in ("src", "srcset", "data", "poster", "action", "background", "ping"):
                self.external.append(f"{tag} {name}={value}")
            if name in ("href", "xlink:href") and not value.startswith("#"):
                self.external.append(f"{tag} {name}={value}")
            if name == "style" and "url(" in value:
                self.external.append(f"{tag} style={value}")

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


# Chromium itself (not the page) calls these even with background networking disabled: its
# component updater and account service. They reach nothing either (the proxy answers nothing);
# a request to any other host came from the page, and fails the test. A canary page proves the
# trap sees page requests.
BROWSER_OWN = frozenset(
    {"update.googleapis.com", "accounts.google.com", "clients2.google.com", "redirector.gvt1.com"}
)


def _host(request: bytes) -> str:
    words = request.split(b" ", 2)
    if len(words) < 2:
        return "?"
    target = words[1].decode("latin-1")
    target = target.split("://", 1)[-1]
    return target.split("/", 1)[0].rsplit(":", 1)[0]


class Trap:
    """A proxy that answers nothing and records every connection the browser tries."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.hits.append(conn.recv(200) or b"<connect>")
                except OSError:
                    self.hits.append(b"<connect>")

    def page_hits(self) -> list[bytes]:
        """Requests that did not come from Chromium's own services: the page's."""
        return [h for h in self.hits if _host(h) not in BROWSER_OWN]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def chromium_binary() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-headless-shell")
    assert found, "chromium is missing: tests/run.sh installs Debian's chromium package"
    return found


def chromium(
    page: Path, profile: Path, proxy: int, *extra: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    args = [
        chromium_binary(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        # Chromium's own background requests (network time, hints, safe browsing), so that any
        # connection the proxy sees comes from the page.
        "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,Translate,MediaRouter,"
        "AutofillServerCommunication,CertificateTransparencyComponentUpdater",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--disable-default-apps",
        "--no-pings",
        "--metrics-recording-only",
        "--safebrowsing-disable-auto-update",
        f"--proxy-server=127.0.0.1:{proxy}",
        f"--user-data-dir={profile}",
        *extra,
        page.resolve().as_uri(),
    ]
    started = time.monotonic()
    res = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return res, time.monotonic() - started


@pytest.fixture(scope="module")
def fleet_page(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fleet-page")
    store = str(fleet.store)
    page = base / "report.html"
    release = "manifests/release.example.yaml"
    res = driftctl("report", "--html", str(page), "--release", release, "--store", store)
    assert res.returncode == 1, res.stderr  # the example release is blocked at three sites
    assert f"wrote {page}" in res.stderr
    res = driftctl("diff", "--store", store, "--format", "json", "--fail-on", "never")
    (base / "diff.json").write_text(res.stdout)
    res = driftctl("preflight", "--store", store, "-r", release, "--format", "json")
    (base / "preflight.json").write_text(res.stdout)
    return page


def test_page_is_one_self_contained_file(fleet_page: Path) -> None:
    html = fleet_page.read_text(encoding="utf-8")
    size = len(html.encode())
    print(f"\nHTML report of the demo fleet: {size} bytes ({size / MAX_BYTES:.1%} of 1 MB)")
    assert size <= MAX_BYTES
    refs = Refs()
    refs.feed(html)
    assert refs.external == []
    assert not {"script", "link", "img", "iframe", "object", "embed", "base"} & set(refs.tags)
    css = "".join(refs.styles)
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
    assert "@media print" in css  # printable
    assert "<svg" in html  # the clock chart, inline


def test_the_board_counts_the_policys_rules_as_the_text_report_does(fleet_page: Path) -> None:
    """The text summary says "8 rules"; the page's rules column and "all N rules pass" agree
    (freshness and release are checks beside the policy, not rules of it)."""
    rules = len(load_policy(None).rules)
    html = fleet_page.read_text(encoding="utf-8")
    row = html[html.index('id="pf-capital"') :]
    row = row[: row.index("</tr>")]
    assert f'<td class="num">{rules}</td>' in row and f"all {rules} rules pass" in row, row


def test_chromium_renders_every_site_finding_and_verdict(
    fleet: Fleet, fleet_page: Path, tmp_path: Path
) -> None:
    trap = Trap()
    try:
        empty = tmp_path / "empty.html"
        empty.write_text("<!DOCTYPE html><title>x</title>")
        _, baseline = chromium(empty, tmp_path / "p0", trap.port, "--dump-dom")
        res, wall = chromium(fleet_page, tmp_path / "p1", trap.port, "--dump-dom")
        assert res.returncode == 0, res.stderr[-2000:]
        dom = res.stdout
        shots = {}
        for name, (w, h) in (("desktop", DESKTOP), ("a4", A4)):
            shot = tmp_path / f"report-{name}.png"
            res, _ = chromium(
                fleet_page,
                tmp_path / f"p-{name}",
                trap.port,
                f"--screenshot={shot}",
                f"--window-size={w},{h}",
            )
            assert res.returncode == 0 and shot.stat().st_size > 10_000, res.stderr[-2000:]
            shots[name] = shot
    finally:
        trap.close()
    page_s = max(wall - baseline, 0.0)
    print(
        f"\nChromium --dump-dom: {wall:.2f} s for the report, {baseline:.2f} s for an empty page"
        f" (the report's own share {page_s:.2f} s)"
    )
    assert trap.page_hits() == [], f"the page made the browser connect out: {trap.hits}"
    assert page_s <= RENDER_BUDGET_S
    assert "<svg" in dom
    diff = json.loads((fleet_page.parent / "diff.json").read_text())
    preflight = json.loads((fleet_page.parent / "preflight.json").read_text())
    assert sorted(preflight["sites"]) == sorted(fleet.sites)
    for site in fleet.sites:
        assert f'id="site-{site}"' in dom and f'id="pf-{site}"' in dom, site
        verdict = preflight["sites"][site]["verdict"]
        row = dom[dom.index(f'id="pf-{site}"') :]
        assert f'class="verdict v-{verdict}">{verdict}<' in row[:600], site
        for finding in preflight["sites"][site]["findings"]:
            reason = finding["message"].removeprefix(
                finding["rule"] + ": "
            )  # the rule is beside it
            assert finding["rule"] in row and _html(reason) in row, finding
    for finding in diff["findings"]:
        assert _html(finding["key"]) in dom, finding["key"]
        for value in finding["values"].values():
            if isinstance(value, str):
                assert _html(value) in dom, value  # whole, never cut
    if updating("UPDATE_SCREENSHOTS"):
        DOCS.mkdir(exist_ok=True)
        for name, shot in shots.items():
            shutil.copyfile(shot, DOCS / f"report-{name}.png")
        updated([DOCS / f"report-{name}.png" for name in shots], "UPDATE_SCREENSHOTS")


def _html(text: str) -> str:
    """``text`` as the browser serialises a text node: only ``&``, ``<`` and ``>`` escaped."""
    return visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_hostile_values_are_text_in_the_browser(tmp_path: Path) -> None:
    evil = workload(annotations={"x": f"<script>alert(1)</script>{HOSTILE}"})
    snap = snapshot_dict("evil", workloads={"a/Deployment/w": evil})
    good = snapshot_dict("good", workloads={"a/Deployment/w": workload(annotations={"x": "y"})})
    args = []
    for n, s in (("1", snap), ("2", good)):
        path = tmp_path / f"{n}.json"
        path.write_text(json.dumps(s))
        args += ["--snapshot", str(path)]
    page = tmp_path / "page.html"
    res = driftctl("diff", *args, "--format", "html", "--output", str(page), "--fail-on", "never")
    assert res.returncode == 0, res.stderr
    trap = Trap()
    try:
        res, _ = chromium(page, tmp_path / "p", trap.port, "--dump-dom")
    finally:
        trap.close()
    assert res.returncode == 0 and trap.page_hits() == [], trap.hits
    dom = res.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom and "<script" not in dom
    assert "\\x1b]52;c;" in dom and "\x1b" not in dom and "\u202e" not in dom


def test_the_trap_sees_a_page_request(tmp_path: Path) -> None:
    canary = tmp_path / "canary.html"
    canary.write_text('<!DOCTYPE html><img src="http://canary.invalid/x.png">')
    trap = Trap()
    try:
        res, _ = chromium(canary, tmp_path / "p", trap.port, "--dump-dom")
    finally:
        trap.close()
    assert res.returncode == 0
    assert {_host(h) for h in trap.page_hits()} == {"canary.invalid"}, trap.hits
