{#- The E.164 phone and its status, for a model that joined contact_reference_joins(). -#}
{% macro phone_columns(digits, prefix='') -%}
    {%- set e164 = phone_to_e164(digits, 'countries.calling_code', 'countries.nsn_min_length', 'countries.nsn_max_length') -%}
    {%- set status = phone_status(digits, e164, 'countries.calling_code', 'countries.nsn_min_length', 'countries.nsn_max_length', is_placeholder(regexp_replace_all(digits, '[^0-9]', ''), 'phone')) -%}
    case when {{ status }} = 'valid' then {{ e164 }} end as {{ prefix }}phone,
    {{ status }} as {{ prefix }}phone_status
{%- endmacro %}
