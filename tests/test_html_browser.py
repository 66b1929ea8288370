"""The HTML reports in a real browser: no console errors, the chart laid out, a non-blank page, and a
page short enough to read (under 4,000 px at 1,400 px wide with everything collapsed).

Skipped only when chromium is missing on a developer machine; in CI (``CI`` set) it must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "reports" / "examples" / "netra-backend-staging-2025-09-15.html"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]
# Prints the chart's laid-out size into the DOM, so that --dump-dom shows it (the report has no JS).
PROBE = (
    "<script>addEventListener('load',()=>{const s=document.querySelector('svg.timeline-chart');"
    "const r=s?s.getBoundingClientRect():{width:0,height:0};"
    "document.body.setAttribute('data-chart',Math.round(r.width)+'x'+Math.round(r.height));});</script>"
)

# Writes the laid-out page height into the DOM for --dump-dom.
HEIGHT_PROBE = (
    "<script>addEventListener('load',()=>{document.body.setAttribute('data-height',"
    "Math.ceil(document.documentElement.getBoundingClientRect().height));});</script>"
)
MAX_HEIGHT_PX = 4000
EXAMPLES = sorted((ROOT / "reports" / "examples").glob("*.html"))

# A real browser per test: part of the full suite (--run-slow), which CI runs.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                       reason="chromium not installed (this test always runs in CI)"),
]


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless chromium with a throw-away profile and return its output."""
    assert CHROMIUM is not None, "chromium must be installed in CI"
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def console_errors(stderr: str) -> list[str]:
    """Lines of chromium's log that carry page console output (console.error logs at INFO:CONSOLE too).

    The report has no JavaScript, so any console line at all is a fault.
    """
    return [ln for ln in stderr.splitlines() if "Uncaught" in ln or ":CONSOLE" in ln]


def test_report_renders_without_console_errors_and_lays_out_the_chart(tmp_path: Path) -> None:
    """The DOM after load holds the chart SVG with a nonzero laid-out size and the page logs no error."""
    page = tmp_path / "report.html"
    page.write_text(
        REPORT.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    run = chromium(
        tmp_path, "--window-size=1200,3000", "--virtual-time-budget=2000", "--dump-dom", page.as_uri()
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert console_errors(run.stderr) == []
    assert 'class="timeline-chart"' in run.stdout
    width, height = (int(x) for x in run.stdout.split('data-chart="')[1].split('"')[0].split("x"))
    assert width > 300 and height > 100


def test_report_screenshot_is_not_blank(tmp_path: Path) -> None:
    """The unmodified report screenshots to a PNG with real variety of colours (text, tables, chart)."""
    from matplotlib import image

    shot = tmp_path / "report.png"
    run = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,3000", REPORT.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    assert console_errors(run.stderr) == []
    pixels = image.imread(str(shot))
    assert pixels.shape[0] >= 3000 and pixels.shape[1] >= 1200
    rgb = (pixels[..., :3] * 255).astype("uint8").reshape(-1, 3)
    colours = {tuple(c) for c in rgb[::97]}
    assert len(colours) > 50
    assert 0.02 < (rgb.sum(axis=1) < 600).mean() < 0.9


@pytest.mark.parametrize("report", EXAMPLES, ids=lambda p: p.stem)
def test_report_page_is_under_4000_px_at_1400_px_wide(report: Path, tmp_path: Path) -> None:
    """Each example report, as it opens (evidence collapsed), is under 4,000 px tall at 1,400 px wide."""
    page = tmp_path / "report.html"
    page.write_text(
        report.read_text(encoding="utf-8").replace("</body>", HEIGHT_PROBE + "</body>"), encoding="utf-8"
    )
    run = chromium(
        tmp_path, "--window-size=1400,900", "--virtual-time-budget=2000", "--dump-dom", page.as_uri()
    )
    assert run.returncode == 0, run.stderr[-2000:]
    height = int(run.stdout.split('data-height="')[1].split('"')[0])
    assert 500 < height < MAX_HEIGHT_PX
