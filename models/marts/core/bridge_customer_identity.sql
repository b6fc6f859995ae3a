-- One row per customer-bearing source record and the customer (resolved person) it belongs to.
with

customer_ids as (
    select
        record_key,
        source_name,
        source_record_id,
        customer_id,
        match_rule
    from {{ ref('int_identity__customer_ids') }}
),

final as (
    select
        record_key,
        source_name,
        source_record_id,
        customer_id,
        match_rule
    from customer_ids
)

select * from final
