{#- The materialization of the models that re-process the customers or months touched by new data with
    a pre-hook delete and delete+insert (or append): `incremental` where the engine deletes rows, `table`
    on Spark, whose parquet tables have no row-level delete (that needs Delta, which cannot be installed
    here). A table is the full refresh the incremental run is built to equal (tests/python/test_daily_run.py
    checks that on DuckDB; tests/spark compares the two engines). -#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'customer360')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
