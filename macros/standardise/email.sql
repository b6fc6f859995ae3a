{#- E-mail standardisation, in two steps around a join to the email_domain_typos seed:
    1. email_cleaned(column): control characters stripped, trimmed, lower case, empty -> null (join on
       email_domain of this);
    2. email_standardised / email_status with the seed's correct_domain (null when no typo known).
    The status keeps what was wrong visible: missing, placeholder, invalid, corrected, valid. -#}
{% macro email_cleaned(column) -%}
    nullif(lower(trim({{ strip_control_characters(column) }})), '')
{%- endmacro %}

{% macro email_domain(cleaned) -%}
    split_part({{ cleaned }}, '@', 2)
{%- endmacro %}

{% macro email_standardised(cleaned, correct_domain, is_placeholder) -%}
    case
        when {{ is_placeholder }} then null
        when {{ correct_domain }} is not null then split_part({{ cleaned }}, '@', 1) || '@' || {{ correct_domain }}
        else {{ cleaned }}
    end
{%- endmacro %}

{% macro email_status(cleaned, correct_domain, is_placeholder) -%}
    case
        when {{ cleaned }} is null then 'missing'
        when {{ is_placeholder }} then 'placeholder'
        when not {{ regexp_full_match(cleaned, "'[a-z0-9._%+-]+@[a-z0-9-]+(\\.[a-z0-9-]+)*\\.[a-z]{2,}'") }} then 'invalid'
        when {{ correct_domain }} is not null then 'corrected'
        else 'valid'
    end
{%- endmacro %}
