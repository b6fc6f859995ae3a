{#- ISO day of the week of a date or timestamp: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_weekday(expression) -%}
    {{ return(adapter.dispatch('iso_weekday', 'customer360')(expression)) }}
{%- endmacro %}

{% macro default__iso_weekday(expression) -%}
    isodow({{ expression }})
{%- endmacro %}

{#- Spark's weekday() counts from 0 = Monday. -#}
{% macro spark__iso_weekday(expression) -%}
    (weekday({{ expression }}) + 1)
{%- endmacro %}
