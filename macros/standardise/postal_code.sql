{#- Standard form of a postal code for its country: upper case, no punctuation, and the one space
    that Dutch (1234 AB) and British (SW1A 1AA) codes carry. Validity is checked against the
    countries seed pattern by the caller. -#}
{% macro standardise_postal_code(column, country_code) -%}
    case
        when {{ clean_text(column) }} is null then null
        when {{ country_code }} = 'NL' and length({{ _postal_compact(column) }}) = 6
            then substr({{ _postal_compact(column) }}, 1, 4) || ' ' || substr({{ _postal_compact(column) }}, 5, 2)
        when {{ country_code }} = 'GB' and length({{ _postal_compact(column) }}) between 5 and 7
            then substr({{ _postal_compact(column) }}, 1, length({{ _postal_compact(column) }}) - 3)
            || ' ' || substr({{ _postal_compact(column) }}, length({{ _postal_compact(column) }}) - 2, 3)
        else {{ _postal_compact(column) }}
    end
{%- endmacro %}

{% macro _postal_compact(column) -%}
    upper({{ regexp_replace_all(column, '[^0-9A-Za-z]', '') }})
{%- endmacro %}
