-- One row per campaign and RFM segment as of the campaign's start, plus one 'All segments' row per
-- campaign: the sums of its memberships' outcomes (int_campaign_members__outcomes, incremental by
-- membership), rebuilt whole each run, since a late order or an identity merge moves past campaigns' sums.
{% set z = var('campaign_interval_z') %}
{% set min_n = var('campaign_min_group_size') %}
{% set window_days = var('campaign_attribution_days') %}
with

campaigns as (
    select
        campaign_id,
        campaign_name,
        channel,
        start_date,
        cost_amount
    from {{ ref('stg_marketing__campaigns') }}
),

member_outcomes as (
    select
        campaign_id,
        group_name,
        rfm_segment,
        is_responder,
        window_orders,
        window_revenue
    from {{ ref('int_campaign_members__outcomes') }}
),

orders as (
    select ordered_date
    from {{ ref('fct_orders') }}
    where not is_refund and customer_id is not null
),

data_end as (
    select max(ordered_date) as last_order_date
    from orders
),

-- every member counts in their segment's row and in the campaign's 'All segments' row
member_rows as (
    select
        campaign_id,
        group_name,
        rfm_segment,
        is_responder,
        window_orders,
        window_revenue
    from member_outcomes
    union all
    select
        campaign_id,
        group_name,
        'All segments' as rfm_segment,
        is_responder,
        window_orders,
        window_revenue
    from member_outcomes
),

group_sums as (
    select
        campaign_id,
        rfm_segment,
        count(*) filter (where group_name = 'target') as n_t,
        count(*) filter (where group_name = 'control') as n_c,
        count(*) filter (where group_name = 'target' and is_responder) as x_t,
        count(*) filter (where group_name = 'control' and is_responder) as x_c,
        sum(window_orders) filter (where group_name = 'target') as orders_t,
        sum(window_orders) filter (where group_name = 'control') as orders_c,
        sum(window_orders * window_orders) filter (where group_name = 'target') as orders_squares_t,
        sum(window_orders * window_orders) filter (where group_name = 'control') as orders_squares_c,
        sum(window_revenue) filter (where group_name = 'target') as revenue_t,
        sum(window_revenue) filter (where group_name = 'control') as revenue_c,
        sum(window_revenue * window_revenue) filter (where group_name = 'target') as revenue_squares_t,
        sum(window_revenue * window_revenue) filter (where group_name = 'control') as revenue_squares_c
    from member_rows
    group by campaign_id, rfm_segment
),

rates as (
    select
        campaign_id,
        rfm_segment,
        n_t,
        n_c,
        x_t,
        x_c,
        n_t >= {{ min_n }} and n_c >= {{ min_n }} as is_measurable,
        x_t / nullif(n_t, 0) as p_t,
        x_c / nullif(n_c, 0) as p_c,
        (x_t + x_c) / nullif(n_t + n_c, 0) as p_pooled,
        {{ wilson_bound('x_t', 'n_t', z, 'lower') }} as p_t_lower,
        {{ wilson_bound('x_t', 'n_t', z, 'upper') }} as p_t_upper,
        {{ wilson_bound('x_c', 'n_c', z, 'lower') }} as p_c_lower,
        {{ wilson_bound('x_c', 'n_c', z, 'upper') }} as p_c_upper,
        orders_t / nullif(n_t, 0) - orders_c / nullif(n_c, 0) as orders_diff,
        sqrt(
            {{ sample_variance('orders_t', 'orders_squares_t', 'n_t') }} / n_t
            + {{ sample_variance('orders_c', 'orders_squares_c', 'n_c') }} / n_c
        ) as orders_diff_se,
        revenue_t / nullif(n_t, 0) - revenue_c / nullif(n_c, 0) as revenue_diff,
        sqrt(
            {{ sample_variance('revenue_t', 'revenue_squares_t', 'n_t') }} / n_t
            + {{ sample_variance('revenue_c', 'revenue_squares_c', 'n_c') }} / n_c
        ) as revenue_diff_se,
        (p_t - p_c) / nullif(sqrt(p_pooled * (1 - p_pooled) * (1 / n_t + 1 / n_c)), 0) as z_score,
        -- Katz log interval of the response-rate ratio; undefined without responders in a group
        case when x_t > 0 and x_c > 0 then sqrt(1 / x_t - 1 / n_t + 1 / x_c - 1 / n_c) end as log_ratio_se
    from group_sums
),

final as (
    select
        cast({{ surrogate_key(['rates.campaign_id', 'rates.rfm_segment']) }} as string) as campaign_segment_id,
        cast(rates.campaign_id as string) as campaign_id,
        cast(campaigns.campaign_name as string) as campaign_name,
        cast(campaigns.channel as string) as channel,
        cast(campaigns.start_date as date) as start_date,
        cast(rates.rfm_segment as string) as rfm_segment,
        rates.rfm_segment = 'All segments' as is_all_segments,
        cast(campaigns.start_date + {{ window_days }} as date) as attribution_end_date,
        campaigns.start_date + {{ window_days }} <= data_end.last_order_date as is_window_complete,
        cast(rates.n_t as bigint) as targeted_count,
        cast(rates.n_c as bigint) as control_count,
        cast(rates.x_t as bigint) as target_responder_count,
        cast(rates.x_c as bigint) as control_responder_count,
        cast(rates.p_t as double) as target_response_rate,
        cast(rates.p_c as double) as control_response_rate,
        rates.is_measurable,
        -- Newcombe's hybrid score interval of p_t - p_c (from the two Wilson intervals)
        case when rates.is_measurable then cast(rates.p_t - rates.p_c as double) end as absolute_lift,
        case when rates.is_measurable then cast(rates.p_t - rates.p_c - sqrt(
            power(rates.p_t - rates.p_t_lower, 2) + power(rates.p_c_upper - rates.p_c, 2)
        ) as double) end as absolute_lift_lower,
        case when rates.is_measurable then cast(rates.p_t - rates.p_c + sqrt(
            power(rates.p_t_upper - rates.p_t, 2) + power(rates.p_c - rates.p_c_lower, 2)
        ) as double) end as absolute_lift_upper,
        case when rates.is_measurable then cast(rates.p_t / nullif(rates.p_c, 0) - 1 as double) end as relative_lift,
        case when rates.is_measurable and rates.log_ratio_se is not null then cast(
            exp(ln(rates.p_t / rates.p_c) - {{ z }} * rates.log_ratio_se) - 1 as double
        ) end as relative_lift_lower,
        case when rates.is_measurable and rates.log_ratio_se is not null then cast(
            exp(ln(rates.p_t / rates.p_c) + {{ z }} * rates.log_ratio_se) - 1 as double
        ) end as relative_lift_upper,
        case when rates.is_measurable then cast(
            2 * (1 - {{ normal_cdf('abs(rates.z_score)') }}) as double
        ) end as response_p_value,
        -- Welch's normal interval of the difference of the groups' mean orders (and below, revenue) per member
        {{ normal_interval_columns(
            'rates.orders_diff', 'rates.orders_diff_se', z, 'rates.is_measurable', 'incremental_orders_per_member'
        ) }},
        case when rates.is_measurable then cast(rates.orders_diff * rates.n_t as double) end as incremental_orders,
        {{ normal_interval_columns(
            'rates.revenue_diff', 'rates.revenue_diff_se', z, 'rates.is_measurable', 'incremental_revenue_per_member'
        ) }},
        case when rates.is_measurable then cast(
            rates.revenue_diff * rates.n_t as decimal(18, 2)
        ) end as incremental_revenue_amount,
        -- a segment carries the campaign's cost in proportion to its members (the cost is per contact)
        cast(campaigns.cost_amount * (rates.n_t + rates.n_c) / sum(rates.n_t + rates.n_c) over (
            partition by rates.campaign_id, rates.rfm_segment = 'All segments'
        ) as decimal(18, 2)) as cost_amount,
        case when rates.is_measurable then cast(
            (rates.revenue_diff * rates.n_t) / nullif(campaigns.cost_amount * (rates.n_t + rates.n_c) / sum(
                rates.n_t + rates.n_c
            ) over (partition by rates.campaign_id, rates.rfm_segment = 'All segments'), 0) - 1 as double
        ) end as roi
    from rates
    inner join campaigns on rates.campaign_id = campaigns.campaign_id
    cross join data_end
)

select * from final
