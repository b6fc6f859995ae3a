{#- Pre-hook of the incremental per-customer models: on an incremental run, delete the rows of customer
    ids no longer in `customers` (the customer_id column of a relation): by default those identity
    resolution retired (merged into another customer). So the incremental table equals a full refresh.
    The model declares a `-- depends_on:` on the relation. -#}
{% macro delete_retired_customers(customers=none) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where customer_id not in (select customer_id from {{ customers or ref('bridge_customer_identity') }})
    {%- endif -%}
{%- endmacro %}
