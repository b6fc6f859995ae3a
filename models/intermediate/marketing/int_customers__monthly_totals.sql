{{
    config(
        materialized=incremental_materialization(),
        unique_key=['customer_id', 'calendar_month_end_date'],
        incremental_strategy='delete+insert',
        pre_hook="{{ delete_reopened_monthly_totals() }}"
    )
}}
-- depends_on: {{ ref('customer_id_merges') }}
-- depends_on: {{ ref('bridge_customer_identity') }}
-- One row per customer with a purchase and month: the RFM inputs as of the month's last day (the
-- as-of date for the current month). Incremental: a run recomputes the customers whose purchase days
-- changed from the month of the earliest such day (late orders reopen exactly the months they change,
-- and every later month), and every customer in the months whose as-of date moved. Lifetime totals
-- are running sums started from the totals stored for the month before (the work list's base month),
-- so a run reads only the purchase days after it; a month's window is its running total minus the
-- total at the window's start. So the cost follows the months and customers written, not the history.
with

purchase_days as (
    select
        customer_id,
        purchase_date,
        order_count,
        web_order_count,
        store_order_count,
        app_order_count,
        net_amount,
        loaded_date,
        processed_at
    from {{ ref('int_customers__purchase_days') }}
),

{% if is_incremental() %}
merges as (
    select
        new_customer_id,
        merged_at
    from {{ ref('customer_id_merges') }}
),
{% endif %}

as_of as (
    select {{ analytics_as_of_date(ref('int_customers__purchase_days')) }} as as_of_date
),

months as (
    select distinct
        {{ month_end('purchase_days.purchase_date') }} as calendar_month_end_date,
        as_of.as_of_date
    from purchase_days
    cross join as_of
    where purchase_days.purchase_date <= as_of.as_of_date
),

{% if is_incremental() %}
reopening_days as (
    {{ monthly_totals_reopening_days('purchase_days', 'merges') }}
),

changed_customers as (
    select distinct customer_id from reopening_days
),
{% endif %}

month_ends as (
    select
        calendar_month_end_date,
        least(calendar_month_end_date, as_of_date) as month_end_date
    from months
    {% if is_incremental() %}
    where calendar_month_end_date >= (select {{ month_end('min(purchase_date)') }} from reopening_days)
    -- the current month again when the as-of date moved on
    or (
        calendar_month_end_date >= (select max(calendar_month_end_date) from {{ this }})
        and least(calendar_month_end_date, as_of_date) > (select max(month_end_date) from {{ this }})
    )
    {% endif %}
),

{% if is_incremental() %}
stored_months as (
    select distinct
        calendar_month_end_date,
        month_end_date
    from {{ this }}
),

moved_months as (
    -- months whose as-of date moved (or that are new): every customer is recomputed in them
    select month_ends.calendar_month_end_date
    from month_ends
    left join stored_months on month_ends.calendar_month_end_date = stored_months.calendar_month_end_date
    where stored_months.month_end_date is distinct from month_ends.month_end_date
),

base_months as (
    -- the stored months the running sums start from: the month before the first reopened one for the
    -- customers whose days changed, the month before the moved months for the others (none when no
    -- month moved: their rows stand)
    select
        coalesce(
            (
                select max(stored_months.calendar_month_end_date) from stored_months
                where stored_months.calendar_month_end_date < (select min(month_ends.calendar_month_end_date) from month_ends)
            ),
            cast('1900-01-01' as date)
        ) as changed_base_month_end_date,
        case
            when (select count(*) from moved_months) > 0
                then coalesce(
                    (
                        select max(stored_months.calendar_month_end_date) from stored_months
                        where stored_months.calendar_month_end_date < (select min(moved_months.calendar_month_end_date) from moved_months)
                    ),
                    cast('1900-01-01' as date)
                )
        end as unchanged_base_month_end_date,
        coalesce(
            (select min(moved_months.calendar_month_end_date) from moved_months), cast('9999-12-31' as date)
        ) as first_moved_month_end_date
),

work_list as (
    -- the customers this run recomputes, each with the stored month its running sums start from
    select
        changed_customers.customer_id,
        base_months.changed_base_month_end_date as base_month_end_date
    from changed_customers
    cross join base_months
    union all
    select distinct
        purchase_days.customer_id,
        base_months.unchanged_base_month_end_date
    from purchase_days
    cross join base_months
    where
        base_months.unchanged_base_month_end_date is not null
        and purchase_days.customer_id not in (select changed_customers.customer_id from changed_customers)
),

kept_base as (
    select
        processed.customer_id,
        processed.first_purchase_date,
        processed.last_purchase_date,
        processed.previous_purchase_date,
        processed.frequency_lifetime,
        processed.web_orders_lifetime,
        processed.store_orders_lifetime,
        processed.app_orders_lifetime,
        processed.monetary_lifetime
    from {{ this }} as processed
    inner join work_list
        on
            processed.customer_id = work_list.customer_id
            and processed.calendar_month_end_date = work_list.base_month_end_date
),
{% else %}
    work_list as (
        select distinct
            customer_id,
            cast('1900-01-01' as date) as base_month_end_date
        from purchase_days
    ),

    kept_base as (
        select customer_id from work_list
        where false
    ),
{% endif %}

base as (
    -- each work-list customer's totals at its base month (none on a full refresh)
    {% if is_incremental() %}
        select * from kept_base
        union all
    {% endif %}
    -- refund-only days before a customer's first purchase (an identity or data defect) count in the
    -- lifetime spend, as on a full refresh, although the base month has no row of the customer yet
    select
        purchase_days.customer_id,
        cast(null as date) as first_purchase_date,
        cast(null as date) as last_purchase_date,
        cast(null as date) as previous_purchase_date,
        0 as frequency_lifetime,
        0 as web_orders_lifetime,
        0 as store_orders_lifetime,
        0 as app_orders_lifetime,
        sum(purchase_days.net_amount) as monetary_lifetime
    from purchase_days
    inner join work_list on purchase_days.customer_id = work_list.customer_id
    where
        purchase_days.purchase_date <= work_list.base_month_end_date
        and purchase_days.customer_id not in (select kept_base.customer_id from kept_base)
    group by purchase_days.customer_id
),

computed_days as (
    -- the work-list customers' purchase days after their base month
    select
        purchase_days.customer_id,
        purchase_days.purchase_date,
        {{ month_end('purchase_days.purchase_date') }} as calendar_month_end_date,
        purchase_days.order_count,
        purchase_days.web_order_count,
        purchase_days.store_order_count,
        purchase_days.app_order_count,
        purchase_days.net_amount
    from purchase_days
    cross join as_of
    inner join work_list on purchase_days.customer_id = work_list.customer_id
    where
        purchase_days.purchase_date <= as_of.as_of_date
        and purchase_days.purchase_date > work_list.base_month_end_date
),

purchase_predecessors as (
    -- the purchase day before each one (null before the first day computed: the base has it)
    select
        customer_id,
        purchase_date,
        lag(purchase_date) over (partition by customer_id order by purchase_date) as previous_purchase_date
    from computed_days
    where order_count > 0
),

customer_month_sums as (
    select
        customer_id,
        calendar_month_end_date,
        min(case when order_count > 0 then purchase_date end) as first_purchase_in_month,
        max(case when order_count > 0 then purchase_date end) as last_purchase_in_month,
        sum({{ rfm_frequency_units('order_count') }}) as order_count,
        {% for channel in ['web', 'store', 'app'] %}
            sum({{ channel }}_order_count) as {{ channel }}_order_count,
        {% endfor %}
        sum(net_amount) as net_amount
    from computed_days
    group by customer_id, calendar_month_end_date
),

customer_first_months as (
    -- the base's customers from the month after their base month, the others from their first month
    -- with orders or refunds
    select
        customer_id,
        min(calendar_month_end_date) as first_month_end_date
    from customer_month_sums
    where customer_id not in (select base.customer_id from base)
    group by customer_id
    union all
    select
        base.customer_id,
        {{ month_end(dbt.dateadd('day', 1, 'work_list.base_month_end_date')) }} as first_month_end_date
    from base
    inner join work_list on base.customer_id = work_list.customer_id
),

running_totals as (
    select
        month_ends.calendar_month_end_date,
        month_ends.month_end_date,
        customer_first_months.customer_id,
        min(customer_month_sums.first_purchase_in_month) over customer_so_far as first_purchase_after_base,
        max(customer_month_sums.last_purchase_in_month) over customer_so_far as last_purchase_after_base,
        sum(coalesce(customer_month_sums.order_count, 0)) over customer_so_far as frequency_after_base,
        {% for channel in ['web', 'store', 'app'] %}
            sum(coalesce(customer_month_sums.{{ channel }}_order_count, 0))
                over customer_so_far as {{ channel }}_orders_after_base,
        {% endfor %}
        sum(coalesce(customer_month_sums.net_amount, 0)) over customer_so_far as monetary_after_base
    from customer_first_months
    inner join month_ends on customer_first_months.first_month_end_date <= month_ends.calendar_month_end_date
    left join customer_month_sums
        on
            customer_first_months.customer_id = customer_month_sums.customer_id
            and month_ends.calendar_month_end_date = customer_month_sums.calendar_month_end_date
    window customer_so_far as (
        partition by customer_first_months.customer_id
        order by month_ends.calendar_month_end_date
        rows between unbounded preceding and current row
    )
),

customer_totals as (
    select
        running_totals.calendar_month_end_date,
        running_totals.month_end_date,
        running_totals.customer_id,
        coalesce(base.first_purchase_date, running_totals.first_purchase_after_base) as first_purchase_date,
        coalesce(running_totals.last_purchase_after_base, base.last_purchase_date) as last_purchase_date,
        case
            when running_totals.last_purchase_after_base is not null
                then coalesce(purchase_predecessors.previous_purchase_date, base.last_purchase_date)
            else base.previous_purchase_date
        end as previous_purchase_date,
        coalesce(base.frequency_lifetime, 0) + running_totals.frequency_after_base as frequency_lifetime,
        {% for channel in ['web', 'store', 'app'] %}
            coalesce(base.{{ channel }}_orders_lifetime, 0)
            + running_totals.{{ channel }}_orders_after_base as {{ channel }}_orders_lifetime,
        {% endfor %}
        coalesce(base.monetary_lifetime, 0) + running_totals.monetary_after_base as monetary_lifetime
    from running_totals
    left join base on running_totals.customer_id = base.customer_id
    left join purchase_predecessors
        on
            running_totals.customer_id = purchase_predecessors.customer_id
            and running_totals.last_purchase_after_base = purchase_predecessors.purchase_date
),

window_starts as (
    -- a month's window starts after window_start_date; the totals before it are those of the
    -- latest month with data up to the start's month (the totals month), less that month's days
    -- after the start
    select
        month_ends.calendar_month_end_date,
        {{ rfm_window_start_date('month_ends.month_end_date') }} as window_start_date,
        max(months.calendar_month_end_date) as totals_month_end_date
    from month_ends
    left join months
        on months.calendar_month_end_date <= {{ month_end(rfm_window_start_date('month_ends.month_end_date')) }}
    group by month_ends.calendar_month_end_date, month_ends.month_end_date
),

window_start_totals as (
    -- lifetime totals at the totals months computed in this run...
    select
        window_starts.calendar_month_end_date,
        customer_totals.customer_id,
        customer_totals.frequency_lifetime,
        customer_totals.monetary_lifetime
    from window_starts
    inner join customer_totals on window_starts.totals_month_end_date = customer_totals.calendar_month_end_date
    {% if is_incremental() %}
        union all
        -- ...and at the months kept, from this table
        select
            window_starts.calendar_month_end_date,
            processed.customer_id,
            processed.frequency_lifetime,
            processed.monetary_lifetime
        from window_starts
        inner join {{ this }} as processed
            on window_starts.totals_month_end_date = processed.calendar_month_end_date
        inner join work_list on processed.customer_id = work_list.customer_id
        where window_starts.totals_month_end_date <= work_list.base_month_end_date
    {% endif %}
),

window_start_month_days as (
    -- the days of the totals month after the window's start
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

buyer_months as (
    select customer_totals.*
    from customer_totals
    -- a customer's history starts at their first purchase
    where customer_totals.last_purchase_date is not null
),

{% if is_incremental() %}
days_before_untotalled_window_starts as (
    -- customers without totals at their window's totals month (not buyers by then, so not kept) can
    -- still have refunds dated before the window (an identity or data defect; usually none)
    select
        buyer_months.calendar_month_end_date,
        buyer_months.customer_id,
        sum({{ rfm_frequency_units('purchase_days.order_count') }}) as order_count,
        sum(purchase_days.net_amount) as net_amount
    from buyer_months
    inner join window_starts on buyer_months.calendar_month_end_date = window_starts.calendar_month_end_date
    inner join purchase_days
        on
            buyer_months.customer_id = purchase_days.customer_id
            and window_starts.window_start_date >= purchase_days.purchase_date
    where not exists (
        select 1 from window_start_totals
        where
            window_start_totals.calendar_month_end_date = buyer_months.calendar_month_end_date
            and window_start_totals.customer_id = buyer_months.customer_id
    )
    group by buyer_months.calendar_month_end_date, buyer_months.customer_id
),
{% endif %}

customer_months as (
    select
        buyer_months.calendar_month_end_date,
        buyer_months.month_end_date,
        buyer_months.customer_id,
        buyer_months.first_purchase_date,
        buyer_months.last_purchase_date,
        buyer_months.previous_purchase_date,
        buyer_months.frequency_lifetime - coalesce(
            window_start_totals.frequency_lifetime - coalesce(window_start_month_days.order_count, 0),
            {% if is_incremental() %}days_before_untotalled_window_starts.order_count,{% endif %}
            0
        ) as frequency_window,
        buyer_months.frequency_lifetime,
        {% for channel in ['web', 'store', 'app'] %}
            buyer_months.{{ channel }}_orders_lifetime,
        {% endfor %}
        cast(
            buyer_months.monetary_lifetime - coalesce(
                window_start_totals.monetary_lifetime - coalesce(window_start_month_days.net_amount, 0),
                {% if is_incremental() %}days_before_untotalled_window_starts.net_amount,{% endif %}
                0
            ) as decimal(18, 2)
        ) as monetary_window,
        cast(buyer_months.monetary_lifetime as decimal(18, 2)) as monetary_lifetime
    from buyer_months
    left join window_start_totals
        on
            buyer_months.customer_id = window_start_totals.customer_id
            and buyer_months.calendar_month_end_date = window_start_totals.calendar_month_end_date
    left join window_start_month_days
        on
            buyer_months.customer_id = window_start_month_days.customer_id
            and buyer_months.calendar_month_end_date = window_start_month_days.calendar_month_end_date
    {% if is_incremental() %}
        left join days_before_untotalled_window_starts
            on
                buyer_months.customer_id = days_before_untotalled_window_starts.customer_id
                and buyer_months.calendar_month_end_date = days_before_untotalled_window_starts.calendar_month_end_date
    {% endif %}
),

final as (
    select
        customer_months.customer_id,
        customer_months.calendar_month_end_date,
        customer_months.month_end_date,
        customer_months.first_purchase_date,
        customer_months.last_purchase_date,
        customer_months.previous_purchase_date,
        -- running sums are HUGEINT in DuckDB, which few BI drivers read: counts are BIGINT
        cast(customer_months.frequency_window as bigint) as frequency_window,
        cast(customer_months.frequency_lifetime as bigint) as frequency_lifetime,
        cast(customer_months.web_orders_lifetime as bigint) as web_orders_lifetime,
        cast(customer_months.store_orders_lifetime as bigint) as store_orders_lifetime,
        cast(customer_months.app_orders_lifetime as bigint) as app_orders_lifetime,
        cast(customer_months.monetary_window as decimal(18, 2)) as monetary_window,
        cast(customer_months.monetary_lifetime as decimal(18, 2)) as monetary_lifetime,
        (select max(purchase_days.loaded_date) from purchase_days) as source_loaded_date,
        {{ utc_now() }} as processed_at
    from customer_months
    {% if is_incremental() %}
        -- the customers whose days changed and the moved months; the other rows stand
        cross join base_months
        where
            customer_months.customer_id in (select changed_customers.customer_id from changed_customers)
            or customer_months.calendar_month_end_date >= base_months.first_moved_month_end_date
    {% endif %}
)

-- stored month by month: the months a run rewrites are then contiguous row groups at the table's
-- end, cheap to delete and rewrite, and readers of one month skip the others
select * from final
order by calendar_month_end_date
