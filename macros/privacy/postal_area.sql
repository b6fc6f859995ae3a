{#- The coarse area of a valid, standardised postal code, which locates a customer to a few thousand
    households rather than a street: Dutch codes keep their four digits (1234 AB -> 1234, PC4), British
    codes their outward code (SW1A 1AA -> SW1A); every other country drops the last two characters
    (5-digit codes keep 3, as US ZIP3 and the French departement digits; 4-digit codes keep 2).
    Pass only valid codes: an invalid one has no known structure. -#}
{% macro postal_area(postal_code, country_code) -%}
    case
        when {{ postal_code }} is null then null
        when {{ country_code }} = 'NL' then substr({{ postal_code }}, 1, 4)
        when {{ country_code }} = 'GB' then substr({{ postal_code }}, 1, length({{ postal_code }}) - 4)
        else substr({{ postal_code }}, 1, length({{ postal_code }}) - 2)
    end
{%- endmacro %}
