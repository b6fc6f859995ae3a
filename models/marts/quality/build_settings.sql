-- One row per dbt var that decides what the published marts contain, with the value this build used
-- (null = unset), so that checks after the build can tell a deliberate setting from an effect of the
-- data: the audit compares the marketing as-of date with the newest load only when
-- analytics_as_of_date is unset (a past as-of date set on purpose is a valid rebuild of old data).
{%- set settings = ['analytics_as_of_date', 'earliest_event_date', 'future_timestamp_tolerance_days'] %}
with

settings as (
    {% for name in settings %}
        select
            '{{ name }}' as setting_name,
            {% if var(name) is none or var(name) == '' -%}
                cast(null as string)
            {%- else -%}
                cast('{{ var(name) }}' as string)
            {%- endif %} as setting_value
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        setting_name,
        setting_value
    from settings
)

select * from final
