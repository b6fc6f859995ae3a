{{
    config(
        materialized='incremental',
        unique_key='calendar_month_end_date',
        incremental_strategy='delete+insert'
    )
}}
-- depends_on: {{ ref('customer_id_merges') }}
-- One row per customer with a purchase and month: recency, frequency and monetary value (window and
-- lifetime), quintile scores, RFM segment and lifecycle stage as of the month's last day (the as-of
-- date for the current month). Incremental by month: a run recomputes the months from the earliest
-- purchase day it (re)processed in customer_purchase_days, so late orders reopen exactly the months
-- they change, and every later month; earlier months are kept.
with

purchase_days as (
    select
        customer_id,
        purchase_date,
        order_count,
        net_amount,
        loaded_date
    from {{ ref('customer_purchase_days') }}
),

{% if is_incremental() %}
merges as (
    select
        new_customer_id,
        merged_at
    from {{ ref('customer_id_merges') }}
),
{% endif %}

segments as (
    select
        recency_score_min,
        recency_score_max,
        frequency_score_min,
        frequency_score_max,
        rfm_segment
    from {{ ref('rfm_segments') }}
),

as_of as (
    select {{ analytics_as_of_date(ref('customer_purchase_days')) }} as as_of_date
),

months as (
    select distinct
        {{ month_end('purchase_days.purchase_date') }} as calendar_month_end_date,
        as_of.as_of_date
    from purchase_days
    cross join as_of
    where purchase_days.purchase_date <= as_of.as_of_date
),

month_ends as (
    select
        calendar_month_end_date,
        least(calendar_month_end_date, as_of_date) as month_end_date
    from months
    {% if is_incremental() %}
    -- reopen the months of days with newly loaded (or late) orders, and every month of the
    -- survivors of identity merges since the last run
    where calendar_month_end_date >= (
        select {{ month_end('min(purchase_date)') }} from purchase_days
        where
            loaded_date > (
                select max(source_loaded_date) - interval '{{ var("incremental_lookback_days") }} days'
                from {{ this }}
            )
            or customer_id in (
                select new_customer_id from merges
                where merged_at > (select max(history_processed_at) from {{ this }})
            )
    )
    -- the current month again when the as-of date moved on
    or (
        calendar_month_end_date >= (select max(calendar_month_end_date) from {{ this }})
        and least(calendar_month_end_date, as_of_date) > (select max(month_end_date) from {{ this }})
    )
    {% endif %}
),

customer_months as (
    select
        month_ends.calendar_month_end_date,
        month_ends.month_end_date,
        purchase_days.customer_id,
        min(case when purchase_days.order_count > 0 then purchase_days.purchase_date end) as first_purchase_date,
        max(case when purchase_days.order_count > 0 then purchase_days.purchase_date end) as last_purchase_date,
        sum(
            case
                when
                    purchase_days.purchase_date
                    > month_ends.month_end_date - interval '{{ var("rfm_window_days") }} days'
                    then purchase_days.order_count
                else 0
            end
        ) as frequency_window,
        sum(purchase_days.order_count) as frequency_lifetime,
        cast(coalesce(sum(
            case
                when
                    purchase_days.purchase_date
                    > month_ends.month_end_date - interval '{{ var("rfm_window_days") }} days'
                    then purchase_days.net_amount
            end
        ), 0) as decimal(18, 2)) as monetary_window,
        cast(sum(purchase_days.net_amount) as decimal(18, 2)) as monetary_lifetime
    from month_ends
    inner join purchase_days on month_ends.month_end_date >= purchase_days.purchase_date
    group by month_ends.calendar_month_end_date, month_ends.month_end_date, purchase_days.customer_id
    having max(case when purchase_days.order_count > 0 then purchase_days.purchase_date end) is not null
),

previous_purchases as (
    -- the purchase day before the last one, as of each month end (for reactivation)
    select
        month_ends.month_end_date,
        purchase_days.customer_id,
        max(purchase_days.purchase_date) as previous_purchase_date
    from month_ends
    inner join customer_months on month_ends.month_end_date = customer_months.month_end_date
    inner join purchase_days
        on
            customer_months.customer_id = purchase_days.customer_id
            and customer_months.last_purchase_date > purchase_days.purchase_date
            and purchase_days.order_count > 0
    group by month_ends.month_end_date, purchase_days.customer_id
),

scored as (
    select
        customer_months.*,
        {{ days_between('customer_months.last_purchase_date', 'customer_months.month_end_date') }} as recency_days,
        {{ lifecycle_stage(
            days_between('customer_months.first_purchase_date', 'customer_months.month_end_date'),
            days_between('customer_months.last_purchase_date', 'customer_months.month_end_date'),
            days_between('previous_purchases.previous_purchase_date', 'customer_months.last_purchase_date')
        ) }} as lifecycle_stage,
        ntile(5) over (
            partition by customer_months.month_end_date
            order by customer_months.last_purchase_date asc, customer_months.customer_id asc
        ) as recency_score,
        ntile(5) over (
            partition by customer_months.month_end_date
            order by customer_months.frequency_window asc, customer_months.customer_id asc
        ) as frequency_score,
        ntile(5) over (
            partition by customer_months.month_end_date
            order by customer_months.monetary_window asc, customer_months.customer_id asc
        ) as monetary_score
    from customer_months
    left join previous_purchases
        on
            customer_months.month_end_date = previous_purchases.month_end_date
            and customer_months.customer_id = previous_purchases.customer_id
),

final as (
    select
        {{ surrogate_key(['scored.customer_id', 'scored.month_end_date']) }} as customer_month_id,
        scored.customer_id,
        scored.calendar_month_end_date,
        scored.month_end_date,
        scored.recency_days,
        scored.frequency_window,
        scored.frequency_lifetime,
        scored.monetary_window,
        scored.monetary_lifetime,
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score,
        segments.rfm_segment,
        scored.lifecycle_stage,
        (select max(purchase_days.loaded_date) from purchase_days) as source_loaded_date,
        {{ dbt.current_timestamp() }} as history_processed_at
    from scored
    left join segments
        on
            scored.recency_score between segments.recency_score_min and segments.recency_score_max
            and scored.frequency_score between segments.frequency_score_min and segments.frequency_score_max
)

select * from final
