{#- Seeds on Spark with the `session` method: dbt-spark 1.11.0 binds each CSV value by pasting it
    between quotes unescaped, so a value with a quote ("Can't lose them", an audience predicate) breaks
    the insert, and an empty cell is loaded as the text 'None'. This project override writes every value
    as an escaped literal instead (an empty cell is null, as on DuckDB); batches and types as dbt-spark's. -#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                (
                {%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ spark_seed_literal(row[loop.index0]) }} as {{ type }}){{ ',' if not loop.last }}
                {%- endfor -%}
                ){{ ',' if not loop.last }}
            {%- endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{%- endmacro %}

{#- One CSV value as a Spark SQL literal: null, a number, or text with its backslashes and quotes escaped. -#}
{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is number and value is not boolean -%}
        {{ value }}
    {%- elif value is boolean -%}
        {{ 'true' if value else 'false' }}
    {%- else -%}
        '{{ (value | string) | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
