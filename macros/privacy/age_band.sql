{#- The age band ('14-17', '18-24', '25-34', '35-44', '45-54', '55-64', '65+') of an age in whole
    years, or null (unknown or under 14): an exact age with a postal area and a gender narrows a
    customer down too far, a band does not. -#}
{% macro age_band(age_years) -%}
    case
        when {{ age_years }} >= 65 then '65+'
        when {{ age_years }} >= 55 then '55-64'
        when {{ age_years }} >= 45 then '45-54'
        when {{ age_years }} >= 35 then '35-44'
        when {{ age_years }} >= 25 then '25-34'
        when {{ age_years }} >= 18 then '18-24'
        when {{ age_years }} >= 14 then '14-17'
    end
{%- endmacro %}
