{#- Every delivered row of one raw table, read from its files under the raw root
    (<raw root>/<source>/<table>/load_date=YYYY-MM-DD/*.parquet) with the row's key: load_date (the
    partition folder), filename and file_row_number (0-based row of the file). The columns are the files'
    own; raw_contract_columns turns them into the contract's. -#}
{% macro raw_table_files(source_name, table_name) -%}
    {{ return(adapter.dispatch('raw_table_files', 'customer360')(source_name, table_name)) }}
{%- endmacro %}

{#- DuckDB: the source itself, whose external_location is a read_parquet of the table's glob with
    hive_partitioning, filename and file_row_number (the sources YAML). -#}
{% macro default__raw_table_files(source_name, table_name) -%}
    {{ source(source_name, table_name) }}
{%- endmacro %}

{#- Spark: the table's folder read as one Parquet dataset. Partition discovery gives load_date from the
    folder names, and the hidden _metadata column the file (a URI: file: is dropped, so the path reads
    like DuckDB's), the row's index in it, and the file's size and modification time (load_manifest_files
    fingerprints files with them). -#}
{% macro spark__raw_table_files(source_name, table_name) -%}
    {%- set folder = env_var('C360_RAW_ROOT', var('raw_root')) ~ '/' ~ source_name ~ '/' ~ table_name -%}
    (
        select
            raw_files.*,
            regexp_replace(raw_files._metadata.file_path, '^file:', '') as filename,
            raw_files._metadata.row_index as file_row_number,
            raw_files._metadata.file_size as file_size,
            raw_files._metadata.file_modification_time as file_modified_at
        from parquet.`{{ folder | replace('`', '``') }}` as raw_files
    )
{%- endmacro %}
