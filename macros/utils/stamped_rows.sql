{#- SQL that adds `processed_at`, when the run that wrote the row ran, to the rows an incremental run
    writes (`rows`, all of them on a full refresh). The primary_key test's written_at groups only the keys
    of the newest processed_at's rows, so that time must be the last run's: on an incremental run it is
    never earlier than the newest stored one (`last_run`, a one-row CTE of max(processed_at) of the
    model), so a clock set back still moves it forward by a microsecond. -#}
{% macro stamped_rows(rows, last_run) -%}
    select
        {{ rows }}.*,
        {%- if is_incremental() %}
        greatest({{ utc_now() }}, {{ last_run }}.processed_at + interval '1 microsecond') as processed_at
    from {{ rows }}
    cross join {{ last_run }}
        {%- else %}
        {{ utc_now() }} as processed_at
    from {{ rows }}
        {%- endif %}
{%- endmacro %}
