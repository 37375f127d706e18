"""The driver analysis wired into the warehouse: int_aspect_correlations (SQL) and
int_aspect_drivers (the dbt Python model) on generated respondents against an independent
computation (statsmodels' OLS R^2 of every subset of aspects, pandas' pairwise
correlations), and kto_prioriteit on the demo's marts against its definition
(docs/metrics.md, "Drivers" and "Priorities")."""

from __future__ import annotations

import importlib.util
import math
import subprocess
from itertools import combinations
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from dagster_project.analysis.drivers import priority_matrix, relative_importance, wide_answers
from dagster_project.domain import code_lists
from dagster_project.settings import Settings
from dagster_project.transform.commands import (
    DBT_PROJECT_DIR,
    dbt_env,
    dbt_executable,
    with_vars,
)

REL = 1e-9
THRESHOLD = 40
MODEL = DBT_PROJECT_DIR / "models" / "intermediate" / "int_aspect_drivers.py"


def _drivers_model():
    spec = importlib.util.spec_from_file_location("int_aspect_drivers", MODEL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _columns() -> dict[str, str]:
    return dict(code_lists.aspects())  # label -> staging column


def _order() -> dict[str, list[str]]:
    return code_lists.code_lists()["aspect_volgorde"]


def _respondents(rng: np.random.Generator, aspects: list[str], n: int) -> pd.DataFrame:
    """Grades 1..10 of overlapping aspects (a common 'service' factor) and an overall grade
    driven by them with weights of the draw."""
    service = rng.normal(0, 1, n)
    raw = {a: rng.uniform(0.2, 1.2) * service + rng.normal(0, 1, n) for a in aspects}
    weights = rng.uniform(0, 1, len(aspects))
    overall = sum(w * raw[a] for w, a in zip(weights, aspects, strict=True))
    raw["Totaaloordeel"] = overall + rng.normal(0, 1.5, n)
    return pd.DataFrame({k: np.clip(np.rint(7 + 1.3 * v / v.std()), 1, 10) for k, v in raw.items()})


def _warehouse(path: Path, channels: dict[str, pd.DataFrame]) -> None:
    """int_responses and stg_one2ten__responses with the columns the model reads, plus
    responses the analysis must leave out (not completed, no totaaloordeel)."""
    columns = _columns()
    responses, staged = [], []
    for kanaal, data in channels.items():
        for i, row in enumerate(data.to_dict("records")):
            rid = f"{kanaal}-{i}"
            host = row.get("Hostmanship")
            responses.append(
                {
                    "response_id": rid,
                    "kanaal": kanaal,
                    "is_voltooid": True,
                    "voltooid_op": pd.Timestamp(2020, 1 + i % 12, 1 + i % 28, 10),
                    "totaaloordeel": row["Totaaloordeel"],
                    # the mean of six items in 60ths: a whole grade is 60 * grade
                    "hostmanship_60": None if pd.isna(host) else int(host * 60),
                }
            )
            staged.append(
                {"response_id": rid} | {c: row.get(label, np.nan) for label, c in columns.items()}
            )
        # left out: abandoned (a grade but not completed), completed without a totaaloordeel
        for j, (voltooid, grade) in enumerate([(False, 1), (True, None)] * 20):
            rid = f"{kanaal}-x{j}"
            responses.append(
                {
                    "response_id": rid,
                    "kanaal": kanaal,
                    "is_voltooid": voltooid,
                    "voltooid_op": pd.Timestamp(2020, 6, 1) if voltooid else None,
                    "totaaloordeel": grade,
                    "hostmanship_60": 60,
                }
            )
            staged.append({"response_id": rid} | dict.fromkeys(columns.values(), 10.0))
    con = duckdb.connect(str(path))
    try:
        frame_r = pd.DataFrame(responses).astype(
            {"totaaloordeel": "Int64", "hostmanship_60": "Int64"}
        )
        frame_s = pd.DataFrame(staged).astype(dict.fromkeys(columns.values(), "Int64"))
        con.execute("create schema intermediate")
        con.execute("create schema staging")
        con.register("frame_r", frame_r)
        con.register("frame_s", frame_s)
        con.execute("create table intermediate.int_responses as select * from frame_r")
        con.execute("create table staging.stg_one2ten__responses as select * from frame_s")
    finally:
        con.close()


def _compiled(warehouse: Path, target: Path) -> str:
    settings = Settings.from_env({"KTO_WAREHOUSE": str(warehouse)})
    subprocess.run(
        [dbt_executable(), *with_vars(
            ["compile", "--quiet", "--select", "int_aspect_correlations",
             "--target-path", str(target),
             "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
            settings.dbt_vars())],
        env=dbt_env(),
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=True,
    )  # fmt: skip
    [path] = target.glob("compiled/*/models/intermediate/int_aspect_correlations.sql")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def model_sql(tmp_path_factory) -> str:
    """The model as dbt compiles it, for a warehouse file named generated.duckdb (DuckDB's
    catalog is the file's stem, so any such file runs it)."""
    root = tmp_path_factory.mktemp("compile")
    return _compiled(root / "generated.duckdb", root / "target")


def _correlations(tmp_path: Path, sql: str, channels: dict[str, pd.DataFrame]) -> pd.DataFrame:
    warehouse = tmp_path / "generated.duckdb"
    _warehouse(warehouse, channels)
    con = duckdb.connect(str(warehouse))
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _ols_r2(data: pd.DataFrame, columns: tuple[str, ...]) -> float:
    if not columns:
        return 0.0
    fit = sm.OLS(data["Totaaloordeel"], sm.add_constant(data[list(columns)])).fit()
    return float(fit.rsquared)


def _shapley(data: pd.DataFrame, aspects: list[str]) -> tuple[dict[str, float], float]:
    """Each aspect's Shapley share of OLS R^2, written out over every subset."""
    p = len(aspects)
    r2 = {s: _ols_r2(data, s) for k in range(p + 1) for s in combinations(aspects, k)}
    shares = {}
    for a in aspects:
        others = [b for b in aspects if b != a]
        total = 0.0
        for k in range(p):
            weight = math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p)
            for s in combinations(others, k):
                with_a = tuple(b for b in aspects if b in s or b == a)
                total += weight * (r2[with_a] - r2[s])
        shares[a] = total
    return shares, r2[tuple(aspects)]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_the_weights_are_the_shapley_shares_of_ols_r2(tmp_path, model_sql, seed):
    rng = np.random.default_rng(seed)
    order = _order()
    channels = {k: _respondents(rng, list(order[k]), 700 + 100 * seed) for k in order}
    weights = _drivers_model().drivers(_correlations(tmp_path, model_sql, channels))
    assert set(weights["kanaal"]) == set(order)
    for kanaal, data in channels.items():
        aspects = list(order[kanaal])
        expected, full = _shapley(data, aspects)
        got = weights[weights["kanaal"] == kanaal].set_index("aspect")
        assert list(got.index) == aspects and list(got["volgorde"]) == list(
            range(1, len(aspects) + 1)
        )
        # the responses left out (not completed, no totaaloordeel) are not counted
        assert (got["respondenten"] == len(data)).all()
        assert (got["n"] == len(data)).all()
        assert got["r2"].iloc[0] == pytest.approx(full, rel=REL)
        for a in aspects:
            assert got.loc[a, "lmg"] == pytest.approx(expected[a], rel=1e-7, abs=1e-12)
            assert got.loc[a, "belang"] == pytest.approx(expected[a] / full, rel=1e-7)
        assert got["belang"].sum() == pytest.approx(1, rel=REL)


@pytest.mark.slow
def test_skipped_answers_are_pairwise_as_pandas_has_them(tmp_path, model_sql):
    rng = np.random.default_rng(7)
    order = _order()
    channels = {}
    for kanaal, aspects in order.items():
        data = _respondents(rng, list(aspects), 600)
        for a in aspects:  # some skip an aspect, most skip Prijs and Doorlooptijd
            share = 0.6 if a in ("Prijs van het product", "Doorlooptijd") else 0.1
            data.loc[rng.random(len(data)) < share, a] = np.nan
        channels[kanaal] = data
    pairs = _correlations(tmp_path, model_sql, channels)
    for kanaal, data in channels.items():
        items = ["Totaaloordeel", *order[kanaal]]
        want_r = data[items].corr(min_periods=2)
        present = data[items].notna().astype(int)
        want_n = present.T @ present
        got = pairs[pairs["kanaal"] == kanaal]
        assert len(got) == len(items) * (len(items) + 1) // 2
        for row in got.itertuples():
            assert row.n == want_n.loc[row.item_a, row.item_b]
            assert row.r == pytest.approx(want_r.loc[row.item_a, row.item_b], rel=REL)


@pytest.mark.slow
def test_a_small_channel_year_gets_no_weights(tmp_path, model_sql):
    rng = np.random.default_rng(3)
    order = _order()
    channels = {"balie": _respondents(rng, list(order["balie"]), 29)}
    weights = _drivers_model().drivers(_correlations(tmp_path, model_sql, channels))
    assert len(weights) == len(order["balie"])
    assert weights["belang"].isna().all() and weights["r2"].isna().all()


# --- kto_prioriteit on the demo's marts ---------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from kto_devtools.demo import write_demo_landing

    from dagster_project.ingest import load_landing
    from dagster_project.transform.commands import run_dbt

    root = tmp_path_factory.mktemp("demo")
    manifest = write_demo_landing(root / "landing")
    warehouse = root / "warehouse.duckdb"
    load_landing(manifest.landing_dir, warehouse)
    # a threshold at which the small municipalities' quarters lose aspects (suppressed and
    # complementarily suppressed), so the mart has figures it must not place
    settings = Settings.from_env(
        {"KTO_WAREHOUSE": str(warehouse), "KTO_MIN_RESPONDENTS": str(THRESHOLD)}
    )
    run = run_dbt(["build"], settings)
    assert run.ok, run.output
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


@pytest.mark.slow
def test_the_warehouse_weights_are_the_analysis_on_int_response_answers(demo):
    answers = demo.execute(
        "select a.response_id, a.kanaal, a.jaar, a.vraag_type, a.vraag, a.cijfer, "
        "r.hostmanship_60 from intermediate.int_response_answers a "
        "join intermediate.int_responses r using (response_id) "
        "where a.jaar is not null and a.kanaal in ('balie', 'telefoon')"
    ).df()
    weights = demo.execute("select * from intermediate.int_aspect_drivers").df()
    order = _order()
    seen = 0
    for (kanaal, jaar), group in answers.groupby(["kanaal", "jaar"]):
        wide = wide_answers(group)
        host = group.drop_duplicates("response_id").set_index("response_id")["hostmanship_60"]
        wide["Hostmanship"] = host.reindex(wide.index).astype(float) / 60
        want = relative_importance(wide, order[kanaal], min_pairs=max(30, THRESHOLD))
        got = weights[(weights["kanaal"] == kanaal) & (weights["jaar"] == jaar)]
        got = got.set_index("aspect")
        assert list(got.index) == list(order[kanaal])
        for a in order[kanaal]:
            assert got.loc[a, "n"] == want.loc[a, "n"]
            assert got.loc[a, "belang"] == pytest.approx(want.loc[a, "importance"], rel=1e-9)
        assert got["r2"].iloc[0] == pytest.approx(want.attrs["r2"], rel=1e-9)
        seen += 1
    assert seen == len(weights.groupby(["kanaal", "jaar"])) >= 5


@pytest.mark.slow
def test_kto_prioriteit_places_only_published_figures_and_ranks_by_its_definition(demo):
    mart = demo.execute("select * from marts.kto_prioriteit").df()
    aspect = demo.execute(
        "select * from marts.kto_aspect where kanaal in ('balie', 'telefoon')"
    ).df()
    keys = ["gemeentecode", "kanaal", "periode", "aspect"]
    assert len(mart) == len(aspect)
    both = mart.merge(aspect, on=keys, suffixes=("", "_a"), validate="1:1")
    # the published values, and nothing where kto_aspect shows nothing
    for column in ("score", "score_exact", "bm", "bm_exact"):
        assert both[column].equals(both[f"{column}_a"]), column
    hidden = both[~both["publiceerbaar"]]
    assert len(hidden) > 0
    assert hidden["verschil"].isna().all() and hidden["kwadrant"].isna().all()
    assert (hidden["reden"] == "niet_getoond").all()
    internal = demo.execute(
        "select gemeentecode, kanaal, periode, figuur as aspect, exact as intern "
        "from intermediate.int_figures where figuur_type = 'aspect'"
    ).df()
    withheld = hidden.merge(internal, on=keys)
    assert withheld["intern"].notna().any()  # values the mart must not carry, in any column
    # (bm and bm_exact are the published BM, equal to kto_aspect's above: a rounded BM can
    # equal a hidden value by chance, 7.9 and 79/10)
    for column in mart.select_dtypes("number").columns.difference(["bm", "bm_exact"]):
        assert not (withheld[column] == withheld["intern"]).any(), column

    weights = demo.execute(
        "select kanaal, jaar, aspect as figuur, belang as importance "
        "from intermediate.int_aspect_drivers"
    ).df()
    scores = aspect.rename(columns={"aspect": "figuur"})
    want = priority_matrix(
        scores, weights, on=("kanaal", "jaar", "figuur"), value="score_exact"
    ).set_index(["gemeentecode", "kanaal", "periode", "figuur"])
    got = mart.set_index(keys)
    want = want.reindex(got.index)
    assert got["prioriteit"].astype("Int64").equals(want["priority"].astype("Int64"))
    assert got["prioriteit"].notna().sum() > 0
    placed = got[got["kwadrant"].notna()]
    assert len(placed) > 0
    verschil = placed["score_exact"] - placed["bm_exact"]
    assert np.allclose(placed["verschil"], verschil, rtol=0, atol=1e-12)
    mean = 1 / weights.dropna().groupby(["kanaal", "jaar"]).size()
    line = placed.join(mean.rename("m"), on=["kanaal", "jaar"])["m"]
    assert np.allclose(placed["belang_gemiddeld"], line)
    belangrijk = placed["belang"] >= line
    onder = placed["verschil"] < 0
    kwadrant = np.where(
        belangrijk,
        np.where(onder, "belangrijk_onder_bm", "belangrijk_niet_onder_bm"),
        np.where(onder, "minder_belangrijk_onder_bm", "minder_belangrijk_niet_onder_bm"),
    )
    assert (placed["kwadrant"] == kwadrant).all()
    assert set(placed["kwadrant"]) == set(kwadrant) and len(set(kwadrant)) == 4
