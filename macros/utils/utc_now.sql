{#- The time of the run as a timestamp without time zone, in UTC: the one timestamp convention of the
    published marts (`*_at` columns are naive UTC). dbt.current_timestamp() is `now()` on DuckDB, a
    TIMESTAMP WITH TIME ZONE that BI tools show in the reader's zone and that some drivers cannot read. -#}
{% macro utc_now() -%}
    {{ return(adapter.dispatch('utc_now', 'customer360')()) }}
{%- endmacro %}

{% macro default__utc_now() -%}
    cast({{ dbt.current_timestamp_in_utc_backcompat() }} as timestamp)
{%- endmacro %}

{% macro duckdb__utc_now() -%}
    cast(timezone('UTC', now()) as timestamp)
{%- endmacro %}

{% macro spark__utc_now() -%}
    to_utc_timestamp(current_timestamp(), current_timezone())
{%- endmacro %}
