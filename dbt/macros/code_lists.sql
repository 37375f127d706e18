{#- The code lists of docs/contract/formats.md and docs/contract/metrics.md, in factsheet order. Their one source is the
    var code_lists in dbt_project.yml, which the readers and the factsheets read too
    (dagster_project/domain/code_lists.py); these macros only give it the shapes the models use. -#}

{% macro code_list(name) -%}
    {{ return(var('code_lists')[name]) }}
{%- endmacro %}

{#- Graded aspects: (label, column in staging), factsheet order. Hostmanship is placed by
    aspect_order() but computed from its six items. -#}
{% macro aspect_columns() -%}
    {%- set out = [] -%}
    {%- for a in code_list('aspecten') -%}{%- do out.append((a.label, a.kolom)) -%}{%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{% macro aspect_order() -%}
    {{ return(code_list('aspect_volgorde')) }}
{%- endmacro %}

{% macro hostmanship_columns() -%}
    {{ return(code_list('hostmanship') | map(attribute='kolom') | list) }}
{%- endmacro %}

{#- Digitaal statements: (factsheet line, column in staging), in factsheet order. -#}
{% macro statement_columns() -%}
    {%- set out = [] -%}
    {%- for s in code_list('stellingen') -%}{%- do out.append((s.label, s.kolom)) -%}{%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{% macro in_een_keer_geholpen_label() -%}{{ code_list('in_een_keer_geholpen') }}{%- endmacro %}

{#- Canonical product names per channel, in factsheet order. -#}
{% macro product_order() -%}
    {%- set out = {} -%}
    {%- for kanaal, products in code_list('producten').items() -%}
        {%- do out.update({kanaal: products | map(attribute='naam') | list}) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- A VALUES list (kanaal, label, volgorde) from one of the dicts above. -#}
{% macro order_values(order) -%}
    (values
    {%- for kanaal, labels in order.items() %}
        {%- set outer = loop %}
        {%- for label in labels %}
        ({{ sql_string(kanaal) }}, {{ sql_string(label) }}, {{ loop.index }}){{ ',' if not (outer.last and loop.last) }}
        {%- endfor %}
    {%- endfor %}
    )
{%- endmacro %}

{#- The product list as a relation (lijst_kanaal, lijst_product, lijst_sleutel): a free-text
    product whose product_key() equals lijst_sleutel is that listed product (staging joins on
    it; the names do not clash with the export's columns). -#}
{% macro product_list() -%}
    (select kanaal as lijst_kanaal, product as lijst_product, lower(product) as lijst_sleutel
     from {{ order_values(product_order()) }} as t(kanaal, product, volgorde))
{%- endmacro %}

{#- A product as compared with the list: case and blanks (surrounding, doubled,
    non-breaking) do not count. -#}
{% macro product_key(column) -%}
    lower(trim(regexp_replace({{ column }}, '[\s\x{00a0}]+', ' ', 'g')))
{%- endmacro %}

{#- A period's code from SQL for its year and quarter (none: the year): 2020, 2020-Q1.
    The format is var periode_patroon; dagster_project/domain/periods.py builds the same. -#}
{% macro periode_code(jaar, kwartaal=none) -%}
    {%- if kwartaal is none -%}cast({{ jaar }} as varchar)
    {%- else -%}cast({{ jaar }} as varchar) || '-Q' || cast({{ kwartaal }} as varchar)
    {%- endif -%}
{%- endmacro %}
