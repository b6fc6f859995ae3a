{#- Birth date kept only when plausible: parseable, and an age between the vars
    min_customer_age_years and max_customer_age_years when the record was created. -#}
{% macro birth_date_column(raw_birth_date, reference_timestamp) -%}
    case
        when {{ parse_date(raw_birth_date) }}
            between cast({{ reference_timestamp }} as date) - interval '{{ var("max_customer_age_years") }} years'
            and cast({{ reference_timestamp }} as date) - interval '{{ var("min_customer_age_years") }} years'
            then {{ parse_date(raw_birth_date) }}
    end
{%- endmacro %}
