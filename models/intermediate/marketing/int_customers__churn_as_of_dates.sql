-- One row per as-of date churn_features has: the first day after each complete month of
-- customer_rfm_history, once var('churn_settle_days') more days of data have come. The current month's
-- features would change every day; waiting for the late orders (up to var('churn_settle_days') late)
-- computes a month once rather than again on every day a late order still changes it. With what tells
-- an incremental churn_features run to redo a date: when customer_rfm_history last wrote its month, and
-- the newest load that brought a non-order input dated before it.
with

history_months as (
    select
        calendar_month_end_date,
        month_end_date,
        history_processed_at
    from {{ ref('customer_rfm_history') }}
),

purchase_days as (
    select purchase_date
    from {{ ref('int_customers__purchase_days') }}
),

app_events as (
    select
        load_date,
        event_at
    from {{ ref('stg_app__app_events') }}
),

campaign_responses as (
    select
        load_date,
        responded_at
    from {{ ref('stg_marketing__campaign_responses') }}
),

tickets as (
    select
        load_date,
        opened_at
    from {{ ref('stg_support__tickets') }}
),

crm_contacts as (
    select
        load_date,
        email_bounced_at,
        updated_at
    from {{ ref('stg_crm__contacts') }}
    where email_bounced_at is not null
),

data_end as (
    select max(purchase_date) as data_end_date
    from purchase_days
),

complete_months as (
    select
        calendar_month_end_date,
        max(history_processed_at) as history_processed_at
    from history_months
    group by calendar_month_end_date
    -- the month of the analytics as-of date is partial (month_end_date before the calendar month end)
    having max(case when month_end_date = calendar_month_end_date then 1 else 0 end) = 1
),

settled_dates as (
    select
        complete_months.calendar_month_end_date,
        cast(complete_months.calendar_month_end_date + interval '1 day' as date) as as_of_date,
        complete_months.history_processed_at
    from complete_months
    cross join data_end
    where
        {{ dbt.dateadd('day', var('churn_settle_days'), 'complete_months.calendar_month_end_date') }}
        <= data_end.data_end_date
),

input_loads as (
    -- the earliest input each load brought; late orders reopen months in customer_rfm_history instead
    select
        load_date,
        min(event_at) as first_input_at
    from app_events
    group by load_date
    union all
    select
        load_date,
        min(responded_at)
    from campaign_responses
    group by load_date
    union all
    select
        load_date,
        min(opened_at)
    from tickets
    group by load_date
    union all
    select
        load_date,
        -- an e-mail bounce is known from the record version that reported it
        min(greatest(email_bounced_at, updated_at))
    from crm_contacts
    group by load_date
),

final as (
    select
        settled_dates.calendar_month_end_date,
        settled_dates.as_of_date,
        settled_dates.history_processed_at,
        max(input_loads.load_date) as newest_input_load_date
    from settled_dates
    left join input_loads on settled_dates.as_of_date > input_loads.first_input_at
    group by settled_dates.calendar_month_end_date, settled_dates.as_of_date, settled_dates.history_processed_at
)

select * from final
