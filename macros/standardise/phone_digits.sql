{#- The digits of a phone number as typed, with a leading '+' kept when it was there. -#}
{% macro phone_digits(column) -%}
    nullif(
        case when trim({{ column }}) like '+%' then '+' else '' end
        || {{ regexp_replace_all(column, '[^0-9]', '') }},
        ''
    )
{%- endmacro %}
