{#- The given name in a full name already in name_case: its first word, unless that word begins the
    surname ('de Jong' has no given name). A one-word name is a given name. -#}
{% macro given_name(full_name) -%}
    case
        when {{ full_name }} not like '% %' then {{ full_name }}
        when {{ family_name(full_name) }} <> {{ full_name }} then split_part({{ full_name }}, ' ', 1)
    end
{%- endmacro %}
