{#- The as-of date of the marketing models: var('analytics_as_of_date'), or else the last purchase
    day in the given relation (the end of the data, so a rebuild of old data is reproducible): column
    `column` of int_customers__purchase_days, or last_purchase_date of int_customers__order_summary. -#}
{% macro analytics_as_of_date(relation, column='purchase_date') -%}
    {%- if var('analytics_as_of_date') -%}
        cast('{{ var("analytics_as_of_date") }}' as date)
    {%- else -%}
        (select max({{ column }}) from {{ relation }})
    {%- endif -%}
{%- endmacro %}

{#- The same as-of date as a SQL date literal, asked of the warehouse when the model runs: a filter on a
    literal reaches the scan under it, where the scalar subquery is joined to every row (a day's
    int_customers__activity_times at 1M customers: 6.7 s against 3.0 s). The subquery at parse time and
    before the relation exists (sqlfluff's templater compiles against an empty warehouse). -#}
{% macro analytics_as_of_date_literal(purchase_days_relation) -%}
    {%- if var('analytics_as_of_date') or not execute or load_relation(purchase_days_relation) is none -%}
        {{ return(analytics_as_of_date(purchase_days_relation)) }}
    {%- endif -%}
    {%- set as_of_date = run_query('select max(purchase_date) from ' ~ purchase_days_relation).columns[0].values()[0] -%}
    {{ return(sql_date(as_of_date)) }}
{%- endmacro %}
