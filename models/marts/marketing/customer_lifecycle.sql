-- One row per customer with their lifecycle stage at the as-of date, from the days since their
-- first, last and previous purchase (thresholds are vars, in days):
--   prospect     known customer without a purchase yet;
--   new          first purchase at most lifecycle_new_days ago;
--   reactivated  bought in the last lifecycle_active_days after a gap longer than lifecycle_lapsed_days;
--   active       bought in the last lifecycle_active_days;
--   at_risk      last purchase lifecycle_active_days to lifecycle_at_risk_days ago;
--   lapsed       last purchase lifecycle_at_risk_days to lifecycle_lapsed_days ago;
--   churned      last purchase more than lifecycle_lapsed_days ago.
with

customers as (
    select customer_id from {{ ref('dim_customers') }}
),

purchase_days as (
    select
        customer_id,
        purchase_date,
        order_count
    from {{ ref('customer_purchase_days') }}
),

as_of as (
    select {{ analytics_as_of_date(ref('customer_purchase_days')) }} as as_of_date
),

ranked_days as (
    select
        purchase_days.customer_id,
        purchase_days.purchase_date,
        row_number() over (
            partition by purchase_days.customer_id order by purchase_days.purchase_date desc
        ) as recency_rank
    from purchase_days
    cross join as_of
    where purchase_days.order_count > 0 and purchase_days.purchase_date <= as_of.as_of_date
),

purchase_summary as (
    select
        customer_id,
        min(purchase_date) as first_purchase_date,
        max(case when recency_rank = 1 then purchase_date end) as last_purchase_date,
        max(case when recency_rank = 2 then purchase_date end) as previous_purchase_date
    from ranked_days
    group by customer_id
),

days_since as (
    select
        customers.customer_id,
        as_of.as_of_date,
        purchase_summary.first_purchase_date,
        purchase_summary.last_purchase_date,
        purchase_summary.previous_purchase_date,
        {{ days_between('purchase_summary.first_purchase_date', 'as_of.as_of_date') }} as days_since_first,
        {{ days_between('purchase_summary.last_purchase_date', 'as_of.as_of_date') }} as days_since_last,
        {{ days_between('purchase_summary.previous_purchase_date', 'purchase_summary.last_purchase_date') }}
            as gap_before_last_days
    from customers
    cross join as_of
    left join purchase_summary on customers.customer_id = purchase_summary.customer_id
),

final as (
    select
        customer_id,
        as_of_date,
        first_purchase_date,
        last_purchase_date,
        previous_purchase_date,
        days_since_last,
        {{ lifecycle_stage('days_since_first', 'days_since_last', 'gap_before_last_days') }} as lifecycle_stage
    from days_since
)

select * from final
