{#- The last space-separated word of a string. -#}
{% macro last_word(expression) -%}
    {{ return(adapter.dispatch('last_word', 'customer360')(expression)) }}
{%- endmacro %}

{% macro default__last_word(expression) -%}
    element_at(split({{ expression }}, ' '), -1)
{%- endmacro %}

{% macro duckdb__last_word(expression) -%}
    string_split({{ expression }}, ' ')[-1]
{%- endmacro %}
