{#- The as-of date of the marketing models: var('analytics_as_of_date'), or else the last purchase
    day in the given per-day relation (the end of the data, so a rebuild of old data is reproducible). -#}
{% macro analytics_as_of_date(purchase_days_relation) -%}
    {%- if var('analytics_as_of_date') -%}
        cast('{{ var("analytics_as_of_date") }}' as date)
    {%- else -%}
        (select max(purchase_date) from {{ purchase_days_relation }})
    {%- endif -%}
{%- endmacro %}
