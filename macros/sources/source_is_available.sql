{#- True when a raw table can be read: its channel is switched on (var `<source>_enabled`)
    and at least one file exists under raw_root. Checked only at execution time. -#}
{% macro source_is_available(source_name, table_name) -%}
    {%- if not var(source_name ~ '_enabled', true) -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(adapter.dispatch('raw_files_exist', 'customer360')(source_name, table_name)) }}
{%- endmacro %}

{% macro default__raw_files_exist(source_name, table_name) -%}
    {#- Engines without a file-glob function in SQL (Spark) trust the var: a table switched on must have
        its folder under the raw root. -#}
    {{ return(true) }}
{%- endmacro %}

{% macro duckdb__raw_files_exist(source_name, table_name) -%}
    {%- set pattern = env_var('C360_RAW_ROOT', var('raw_root')) ~ '/' ~ source_name ~ '/' ~ table_name ~ '/*/*.parquet' -%}
    {%- set result = run_query("select count(*) from glob('" ~ pattern ~ "')") -%}
    {{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}
