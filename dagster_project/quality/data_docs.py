"""GX Data Docs for the last validations, written as a local site under the output folder.

GX builds Data Docs from the context's stores, and an ephemeral context keeps
them in memory: so the site shows the validations this process ran (the latest
per suite and frame), and each build removes pages of validations it does not
hold. ``kto check`` and a Dagster run with the in-process executor validate
every suite in one process, so the site is that run's.

GX's pages load Bootstrap and jQuery from CDNs: offline they show their
content unstyled and the index table stays empty. ``last_check.html`` beside
them needs nothing from the network: each suite and asset, its failing rules
with the offending rows, and links to GX's page per validation.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable
from pathlib import Path

from .runner import SuiteResult, _lock, gx_context

SUMMARY_PAGE = "last_check.html"

# per docs folder: the latest result per (suite, asset) this process wrote there
_latest: dict[Path, dict[tuple[str, tuple[str, ...]], SuiteResult]] = {}


def data_docs_dir(output_dir: Path) -> Path:
    return Path(output_dir) / "quality" / "data_docs"


def _site_name(docs_dir: Path) -> str:
    return "kto_" + hashlib.sha1(str(docs_dir).encode()).hexdigest()[:12]


def build_data_docs(docs_dir: Path, results: Iterable[SuiteResult]) -> Path:
    """Render GX Data Docs for these results' validations and the offline summary page.

    Returns the summary page; GX's own entry page is ``index.html`` beside it.
    """
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    docs_dir = Path(docs_dir).resolve()
    results = list(results)
    with _lock:
        gx = gx_context()
        context = gx.context
        site = _site_name(docs_dir)
        if site not in context.list_data_docs_sites():
            docs_dir.mkdir(parents=True, exist_ok=True)
            context.add_data_docs_site(
                site,
                {
                    "class_name": "SiteBuilder",
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(docs_dir),
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
        wanted = {name for r in results for name in r.gx_suites}
        keys = [
            k
            for k in context.validation_results_store.list_keys()
            if k.expectation_suite_identifier.name in wanted
        ]
        identifiers = [*keys, *(ExpectationSuiteIdentifier(name) for name in sorted(wanted))]
        context.build_data_docs(site_names=[site], resource_identifiers=identifiers)
        pages = {}
        for key in keys:
            url = context.get_docs_sites_urls(resource_identifier=key, site_name=site)[0]
            path = (url.get("site_url") or "").removeprefix("file://")
            if path:
                pages[key.expectation_suite_identifier.name] = Path(path)

        latest = _latest.setdefault(docs_dir, {})
        for result in results:
            latest[(result.suite, result.asset)] = result
        page = docs_dir / SUMMARY_PAGE
        page.write_text(_summary_html(list(latest.values()), pages, docs_dir), encoding="utf-8")
    return page


def _summary_html(results: list[SuiteResult], pages: dict[str, Path], docs_dir: Path) -> str:
    esc = html.escape
    ok = all(r.success for r in results)
    parts = [
        "<!doctype html><html lang='en'><meta charset='utf-8'>",
        "<title>kto-pipeline: quality check</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:80em}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}"
        "td,th{border:1px solid #bbb;padding:2px 6px;text-align:left;font-size:90%}"
        ".ok{color:#1a7f37}.fail{color:#c62828}</style>",
        "<h1>Quality check: "
        + ("<span class=ok>all rules hold</span>" if ok else "<span class=fail>rules fail</span>")
        + "</h1>",
        "<p>Great Expectations suites of expectations/*.json on the warehouse. "
        "<a href='index.html'>GX Data Docs index</a> (styled when online).</p>",
        "<table><tr><th>suite</th><th>asset</th><th>expectations</th><th>failing rules</th>"
        "<th>rows</th><th>seconds</th><th>GX pages</th></tr>",
    ]
    for r in sorted(results, key=lambda r: (r.suite, r.asset)):
        links = " ".join(
            f"<a href='{esc(pages[name].relative_to(docs_dir).as_posix())}'>"
            f"{esc(name.split('.', 1)[1])}</a>"
            for name in r.gx_suites
            if name in pages and pages[name].is_relative_to(docs_dir)
        )
        status = (
            "<span class=ok>0</span>" if r.success else f"<span class=fail>{len(r.failures)}</span>"
        )
        rows = ", ".join(f"{k} {v}" for k, v in r.rows.items())
        parts.append(
            f"<tr><td>{esc(r.suite)}</td><td>{esc(r.asset_path)}</td><td>{r.evaluated}</td>"
            f"<td>{status}</td><td>{esc(rows)}</td><td>{r.seconds:.2f}</td><td>{links}</td></tr>"
        )
    parts.append("</table>")
    for r in results:
        for f in r.failures:
            parts.append(
                f"<h3 class=fail>{esc(f.suite)} / {esc(f.rule)}: {f.failing_rows} rows</h3>"
                f"<p>{esc(f.description)}<br><code>{esc(f.expectation_type)}</code> on "
                f"<code>{esc(f.frame)}</code>: <code>{esc(f.column)}</code></p>"
            )
            if f.error:
                parts.append(f"<p class=fail>{esc(f.error)}</p>")
            if f.sample:
                columns = list(f.sample[0])
                parts.append(
                    "<table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in columns) + "</tr>"
                )
                for row in f.sample:
                    parts.append(
                        "<tr>" + "".join(f"<td>{esc(str(row[c]))}</td>" for c in columns) + "</tr>"
                    )
                parts.append("</table>")
    parts.append("</html>\n")
    return "\n".join(parts)
