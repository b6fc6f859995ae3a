{#- Joins a model's `cleaned` CTE to the reference seeds that contact standardisation needs.
    The model must declare the import CTEs email_domain_typos, country_aliases and countries.
    A record without a readable country gets the calling code of var('default_country_code')
    for its phone, but keeps a null country_code. -#}
{% macro contact_reference_joins(cleaned='cleaned', has_country=true) -%}
    left join email_domain_typos
        on {{ email_domain(cleaned ~ '.email_cleaned') }} = email_domain_typos.typo_domain
    {%- if has_country %}
    left join country_aliases
        on {{ cleaned }}.country_alias = country_aliases.alias
    left join countries
        on coalesce(country_aliases.country_code, '{{ var("default_country_code") }}') = countries.country_code
    {%- else %}
    left join countries
        on countries.country_code = '{{ var("default_country_code") }}'
    {%- endif %}
{%- endmacro %}
