{#- Why a row's event time cannot be true, or null. The rule of every base model (one place):
    - timestamp_before_earliest_date: before var('earliest_event_date') (default 1990-01-01), older than
      any system the sources export from (1900-01-01 and 0001-01-01 are typed-in or default values);
    - timestamp_after_load_date: on a UTC day more than var('future_timestamp_tolerance_days') (default 1)
      after the row's load_date, i.e. after the export that delivered it was written (2999-12-31,
      9999-12-31). The generator and the real exports deliver an event in the load of its day or later,
      so only the day's end and time-zone slack need the tolerance.
    `columns` is one timestamp (or date) column or a list; the first implausible one gives the reason.
    check_load_date=false applies only the earliest date (planned dates such as a campaign's start lie
    ahead of their load by design). Implausible secondary timestamps are nulled with plausible_timestamp(). -#}
{% macro implausible_timestamp_reason(columns, load_date='load_date', check_load_date=true) -%}
    {%- set columns = [columns] if columns is string else columns -%}
    case
        {%- for column in columns %}
        when {{ column }} < cast('{{ var("earliest_event_date") }}' as timestamp) then 'timestamp_before_earliest_date'
        {%- if check_load_date %}
        when {{ column }} >= {{ dbt.dateadd('day', var('future_timestamp_tolerance_days') | int + 1, load_date) }}
            then 'timestamp_after_load_date'
        {%- endif %}
        {%- endfor %}
    end
{%- endmacro %}
