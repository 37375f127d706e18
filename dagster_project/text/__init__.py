"""Text rules, free of Dagster and of the readers: how codes and labels are normalised
(``normalise``), how free text is folded before anything is matched (``fold``), which
personal data is redacted (``redaction``, with the name and street lists of
``dutch_lists``) and what may be shown (``sanitise``). The readers and dbt's Python UDFs
import from here; nothing here imports them."""
