{#- The relation to read a raw table from, with exactly the contract's columns (declared with data_type
    in the sources YAML) plus load_date, filename and file_row_number (the row's stable key).
    In an incremental base model it reads only the rows the load manifest says must be redone
    (raw_source_increment). A column missing from the files is null, and a
    native type (a Parquet TIMESTAMP or DATE where the contract has a string, a DECIMAL where it has a
    double) is read as the contract's type, so the base models see one shape whatever the export wrote.
    When the table is switched off or absent it is an empty relation with the same columns, so every
    downstream model still builds, as Fivetran's source packages do.
    source() is always called so lineage and docs keep the edge. -#}
{% macro raw_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {#- A unit test mocks the source itself, so it always gets the relation. -#}
    {%- if not execute -%}
        {{ relation }}
    {%- elif model.resource_type == 'unit_test' -%}
        {#- fixtures give the contract's columns; a row number they leave out reads as null -#}
        (select cast(null as bigint) as file_row_number where 1 = 0 union all by name select * from {{ relation }})
    {%- else -%}
        {%- set columns = graph.sources['source.customer360.' ~ source_name ~ '.' ~ table_name].columns.values() | list -%}
        {%- if source_is_available(source_name, table_name) and model.resource_type == 'model' and is_incremental() -%}
            {{ raw_source_increment(source_name, table_name, columns) }}
        {%- elif source_is_available(source_name, table_name) -%}
            {{ adapter.dispatch('raw_contract_columns', 'customer360')(raw_table_files(source_name, table_name), columns) }}
        {%- else -%}
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
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Engines without DuckDB's union by name (Spark): the relation's columns are asked of the engine once
    (a query with no rows), and each contract column is cast to its type, or is a typed null when no file
    has it. -#}
{% macro default__raw_contract_columns(relation, columns) -%}
    {%- set present = run_query('select * from ' ~ relation ~ ' as probe limit 0').column_names | map('lower') | list -%}
    (
        select
        {%- for column in columns %}
            {%- if column.name | lower in present %}
            cast({{ column.name }} as {{ sql_type(column.data_type) }}) as {{ column.name }},
            {%- else %}
            cast(null as {{ sql_type(column.data_type) }}) as {{ column.name }},
            {%- endif %}
        {%- endfor %}
            load_date,
            filename,
            file_row_number
        from {{ relation }} as contract_columns
    )
{%- endmacro %}

{#- read_parquet(union_by_name) fills a column that some files lack, but not one that every file lacks;
    a union by name with an empty relation of the contract's types adds those, and makes DuckDB cast each
    column to the common type (a TIMESTAMP to its text, which parse_timestamp reads back exactly; a
    DECIMAL to DOUBLE). Columns outside the contract are left out. -#}
{% macro duckdb__raw_contract_columns(relation, columns) -%}
    (
        select
        {%- for column in columns %}
            cast({{ column.name }} as {{ column.data_type }}) as {{ column.name }},
        {%- endfor %}
            load_date,
            filename,
            file_row_number
        from (
            select
            {%- for column in columns %}
                cast(null as {{ column.data_type }}) as {{ column.name }}{{ ',' if not loop.last }}
            {%- endfor %}
            where 1 = 0
            union all by name
            select * from {{ relation }}
        ) as contract_columns
    )
{%- endmacro %}
