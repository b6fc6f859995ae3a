{#- Fails when a model does not hold exactly one row per raw row of its source table:
    the base models must account for every delivered row (staged, superseded, duplicate or
    quarantined), so nothing is silently lost or fanned out by a join. -#}
{% test reconciles_with_source(model, source_name, table_name) %}

with

raw_rows as (
    select count(*) as row_count from {{ raw_source(source_name, table_name) }}
),

model_rows as (
    select count(*) as row_count from {{ model }}
)

select
    raw_rows.row_count as raw_row_count,
    model_rows.row_count as model_row_count
from raw_rows
cross join model_rows
where raw_rows.row_count != model_rows.row_count

{% endtest %}
