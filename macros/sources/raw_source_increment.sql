{#- What an incremental base model reads: the rows of the files manifest_work_files names, whose key a
    new or gone file touches, in the contract's columns. Recomputing every row of a touched key (new rows
    with the stored rows of the same key, re-read from their files) gives each row the delivery_rank,
    conflict and row_status a full refresh gives; delete+insert on (load_date, filename, file_row_number)
    then replaces exactly those rows, and manifest_record_progress deletes the rows of vanished files. -#}
{% macro raw_source_increment(source_name, table_name, columns) -%}
    {%- set id_column = (raw_tables() | selectattr('source', 'equalto', source_name)
        | selectattr('table', 'equalto', table_name) | first)['id'] -%}
    {%- for manifest_model in ['load_manifest_progress'] -%}
        {%- if load_relation(ref(manifest_model)) is none -%}
            {{ exceptions.raise_compiler_error(model.name ~ " is incremental on staging." ~ manifest_model
                ~ ", which is not built: build it too (dbt build --select +" ~ model.name
                ~ "), or use --full-refresh") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set work = manifest_work_files(source_name, table_name, id_column) -%}
    {%- if not work.read -%}
        (
            select
            {%- for column in columns %}
                cast(null as {{ sql_type(column.data_type) }}) as {{ column.name }},
            {%- endfor %}
                cast(null as date) as load_date,
                cast(null as string) as filename,
                cast(null as bigint) as file_row_number
            where 1 = 0
        )
    {%- else -%}
        (
            select increment_files.*
            from {{ adapter.dispatch('raw_contract_columns', 'customer360')(read_raw_files(work.read), columns) }}
                as increment_files
            where coalesce({{ clean_text('increment_files.' ~ id_column) }}, '') in (
                select coalesce(touched_key, '')
                from ({{ manifest_touched_keys(id_column, work.new, work.gone) }}) as touched_keys
            )
        )
    {%- endif -%}
{%- endmacro %}
