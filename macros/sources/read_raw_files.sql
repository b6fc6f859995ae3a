{#- The rows of a literal list of raw files, read as the sources read their glob (load_date from the
    folder, filename, file_row_number), so an incremental run opens only the files it redoes. -#}
{% macro read_raw_files(files) -%}
    {{ return(adapter.dispatch('read_raw_files', 'customer360')(files)) }}
{%- endmacro %}

{% macro duckdb__read_raw_files(files) -%}
    read_parquet(
        [{{ manifest_file_literals(files) }}],
        hive_partitioning = true, union_by_name = true, filename = true, file_row_number = true
    )
{%- endmacro %}

{#- Other engines filter the source by file. Spark never gets here: its base models are tables that read
    every file (dbt_project.yml), so they have no incremental work list. -#}
{% macro default__read_raw_files(files) -%}
    (select * from {{ source(model.name.split('__')[0][5:], model.name.split('__')[1]) }}
     where filename in ({{ manifest_file_literals(files) }}))
{%- endmacro %}
