{#- A secondary timestamp of a row (resolved_at, email_verified_at, email_bounced_at) when plausible,
    else null: an implausible one (implausible_timestamp_reason) does not make the row unusable, but
    must not reach the marts, where a 9999-12-31 would win every "latest" and overflow Python models. -#}
{% macro plausible_timestamp(column, load_date='load_date') -%}
    case when {{ implausible_timestamp_reason(column, load_date) }} is null then {{ column }} end
{%- endmacro %}
