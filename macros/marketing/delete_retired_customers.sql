{#- Pre-hook of the incremental per-customer models: on an incremental run, delete the rows of customer
    ids identity resolution retired (merged into another customer: no longer in bridge_customer_identity).
    So the incremental table equals a full refresh. The model declares a `-- depends_on:` on the bridge. -#}
{% macro delete_retired_customers() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where customer_id not in (select customer_id from {{ ref('bridge_customer_identity') }})
    {%- endif -%}
{%- endmacro %}
