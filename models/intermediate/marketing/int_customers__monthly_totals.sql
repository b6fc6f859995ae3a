{{
    config(
        materialized=incremental_materialization(),
        unique_key=['customer_id', 'calendar_month_end_date'],
        incremental_strategy='delete+insert',
        pre_hook="{{ delete_vanished_monthly_rows(
            ref('int_customers__monthly_running_totals'), 'processed_at', 'totals.last_purchase_date is not null'
        ) }}"
    )
}}
-- depends_on: {{ ref('int_customers__purchase_days') }}
-- depends_on: {{ ref('customer_id_merges') }}
-- depends_on: {{ ref('int_customers__order_summary') }}
-- One row per customer with a purchase and month: the RFM inputs as of the month's last day (the
-- as-of date for the current month), the running totals with the var('rfm_window_days') window's
-- frequency and spend. A window's figures are the lifetime totals at its end less those at its
-- start, and the totals at the start are those of the start's month less that month's days after
-- the start, so no window sums its days. Incremental: a run computes the rows the running totals
-- rewrote since it last ran, as a window's start totals change only with its end's (a reopened
-- customer's every later month is rewritten); the pre-hook deletes the rows that have no buyer row
-- in the running totals any more.
with

running_totals as (
    select
        customer_id,
        calendar_month_end_date,
        month_end_date,
        first_purchase_date,
        last_purchase_date,
        previous_purchase_date,
        frequency_lifetime,
        web_orders_lifetime,
        store_orders_lifetime,
        app_orders_lifetime,
        monetary_lifetime,
        source_loaded_date,
        processed_at
    from {{ ref('int_customers__monthly_running_totals') }}
    -- a customer's history starts at their first purchase
    where last_purchase_date is not null
),

-- a second, narrow read of the running totals: one CTE read twice would be materialized whole
start_month_totals as (
    select
        customer_id,
        calendar_month_end_date,
        frequency_lifetime,
        monetary_lifetime
    from {{ ref('int_customers__monthly_running_totals') }}
),

purchase_days as (
    select
        customer_id,
        purchase_date,
        order_count,
        net_amount
    from {{ ref('int_customers__purchase_days') }}
),

as_of as (
    select {{ analytics_as_of_date(ref('int_customers__purchase_days')) }} as as_of_date
),

computed_months as (
    select
        *,
        {{ rfm_window_start_date('month_end_date') }} as window_start_date
    from running_totals
    {% if is_incremental() %}
        where processed_at > (select coalesce(max(processed_at), cast('1900-01-01' as timestamp)) from {{ this }})
    {% endif %}
),

months as (
    select distinct calendar_month_end_date from start_month_totals
),

window_starts as (
    -- the latest month with totals up to each window start's month (the totals month)
    select
        computed.calendar_month_end_date,
        computed.window_start_date,
        max(months.calendar_month_end_date) as totals_month_end_date
    from (
        select distinct
            calendar_month_end_date,
            window_start_date
        from computed_months
    ) as computed
    inner join months on months.calendar_month_end_date <= {{ month_end('computed.window_start_date') }}
    group by computed.calendar_month_end_date, computed.window_start_date
),

totals_month_days_after_start as (
    -- the days of the totals month after the window's start: in its totals, but in the window
    select
        window_starts.calendar_month_end_date,
        purchase_days.customer_id,
        sum({{ rfm_frequency_units('purchase_days.order_count') }}) as order_count,
        sum(purchase_days.net_amount) as net_amount
    from window_starts
    cross join as_of
    inner join purchase_days
        on
            window_starts.totals_month_end_date = {{ month_end('purchase_days.purchase_date') }}
            and window_starts.window_start_date < purchase_days.purchase_date
            and as_of.as_of_date >= purchase_days.purchase_date
    group by window_starts.calendar_month_end_date, purchase_days.customer_id
),

window_start_totals as (
    select
        window_starts.calendar_month_end_date,
        start_month_totals.customer_id,
        start_month_totals.frequency_lifetime - coalesce(totals_month_days_after_start.order_count, 0)
            as frequency_lifetime,
        start_month_totals.monetary_lifetime - coalesce(totals_month_days_after_start.net_amount, 0)
            as monetary_lifetime
    from window_starts
    inner join start_month_totals on window_starts.totals_month_end_date = start_month_totals.calendar_month_end_date
    left join totals_month_days_after_start
        on
            window_starts.calendar_month_end_date = totals_month_days_after_start.calendar_month_end_date
            and start_month_totals.customer_id = totals_month_days_after_start.customer_id
),

final as (
    select
        computed_months.customer_id,
        computed_months.calendar_month_end_date,
        computed_months.month_end_date,
        computed_months.first_purchase_date,
        computed_months.last_purchase_date,
        computed_months.previous_purchase_date,
        cast(
            computed_months.frequency_lifetime - coalesce(window_start_totals.frequency_lifetime, 0) as bigint
        ) as frequency_window,
        computed_months.frequency_lifetime,
        computed_months.web_orders_lifetime,
        computed_months.store_orders_lifetime,
        computed_months.app_orders_lifetime,
        cast(
            computed_months.monetary_lifetime - coalesce(window_start_totals.monetary_lifetime, 0) as decimal(18, 2)
        ) as monetary_window,
        computed_months.monetary_lifetime,
        computed_months.source_loaded_date,
        {{ utc_now() }} as processed_at
    from computed_months
    left join window_start_totals
        on
            computed_months.customer_id = window_start_totals.customer_id
            and computed_months.calendar_month_end_date = window_start_totals.calendar_month_end_date
)

-- stored month by month: the months a run rewrites are then contiguous row groups at the table's
-- end, cheap to delete and rewrite, and readers of one month skip the others
select * from final
order by calendar_month_end_date
