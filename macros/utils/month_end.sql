{#- The last day of the month of a date. -#}
{% macro month_end(date_expression) -%}
    {{ return(adapter.dispatch('month_end', 'customer360')(date_expression)) }}
{%- endmacro %}

{% macro default__month_end(date_expression) -%}
    last_day({{ date_expression }})
{%- endmacro %}
