"""What supports the dbt project (dbt/): preparing its manifest, launching dbt, the
Python functions dbt calls, and the pipeline's half of the models built by year."""
