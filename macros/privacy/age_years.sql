{#- Whole years from a birth date to a date (the age on that date), from year*10000 + month*100 + day,
    which needs no engine-specific date difference. -#}
{% macro age_years(birth_date, as_of_date) -%}
    cast(floor((
        (extract(year from {{ as_of_date }}) * 10000 + extract(month from {{ as_of_date }}) * 100
            + extract(day from {{ as_of_date }}))
        - (extract(year from {{ birth_date }}) * 10000 + extract(month from {{ birth_date }}) * 100
            + extract(day from {{ birth_date }}))
    ) / 10000) as integer)
{%- endmacro %}
