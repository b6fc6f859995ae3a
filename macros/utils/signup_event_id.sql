{#- The event_id of a source record's sign-up event in fct_customer_events: built in one place, because
    fct_customer_events also builds it for records that are gone, to find their stored sign-ups. -#}
{% macro signup_event_id(source_name, source_record_id) -%}
    'signup:' || {{ source_name }} || ':' || {{ source_record_id }}
{%- endmacro %}
