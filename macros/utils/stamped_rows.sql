{#- SQL that adds `processed_at`, when the run that wrote the row ran, to the rows an incremental run
    writes (`rows`, all of them on a full refresh). The primary_key test's written_at groups only the keys
    of the newest processed_at's rows, so that time must be the last run's: on an incremental run it is
    never earlier than the newest stored one, so a clock set back still moves it forward by a microsecond.
    That stored time is `last_run`'s (a one-row CTE of max(processed_at) the model reads anyway) or, without
    it, a scalar subquery over the model's table (which may predate the column: stored_column). -#}
{% macro stamped_rows(rows, last_run=none) -%}
    select
        {{ rows }}.*,
        {%- if is_incremental() and last_run %}
        greatest({{ utc_now() }}, {{ last_run }}.processed_at + interval '1 microsecond') as processed_at
    from {{ rows }}
    cross join {{ last_run }}
        {%- elif is_incremental() %}
        greatest(
            {{ utc_now() }},
            (select max({{ stored_column('processed_at', 'timestamp') }}) from {{ this }}) + interval '1 microsecond'
        ) as processed_at
    from {{ rows }}
        {%- else %}
        {{ utc_now() }} as processed_at
    from {{ rows }}
        {%- endif %}
{%- endmacro %}
