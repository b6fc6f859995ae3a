{#- First letter upper, the rest lower: undoes the all-caps and all-lower noise of exports.
    Deliberately simple (portable); particles such as "van der" keep lower case after the first word. -#}
{% macro proper_case(column) -%}
    upper(substr({{ column }}, 1, 1)) || lower(substr({{ column }}, 2))
{%- endmacro %}
