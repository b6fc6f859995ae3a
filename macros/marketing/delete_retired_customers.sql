{#- Pre-hook of the incremental per-customer models: on an incremental run, delete the rows of
    customer ids that identity resolution retired (merged into another customer), so that the
    incremental table equals a full refresh. The model declares
    `-- depends_on: {{ ref('bridge_customer_identity') }}`. -#}
{% macro delete_retired_customers() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where customer_id not in (select customer_id from {{ ref('bridge_customer_identity') }})
    {%- endif -%}
{%- endmacro %}
