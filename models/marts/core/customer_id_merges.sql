-- One row per customer id that stopped being used because new data showed its records belong to
-- another customer: old id, surviving id, when it happened and why. Read from the snapshot of
-- bridge_customer_identity, so every build that moves records is recorded.
with

identity_history as (
    select
        record_key,
        customer_id,
        dbt_valid_from,
        dbt_valid_to
    from {{ ref('customer_identity_snapshot') }}
),

current_customers as (
    select distinct customer_id from {{ ref('bridge_customer_identity') }}
),

moves as (
    select
        previous.customer_id as old_customer_id,
        latest.customer_id as new_customer_id,
        latest.dbt_valid_from as merged_at,
        previous.record_key
    from identity_history as previous
    inner join identity_history as latest
        on previous.record_key = latest.record_key and previous.dbt_valid_to = latest.dbt_valid_from
    where previous.customer_id != latest.customer_id
),

final as (
    select
        {{ surrogate_key(['moves.old_customer_id', 'moves.new_customer_id', 'moves.merged_at']) }} as merge_id,
        moves.old_customer_id,
        moves.new_customer_id,
        moves.merged_at,
        count(*) as moved_record_count,
        case
            when current_customers.customer_id is null
                then 'merged: new data linked its records to a customer seen earlier, whose id survives'
            else 'split: some records were moved while the old customer remains'
        end as merge_reason
    from moves
    left join current_customers on moves.old_customer_id = current_customers.customer_id
    group by moves.old_customer_id, moves.new_customer_id, moves.merged_at, current_customers.customer_id
)

select * from final
