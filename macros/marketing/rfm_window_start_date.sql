{#- The day after which a month's RFM window starts (the window is (start, month end]). For
    rfm_window_days = 'lifetime' it is the day before var('earliest_event_date'): staging quarantines
    every order before that date, so the window then holds every purchase and the window values equal
    the lifetime ones through the same incremental arithmetic. -#}
{% macro rfm_window_start_date(month_end_date) -%}
    {%- set window_days = rfm_conventions()['window_days'] -%}
    {%- if window_days is none -%}
        cast({{ dbt.dateadd('day', -1, "cast('" ~ var('earliest_event_date') ~ "' as date)") }} as date)
    {%- else -%}
        cast({{ dbt.dateadd('day', -window_days, month_end_date) }} as date)
    {%- endif -%}
{%- endmacro %}
