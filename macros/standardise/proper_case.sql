{#- First letter upper, the rest lower: undoes the all-caps and all-lower noise of exports in place names
    (cities). People's names have their own rules (name_case: particles, O', Mc, hyphens). -#}
{% macro proper_case(column) -%}
    upper(substr({{ column }}, 1, 1)) || lower(substr({{ column }}, 2))
{%- endmacro %}
