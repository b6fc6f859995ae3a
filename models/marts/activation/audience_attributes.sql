-- One row per customer: the columns an audience predicate may test (seeds/audiences.csv), from the
-- customer, RFM, lifecycle, churn and CLV marts. Its documented columns are the whitelist the
-- predicates are checked against, so it holds no clear personal data and no hashes. Customers who
-- asked to be erased are not here, so no audience can select them (and no activation table holds them).
with

customers as (
    select
        customer_id,
        is_erased,
        country_code,
        age_band,
        gender,
        acquisition_source,
        preferred_channel,
        source_systems,
        app_device_types,
        lifetime_order_count,
        lifetime_refund_count,
        lifetime_net_revenue,
        web_order_count,
        store_order_count,
        app_order_count,
        first_purchase_at,
        last_purchase_at,
        support_ticket_count,
        complaint_count,
        last_csat_score,
        campaigns_targeted_count,
        campaign_open_count,
        campaign_click_count,
        campaign_conversion_count,
        contact_quality_score,
        is_email_stale
    from {{ ref('dim_customers') }}
),

rfm as (
    select
        customer_id,
        recency_days,
        frequency_window,
        monetary_window,
        monetary_lifetime,
        recency_score,
        frequency_score,
        monetary_score,
        rfm_segment,
        rfm_cell
    from {{ ref('customer_rfm') }}
),

lifecycle as (
    select
        customer_id,
        lifecycle_stage,
        days_since_last
    from {{ ref('customer_lifecycle') }}
),

churn_scores as (
    select
        customer_id,
        churn_probability,
        churn_risk_band
    from {{ ref('customer_churn_scores') }}
),

clv as (
    select
        customer_id,
        probability_alive,
        expected_clv
    from {{ ref('customer_clv') }}
),

clv_ranked as (
    select
        customer_id,
        probability_alive,
        expected_clv,
        ntile(5) over (order by expected_clv, customer_id) as clv_quintile
    from clv
    where expected_clv is not null
),

final as (
    select
        customers.customer_id,
        customers.country_code,
        customers.age_band,
        customers.gender,
        customers.acquisition_source,
        customers.preferred_channel,
        -- loyalty cards are the store channel's customer records
        coalesce(',' || customers.source_systems || ',' like '%,store,%', false) as is_loyalty_member,
        customers.app_device_types is not null as has_app,
        customers.lifetime_order_count,
        customers.lifetime_refund_count,
        customers.lifetime_net_revenue,
        customers.web_order_count,
        customers.store_order_count,
        customers.app_order_count,
        customers.first_purchase_at,
        customers.last_purchase_at,
        customers.support_ticket_count,
        customers.complaint_count,
        customers.last_csat_score,
        customers.campaigns_targeted_count,
        customers.campaign_open_count,
        customers.campaign_click_count,
        customers.campaign_conversion_count,
        customers.contact_quality_score,
        customers.is_email_stale,
        rfm.recency_days,
        rfm.frequency_window,
        rfm.monetary_window,
        rfm.monetary_lifetime,
        rfm.recency_score,
        rfm.frequency_score,
        rfm.monetary_score,
        rfm.rfm_segment,
        rfm.rfm_cell,
        lifecycle.lifecycle_stage,
        lifecycle.days_since_last,
        churn_scores.churn_probability,
        churn_scores.churn_risk_band,
        clv_ranked.probability_alive,
        clv_ranked.expected_clv,
        clv_ranked.clv_quintile
    from customers
    left join rfm on customers.customer_id = rfm.customer_id
    left join lifecycle on customers.customer_id = lifecycle.customer_id
    left join churn_scores on customers.customer_id = churn_scores.customer_id
    left join clv_ranked on customers.customer_id = clv_ranked.customer_id
    where not customers.is_erased
)

select * from final
