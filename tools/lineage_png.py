"""docs/lineage*.png: the asset lineage as the Dagster UI draws it, whole and by layer.

Usage: start the UI on the project's instance (`make dev`, after `make demo`), then
``.venv/bin/python tools/lineage_png.py [http://127.0.0.1:3000]``.

The UI is a single-page app that keeps polling, so a plain ``chromium --screenshot``
photographs an empty page. This drives Debian's headless Chromium over the DevTools
protocol instead: open the global lineage, wait until the graph has drawn, screenshot.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websockets
from screenshots import FLAGS  # the same headless Chromium as the other pictures

OUT = Path(__file__).resolve().parent.parent / "docs" / "lineage.png"
PORT = 9333
SKIP_DIALOG = (
    "Array.from(document.querySelectorAll('button'))"
    ".filter(b => b.innerText.trim() === 'Skip').forEach(b => b.click())"
)
ZOOM_OUT_FROM_BOTTOM = 149  # px from the window's bottom edge to the zoom-out button
COUNT_NODES = "document.querySelectorAll('foreignObject').length"


async def _settle(call) -> None:
    """Until the graph's drawn nodes stop changing in number (the UI loads in stages)."""
    deadline, last = time.monotonic() + 120, None
    while time.monotonic() < deadline:
        await asyncio.sleep(3)
        found = await call("Runtime.evaluate", expression=COUNT_NODES, returnByValue=True)
        value = found.get("result", {}).get("value", 0)
        if value and value == last:
            return
        last = value


async def _shoot(
    ws_url: str, page: str, width: int, height: int, expand: bool, zoom_out: int
) -> bytes:
    async with websockets.connect(ws_url, max_size=None) as ws:
        ids = iter(range(1, 10_000))

        async def call(method: str, **params):
            number = next(ids)
            await ws.send(json.dumps({"id": number, "method": method, "params": params}))
            while True:
                message = json.loads(await ws.recv())
                if message.get("id") == number:
                    return message.get("result", {})

        await call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        await call("Page.navigate", url=page)
        await _settle(call)
        # Dismiss the first-visit community dialog, then expand every group (Alt+E).
        await call("Runtime.evaluate", expression=SKIP_DIALOG)
        if expand:
            for kind in ("rawKeyDown", "keyUp"):
                await call(
                    "Input.dispatchKeyEvent",
                    type=kind,
                    modifiers=1,
                    key="e",
                    code="KeyE",
                    windowsVirtualKeyCode=69,
                )
        await _settle(call)
        # Expanded, the graph is taller than the first fit: zoom out on the UI's own button
        # (bottom right, under the slider) until the whole graph is in view.
        for _ in range(zoom_out):
            for kind in ("mousePressed", "mouseReleased"):
                await call(
                    "Input.dispatchMouseEvent",
                    type=kind,
                    x=width - 28,
                    y=height - ZOOM_OUT_FROM_BOTTOM,
                    button="left",
                    clickCount=1,
                )
            await asyncio.sleep(1)
        shot = await call("Page.captureScreenshot", format="png")
        return base64.b64decode(shot["data"])


# The pictures: the whole pipeline with its groups collapsed (readable at a glance), and
# each layer of dbt models on its own (the expanded global graph is too small to read).
LOCATION = "dagster_project.definitions"
PICTURES = {
    "lineage.png": ("/asset-groups", 1600, 1000, False, 0),
    **{
        f"lineage-{group}.png": (
            f"/locations/{LOCATION}/asset-groups/{group}/lineage",
            1800,
            2600 if group == "marts" else 1500,  # the marts are drawn as cards, one under another
            False,
            0,
        )
        for group in ("ingest", "staging", "intermediate", "marts")
    },
}


def main(base: str = "http://127.0.0.1:3000") -> None:
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            ["chromium", *FLAGS, f"--user-data-dir={profile}", f"--remote-debugging-port={PORT}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(60):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/json/list") as r:
                        targets = [t for t in json.load(r) if t["type"] == "page"]
                    if targets:
                        break
                except OSError:
                    pass
                time.sleep(1)
            for name, (path, width, height, expand, zoom_out) in PICTURES.items():
                page = targets[0]["webSocketDebuggerUrl"]
                png = asyncio.run(_shoot(page, base + path, width, height, expand, zoom_out))
                (OUT.parent / name).write_bytes(png)
                print(f"wrote {OUT.parent / name}")
        finally:
            browser.terminate()
            browser.wait(timeout=30)


if __name__ == "__main__":
    main(*sys.argv[1:])
