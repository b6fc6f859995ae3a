{#- Sorted, de-duplicated values of a column joined by a separator, as one string per group. -#}
{% macro list_agg_distinct(expression, separator='+') -%}
    {{ return(adapter.dispatch('list_agg_distinct', 'customer360')(expression, separator)) }}
{%- endmacro %}

{% macro default__list_agg_distinct(expression, separator) -%}
    array_join(sort_array(collect_set({{ expression }})), '{{ separator }}')
{%- endmacro %}

{% macro duckdb__list_agg_distinct(expression, separator) -%}
    string_agg(distinct {{ expression }}, '{{ separator }}' order by {{ expression }})
{%- endmacro %}
