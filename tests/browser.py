"""Measuring pages in headless Chromium (Debian's `chromium`, installed by `make setup`).

The pages are served from a local HTTP server on a free port, so a harness page
can load each one in an iframe of a given width and read its layout (same
origin). One browser start measures every page.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

_HARNESS = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<pre id="out"></pre>
<script>
const pages = %(pages)s, width = %(width)d, selector = %(selector)s;
const out = {};
function measure(doc, win) {
  let smallest = null;
  for (const el of doc.querySelectorAll(selector)) {
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.getClientRects().length === 0) continue;
    const size = parseFloat(win.getComputedStyle(el).fontSize);
    if (smallest === null || size < smallest.size) {
      smallest = {size: size, text: el.textContent.trim().slice(0, 40)};
    }
  }
  // the innermost elements that stick out on the right, to name in a failure
  const out = el => el.getBoundingClientRect().right > win.innerWidth + 0.5;
  const wide = Array.from(doc.querySelectorAll("body *"))
    .filter(el => out(el) && !Array.from(el.children).some(out))
    .slice(0, 5)
    .map(el => el.tagName.toLowerCase() + "." + el.className + ": "
               + el.textContent.trim().slice(0, 40));
  return {scrollWidth: doc.documentElement.scrollWidth, innerWidth: win.innerWidth,
          bodyScrollWidth: doc.body.scrollWidth, smallest: smallest, wide: wide,
          broken: brokenWords(doc), overflowing: overflowingCells(doc),
          kpiBottom: bottomOf(doc, win, ".kpi")};
}
const CELLS = "td, th, .hrij > *, .afwijkingen > *, .themarij > *, .kpi, .tegel, .vkolom";
const where = el => el.tagName.toLowerCase() + "." + el.className;
// A word (between spaces or zero-width spaces, where a break is allowed) whose line
// boxes lie on more than one line is broken inside; free-text tips may break anywhere.
function brokenWords(doc) {
  const found = [];
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(".tips, script, style, option")) continue;
    // a piece ends at a space, a zero-width space or after a hyphen before a letter
    // ("e-|mailadressen"): the breaks a Dutch text allows; "-6" or "68%%" stays one piece
    const re = /[^\\s\\u200b-]*(?:-(?=\\p{L})|[^\\s\\u200b]*)/gu;
    for (let m = re.exec(node.textContent); m; m = re.exec(node.textContent)) {
      if (!m[0]) { re.lastIndex++; continue; }
      const range = doc.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = Array.from(range.getClientRects()).filter(r => r.width > 0);
      if (rects.length < 2) continue;
      const tops = rects.map(r => r.top), height = Math.min(...rects.map(r => r.height));
      if (Math.max(...tops) - Math.min(...tops) > height / 2) {
        found.push({word: m[0], where: where(parent), lines: rects.length});
      }
    }
  }
  return found.slice(0, 10);
}
// A cell whose content is wider than the cell: clipped or drawn over its neighbour.
function overflowingCells(doc) {
  return Array.from(doc.querySelectorAll(CELLS))
    .filter(el => el.getClientRects().length && el.scrollWidth > el.clientWidth + 1)
    .slice(0, 10)
    .map(el => ({where: where(el), text: el.textContent.trim().slice(0, 40),
                 scrollWidth: el.scrollWidth, clientWidth: el.clientWidth}));
}
// The lowest bottom edge (px from the top of the page) of the elements matching sel.
function bottomOf(doc, win, sel) {
  const b = Array.from(doc.querySelectorAll(sel)).map(el => el.getBoundingClientRect().bottom);
  return b.length ? Math.max(...b) + win.scrollY : null;
}
(async () => {
  for (const page of pages) {
    const frame = document.createElement("iframe");
    frame.style.width = width + "px"; frame.style.height = "800px"; frame.style.border = "0";
    await new Promise(done => {
      frame.onload = done; frame.src = page; document.body.appendChild(frame);
    });
    out[page] = measure(frame.contentDocument, frame.contentWindow);
    frame.remove();
  }
  document.getElementById("out").textContent = JSON.stringify(out);
})();
</script></body></html>"""


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError(
            "chromium is not installed: run `make setup` (it installs Debian's chromium)"
        )
    return path


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """An HTTP server on a free local port serving ``root``; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def measure_pages(root: Path, pages: list[str], width: int, selector: str = "body *") -> dict:
    """Per page (path relative to ``root``): scrollWidth, innerWidth and the smallest font
    size (px) of the visible elements matching ``selector`` that hold text themselves;
    ``broken``: words drawn on more than one line (outside the tips), ``overflowing``:
    table and grid cells whose content is wider than they are, ``kpiBottom``: how far
    down the page (px) the headline figures' boxes end (None without them)."""
    harness = _HARNESS % {
        "pages": json.dumps(["/" + p for p in pages]),
        "width": width,
        "selector": json.dumps(selector),
    }
    (root / "_harness.html").write_text(harness, encoding="utf-8")
    with serve(root) as base, tempfile.TemporaryDirectory() as profile:
        run = subprocess.run(
            [
                chromium(),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--virtual-time-budget=60000",
                "--dump-dom",
                f"{base}/_harness.html",
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    (root / "_harness.html").unlink()
    found = re.search(r'<pre id="out">(.*?)</pre>', run.stdout, re.S)
    if not found or not found.group(1):
        raise RuntimeError(f"chromium measured nothing: {run.stderr[-2000:]}")
    return {k.lstrip("/"): v for k, v in json.loads(unescape(found.group(1))).items()}
