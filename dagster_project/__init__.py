"""kto-pipeline: survey exports -> DuckDB warehouse -> KPI marts -> factsheets."""
