{{
    config(
        materialized='incremental',
        unique_key='churn_feature_id',
        incremental_strategy='delete+insert',
        pre_hook="{{ delete_vanished_churn_features() }}"
    )
}}
{% if is_incremental() %}
    {#- what this run redoes, as literal dates (see the macro), so that the reads below skip the rest -#}
    {% set plan = churn_features_plan() %}
    {% set first_compute_month = plan.compute_months | first or 'cast(null as date)' %}
    {% set last_compute_month = plan.compute_months | last or 'cast(null as date)' %}
{% endif %}
-- depends_on: {{ ref('stg_app__app_events') }}
-- depends_on: {{ ref('stg_marketing__campaign_responses') }}
-- One row per customer who had bought by then and as-of date (the first day of each month after a
-- complete month, once var('churn_settle_days') more days of data have come): features computed only
-- from data before the as-of date, and the label - no
-- purchase in the var('churn_horizon_days') days from the as-of date - once the data covers them.
-- Incremental (delete+insert by churn_feature_id): a run computes the features of newly settled
-- months, of months customer_rfm_history rewrote since (late orders, identity merges) and of as-of
-- dates computed before a load with earlier non-order inputs. Labels are set for a whole as-of date
-- when the data comes to cover its horizon, and afterwards only for the customers with orders loaded
-- since inside it; those rows keep their features (they only use data before the as-of date).
with

history_months as (
    select
        calendar_month_end_date,
        month_end_date
    from {{ ref('customer_rfm_history') }}
),

history as (
    select
        customer_id,
        calendar_month_end_date,
        month_end_date,
        recency_days,
        frequency_window,
        frequency_lifetime,
        monetary_window,
        monetary_lifetime,
        web_orders_lifetime,
        store_orders_lifetime,
        app_orders_lifetime,
        recency_score,
        frequency_score,
        monetary_score,
        lifecycle_stage
    from {{ ref('customer_rfm_history') }}
),

purchase_days as (
    select
        customer_id,
        purchase_date,
        order_count,
        loaded_date
    from {{ ref('int_customers__purchase_days') }}
    {% if is_incremental() %}
        where purchase_date >= {{ plan.read_from }}
    {% endif %}
),

customer_events as (
    select
        customer_id,
        event_at,
        event_type
    from {{ ref('fct_customer_events') }}
    where
        event_type in (
            'app_open', 'product_view', 'add_to_cart', 'campaign_open', 'campaign_click', 'campaign_convert',
            'ticket_opened', 'complaint_opened'
        )
    {% if is_incremental() %}
        -- the 90 days before the as-of dates computed
        and event_at >= {{ first_compute_month }} - interval '89 days'
        and event_at < {{ last_compute_month }} + interval '1 day'
    {% endif %}
),

tickets as (
    select
        ticket_id,
        opened_at,
        csat_score
    from {{ ref('stg_support__tickets') }}
),

crm_contacts as (
    select
        contact_id,
        email_bounced_at,
        updated_at
    from {{ ref('stg_crm__contacts') }}
    where email_bounced_at is not null
),

customer_ids as (
    select
        source_name,
        source_record_id,
        customer_id
    from {{ ref('bridge_customer_identity') }}
),

data_end as (
    {% if is_incremental() %}
    select
        {{ plan.data_end_date }} as data_end_date,
        {{ plan.source_loaded_date }} as source_loaded_date
    {% else %}
    select
        max(purchase_date) as data_end_date,
        max(loaded_date) as source_loaded_date
    from purchase_days
    {% endif %}
),

{% if is_incremental() %}
late_purchase_days as (
    select
        customer_id,
        purchase_date,
        loaded_date
    from purchase_days
    -- loads before the last run were checked by that run
    where order_count > 0 and loaded_date > {{ plan.loaded_since }}
),

rows_to_relabel as (
    -- a known label changes only by the customer's own orders: those loaded since it was computed
    -- inside its horizon relabel that row alone
    select distinct processed.churn_feature_id
    from {{ this }} as processed
    inner join late_purchase_days
        on
            processed.customer_id = late_purchase_days.customer_id
            and late_purchase_days.loaded_date > processed.source_loaded_date
            and late_purchase_days.purchase_date >= processed.as_of_date
            and late_purchase_days.purchase_date
            < processed.as_of_date + interval '{{ var("churn_horizon_days") }} days'
    where
        processed.is_churned_next_horizon is not null
        and processed.as_of_date >= {{ plan.relabel_from }}
),
{% endif %}

feature_dates as (
    select distinct
        history_months.calendar_month_end_date,
        cast(history_months.calendar_month_end_date + interval '1 day' as date) as as_of_date
    from history_months
    cross join data_end
    where
        -- complete months only: the current month's features would change every day
        history_months.month_end_date = history_months.calendar_month_end_date
        -- and settled: orders arriving up to var('churn_settle_days') late have come, so the features
        -- are computed once rather than again on every day a late order still changes the month
        and {{ dbt.dateadd('day', var('churn_settle_days'), 'history_months.calendar_month_end_date') }}
        <= data_end.data_end_date
    {% if is_incremental() %}
        -- completed or reopened since the last run, or computed before a late input (see the plan)
        and history_months.calendar_month_end_date in {{ sql_in_list(plan.compute_months) }}
    {% endif %}
),

{% set feature_columns = [
    'recency_days', 'frequency_window', 'frequency_lifetime', 'monetary_window', 'monetary_lifetime',
    'recency_score', 'frequency_score', 'monetary_score', 'lifecycle_stage', 'monetary_window_change_3m',
    'web_order_share', 'store_order_share', 'app_order_share', 'app_events_30d', 'campaign_responses_90d',
    'complaints_90d', 'average_csat_before', 'has_bounced_email_before'
] %}
{% if is_incremental() %}
{% set carried_columns -%}
processed.churn_feature_id, processed.customer_id, processed.as_of_date,
{%- for column in feature_columns %} processed.{{ column }},{% endfor %} processed.features_hash
{%- endset %}
relabelled as (
    -- rows whose features stand but whose labels moved: carried over, to be labelled again
    select {{ carried_columns }}
    from {{ this }} as processed
    where
        -- the labels' horizon is now covered by the data: every row of the date is labelled
        processed.as_of_date in {{ sql_in_list(plan.label_dates) }}
        and processed.as_of_date not in (select feature_dates.as_of_date from feature_dates)
    union
    select {{ carried_columns }}
    from {{ this }} as processed
    inner join rows_to_relabel on processed.churn_feature_id = rows_to_relabel.churn_feature_id
    where
        processed.as_of_date >= {{ plan.relabel_from }}
        and processed.as_of_date not in (select feature_dates.as_of_date from feature_dates)
),
{% endif %}

{% set first_feature_month = first_compute_month if is_incremental()
    else '(select min(calendar_month_end_date) from feature_dates)' %}
history_with_trend as (
    -- the trend needs the three months before each as-of date, read only for the dates computed
    select
        *,
        -- the channel shares' denominator is orders, whatever unit var('rfm_frequency_unit') gives
        -- frequency_lifetime
        web_orders_lifetime + store_orders_lifetime + app_orders_lifetime as orders_lifetime,
        monetary_window - coalesce(lag(monetary_window, 3) over (
            partition by customer_id order by calendar_month_end_date
        ), 0) as monetary_window_change_3m
    from history
    where calendar_month_end_date >= {{ dbt.dateadd('month', -3, first_feature_month) }}
),

history_features as (
    select
        history.customer_id,
        feature_dates.as_of_date,
        history.recency_days + 1 as recency_days,
        history.frequency_window,
        history.frequency_lifetime,
        history.monetary_window,
        history.monetary_lifetime,
        -- the history's lifetime counts at the month end: every order before the as-of date
        history.web_orders_lifetime * 1.0 / nullif(history.orders_lifetime, 0) as web_order_share,
        history.store_orders_lifetime * 1.0 / nullif(history.orders_lifetime, 0) as store_order_share,
        history.app_orders_lifetime * 1.0 / nullif(history.orders_lifetime, 0) as app_order_share,
        history.recency_score,
        history.frequency_score,
        history.monetary_score,
        history.lifecycle_stage,
        history.monetary_window_change_3m
    from history_with_trend as history
    inner join feature_dates on history.calendar_month_end_date = feature_dates.calendar_month_end_date
),

recent_activity as (
    select
        customer_events.customer_id,
        feature_dates.as_of_date,
        count(
            case
                when
                    customer_events.event_type in ('app_open', 'product_view', 'add_to_cart')
                    and customer_events.event_at >= feature_dates.as_of_date - interval '30 days'
                    then 1
            end
        ) as app_events_30d,
        count(case when customer_events.event_type like 'campaign_%' then 1 end) as campaign_responses_90d,
        count(case when customer_events.event_type = 'complaint_opened' then 1 end) as complaints_90d
    from feature_dates
    inner join customer_events
        on
            feature_dates.as_of_date > customer_events.event_at
            and customer_events.event_at >= feature_dates.as_of_date - interval '90 days'
    group by customer_events.customer_id, feature_dates.as_of_date
),

csat_before as (
    select
        customer_ids.customer_id,
        feature_dates.as_of_date,
        avg(tickets.csat_score) as average_csat_before
    from feature_dates
    inner join tickets on feature_dates.as_of_date > tickets.opened_at and tickets.csat_score is not null
    inner join
        customer_ids
        on customer_ids.source_name = 'support' and tickets.ticket_id = customer_ids.source_record_id
    group by customer_ids.customer_id, feature_dates.as_of_date
),

bounces_before as (
    select distinct
        customer_ids.customer_id,
        feature_dates.as_of_date
    from feature_dates
    -- known before the as-of date: the bounce and the record version that reported it
    inner join crm_contacts
        on
            feature_dates.as_of_date > crm_contacts.email_bounced_at
            and feature_dates.as_of_date > crm_contacts.updated_at
    inner join
        customer_ids
        on customer_ids.source_name = 'crm' and crm_contacts.contact_id = customer_ids.source_record_id
),

labelled_rows as (
    select
        customer_id,
        as_of_date
    from history_features
    {% if is_incremental() %}
        union all
        select
            customer_id,
            as_of_date
        from relabelled
    {% endif %}
),

labels as (
    select
        labelled_rows.customer_id,
        labelled_rows.as_of_date,
        case
            when
                labelled_rows.as_of_date + interval '{{ var("churn_horizon_days") }} days'
                > data_end.data_end_date + interval '1 day' then null
            else count(purchase_days.purchase_date) = 0
        end as is_churned_next_horizon
    from labelled_rows
    cross join data_end
    left join purchase_days
        on
            labelled_rows.customer_id = purchase_days.customer_id
            and purchase_days.order_count > 0
            and labelled_rows.as_of_date <= purchase_days.purchase_date
            and purchase_days.purchase_date
            < labelled_rows.as_of_date + interval '{{ var("churn_horizon_days") }} days'
    group by labelled_rows.customer_id, labelled_rows.as_of_date, data_end.data_end_date
),

features as (
    select
        {{ surrogate_key(['history_features.customer_id', 'history_features.as_of_date']) }} as churn_feature_id,
        history_features.customer_id,
        history_features.as_of_date,
        history_features.recency_days,
        history_features.frequency_window,
        history_features.frequency_lifetime,
        history_features.monetary_window,
        history_features.monetary_lifetime,
        history_features.recency_score,
        history_features.frequency_score,
        history_features.monetary_score,
        history_features.lifecycle_stage,
        -- a difference of two DECIMAL(18, 2) widens to (19, 2): money stays DECIMAL(18, 2)
        cast(history_features.monetary_window_change_3m as decimal(18, 2)) as monetary_window_change_3m,
        coalesce(history_features.web_order_share, 0) as web_order_share,
        coalesce(history_features.store_order_share, 0) as store_order_share,
        coalesce(history_features.app_order_share, 0) as app_order_share,
        coalesce(recent_activity.app_events_30d, 0) as app_events_30d,
        coalesce(recent_activity.campaign_responses_90d, 0) as campaign_responses_90d,
        coalesce(recent_activity.complaints_90d, 0) as complaints_90d,
        csat_before.average_csat_before,
        bounces_before.customer_id is not null as has_bounced_email_before,
        labels.is_churned_next_horizon,
        (select data_end.source_loaded_date from data_end) as source_loaded_date,
        {{ utc_now() }} as features_processed_at
    from history_features
    left join recent_activity
        on
            history_features.customer_id = recent_activity.customer_id
            and history_features.as_of_date = recent_activity.as_of_date
    left join csat_before
        on
            history_features.customer_id = csat_before.customer_id
            and history_features.as_of_date = csat_before.as_of_date
    left join bounces_before
        on
            history_features.customer_id = bounces_before.customer_id
            and history_features.as_of_date = bounces_before.as_of_date
    left join labels
        on history_features.customer_id = labels.customer_id and history_features.as_of_date = labels.as_of_date
),

final as (
    select
        *,
        -- customer_churn_scores rescores a customer only when this changes
        {{ row_hash(feature_columns) }} as features_hash
    from features
    {% if is_incremental() %}
        union all
        select
            relabelled.churn_feature_id,
            relabelled.customer_id,
            relabelled.as_of_date,
            {% for column in feature_columns %}
                relabelled.{{ column }},
            {% endfor %}
            labels.is_churned_next_horizon,
            (select data_end.source_loaded_date from data_end) as source_loaded_date,
            {{ utc_now() }} as features_processed_at,
            relabelled.features_hash
        from relabelled
        inner join labels
            on relabelled.customer_id = labels.customer_id and relabelled.as_of_date = labels.as_of_date
    {% endif %}
)

-- stored month by month, for the reason given in customer_rfm_history
select * from final
order by as_of_date
