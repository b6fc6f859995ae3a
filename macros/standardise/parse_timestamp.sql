{#- Parse an exported timestamp string to a UTC timestamp without time zone.
    Accepts ISO-8601 (space or T, optional fraction, optional Z or +HH:MM offset), a bare date
    (midnight), and the day-first exports of the shops (DD/MM/YYYY HH:MM[:SS]).
    Anything else, including impossible dates such as 31/02, becomes null so the caller can
    quarantine the row with reason `unparseable_timestamp`. A value without an offset is UTC. -#}
{% macro parse_timestamp(column) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'customer360')(column)) }}
{%- endmacro %}

{% macro default__parse_timestamp(column) -%}
    coalesce(
        to_utc_timestamp(try_cast({{ column }} as timestamp), 'UTC'),
        try_to_timestamp({{ column }}, 'dd/MM/yyyy HH:mm:ss'),
        try_to_timestamp({{ column }}, 'dd/MM/yyyy HH:mm')
    )
{%- endmacro %}

{% macro duckdb__parse_timestamp(column) -%}
    coalesce(
        cast(timezone('UTC', try_cast({{ column }} as timestamptz)) as timestamp),
        try_strptime({{ column }}, ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M'])
    )
{%- endmacro %}
