{#- Parse an exported date (YYYY-MM-DD, or day-first DD/MM/YYYY, or a timestamp's date part).
    Impossible dates (2023-02-30, 0000-00-00) become null. -#}
{% macro parse_date(column) -%}
    cast({{ parse_timestamp(column) }} as date)
{%- endmacro %}
