{#- The lifecycle stage from the days since the first and the last purchase and the gap before the
    last purchase (null first purchase = prospect). Thresholds are the lifecycle_* vars. -#}
{% macro lifecycle_stage(days_since_first, days_since_last, gap_before_last_days) -%}
    case
        when {{ days_since_first }} is null then 'prospect'
        when {{ days_since_first }} <= {{ var('lifecycle_new_days') }} then 'new'
        when {{ days_since_last }} <= {{ var('lifecycle_active_days') }}
            and {{ gap_before_last_days }} > {{ var('lifecycle_lapsed_days') }} then 'reactivated'
        when {{ days_since_last }} <= {{ var('lifecycle_active_days') }} then 'active'
        when {{ days_since_last }} <= {{ var('lifecycle_at_risk_days') }} then 'at_risk'
        when {{ days_since_last }} <= {{ var('lifecycle_lapsed_days') }} then 'lapsed'
        else 'churned'
    end
{%- endmacro %}
