{#- dbt's cast() on Spark, with the type through sql_type. The models' YAML declares contract types in
    DuckDB's names (varchar), the documentation BI users read and tests/python/test_bi_clients.py holds to
    the built types; dbt's contract check casts null to each declared type, which Spark refuses for a
    varchar without a length. -#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ sql_type(type) }})
{%- endmacro %}
