{#- ISO country, standardised postal code and its validity, for a model that joined contact_reference_joins(). -#}
{% macro address_columns(cleaned='cleaned') -%}
    country_aliases.country_code,
    {{ standardise_postal_code(cleaned ~ '.postal_code_cleaned', 'country_aliases.country_code') }} as postal_code,
    coalesce({{ regexp_full_match(standardise_postal_code(cleaned ~ '.postal_code_cleaned', 'country_aliases.country_code'), 'countries.postal_code_pattern') }}, false)
        and country_aliases.country_code is not null as is_postal_code_valid
{%- endmacro %}
