{#- One row per raw file of every enabled raw table (raw_tables()): source_name, table_name, load_date,
    filename, row_count, file_size and a fingerprint that changes when a file is rewritten. Read from the
    Parquet footers and the file system only, never from the data pages, so it costs milliseconds a day. -#}
{% macro load_manifest_files(source_name=none, table_name=none) -%}
    {{ return(adapter.dispatch('load_manifest_files', 'customer360')(source_name, table_name)) }}
{%- endmacro %}

{% macro duckdb__load_manifest_files(source_name, table_name) -%}
    {%- set available = [] -%}
    {%- if execute -%}
        {%- for raw in raw_tables() if (source_name is none or raw.source == source_name)
            and (table_name is none or raw.table == table_name) and source_is_available(raw.source, raw.table) -%}
            {%- do available.append(raw) -%}
        {%- endfor -%}
    {%- endif -%}
    select
        cast(null as string) as source_name,
        cast(null as string) as table_name,
        cast(null as date) as load_date,
        cast(null as string) as filename,
        cast(null as bigint) as row_count,
        cast(null as bigint) as file_size,
        cast(null as string) as fingerprint
    where 1 = 0
    {%- for raw in available %}
        {%- set pattern = env_var('C360_RAW_ROOT', var('raw_root')) ~ '/' ~ raw.source ~ '/' ~ raw.table ~ '/*/*.parquet' %}
    union all
    select
        '{{ raw.source }}' as source_name,
        '{{ raw.table }}' as table_name,
        cast(regexp_extract(footer.file_name, 'load_date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date) as load_date,
        footer.file_name as filename,
        footer.num_rows as row_count,
        cast(footer.file_size_bytes as bigint) as file_size,
        -- size, footer and row count change with the content; the modification time catches a rewrite
        -- of the same size
        md5(concat_ws(
            '|', footer.file_size_bytes, footer.footer_size, footer.num_rows, files.last_modified
        )) as fingerprint
    from parquet_file_metadata('{{ pattern }}') as footer
    inner join read_blob('{{ pattern }}') as files on footer.file_name = files.filename
    {%- endfor %}
{%- endmacro %}

{#- Other engines without file-system functions list the files from the data of their sources (Spark reads
    its files directly: spark__load_manifest_files below). -#}
{% macro default__load_manifest_files(source_name, table_name) -%}
    select
        cast(null as string) as source_name,
        cast(null as string) as table_name,
        cast(null as date) as load_date,
        cast(null as string) as filename,
        cast(null as bigint) as row_count,
        cast(null as bigint) as file_size,
        cast(null as string) as fingerprint
    where 1 = 0
    {%- for raw in raw_tables() if var(raw.source ~ '_enabled', true)
        and (source_name is none or raw.source == source_name) and (table_name is none or raw.table == table_name) %}
    union all
    select
        '{{ raw.source }}' as source_name,
        '{{ raw.table }}' as table_name,
        load_date,
        filename,
        count(*) as row_count,
        cast(null as bigint) as file_size,
        md5(cast(count(*) as string)) as fingerprint
    from {{ source(raw.source, raw.table) }}
    group by load_date, filename
    {%- endfor %}
{%- endmacro %}

{#- Spark: one pass over each table's files (raw_table_files) with the file metadata Spark keeps beside
    every row (size and modification time), so the fingerprint changes when DuckDB's does. The row count
    is counted, not read from the footer. -#}
{% macro spark__load_manifest_files(source_name, table_name) -%}
    select
        cast(null as string) as source_name,
        cast(null as string) as table_name,
        cast(null as date) as load_date,
        cast(null as string) as filename,
        cast(null as bigint) as row_count,
        cast(null as bigint) as file_size,
        cast(null as string) as fingerprint
    where 1 = 0
    {%- for raw in raw_tables() if (source_name is none or raw.source == source_name)
        and (table_name is none or raw.table == table_name) and source_is_available(raw.source, raw.table) %}
    union all
    select
        '{{ raw.source }}' as source_name,
        '{{ raw.table }}' as table_name,
        cast(raw_files.load_date as date) as load_date,
        raw_files.filename,
        count(*) as row_count,
        max(raw_files.file_size) as file_size,
        md5(concat_ws('|', max(raw_files.file_size), max(raw_files.file_modified_at), count(*))) as fingerprint
    from {{ raw_table_files(raw.source, raw.table) }} as raw_files
    group by raw_files.load_date, raw_files.filename
    {%- endfor %}
{%- endmacro %}
