-- One row per customer with a purchase by the as-of date: recency, frequency and monetary value
-- (in the var('rfm_window_days') window and over the lifetime), 1-5 scores (quintiles of the
-- population, or the fixed thresholds of seeds/rfm_score_thresholds.csv with var('rfm_scoring') =
-- 'thresholds'), the RFM cell ('555') and the named segment of seeds/rfm_segments.csv.
-- Quintiles break ties by customer_id so that a rebuild gives the same scores.
with

purchase_days as (
    select
        customer_id,
        purchase_date,
        order_count,
        net_amount
    from {{ ref('customer_purchase_days') }}
),

segments as (
    select
        recency_score_min,
        recency_score_max,
        frequency_score_min,
        frequency_score_max,
        rfm_segment
    from {{ ref('rfm_segments') }}
),

{% if var('rfm_scoring') == 'thresholds' %}
thresholds as (
    select
        metric,
        score,
        min_value
    from {{ ref('rfm_score_thresholds') }}
),
{% else %}
-- depends_on: {{ ref('rfm_score_thresholds') }}
{% endif %}

as_of as (
    select {{ analytics_as_of_date(ref('customer_purchase_days')) }} as as_of_date
),

customer_values as (
    select
        purchase_days.customer_id,
        as_of.as_of_date,
        max(case when purchase_days.order_count > 0 then purchase_days.purchase_date end) as last_purchase_date,
        sum(
            case
                when purchase_days.purchase_date > as_of.as_of_date - interval '{{ var("rfm_window_days") }} days'
                    then purchase_days.order_count
                else 0
            end
        ) as frequency_window,
        sum(purchase_days.order_count) as frequency_lifetime,
        cast(coalesce(sum(
            case
                when purchase_days.purchase_date > as_of.as_of_date - interval '{{ var("rfm_window_days") }} days'
                    then purchase_days.net_amount
            end
        ), 0) as decimal(18, 2)) as monetary_window,
        cast(sum(purchase_days.net_amount) as decimal(18, 2)) as monetary_lifetime
    from purchase_days
    cross join as_of
    where purchase_days.purchase_date <= as_of.as_of_date
    group by purchase_days.customer_id, as_of.as_of_date
    having max(case when purchase_days.order_count > 0 then purchase_days.purchase_date end) is not null
),

with_recency as (
    select
        *,
        {{ days_between('last_purchase_date', 'as_of_date') }} as recency_days
    from customer_values
),

scored as (
    select
        with_recency.*,
        {% if var('rfm_scoring') == 'thresholds' %}
        (
            -- recency scores fall as the bounds rise: the lowest score whose bound is reached
            select min(thresholds.score) from thresholds
            where thresholds.metric = 'recency_days' and thresholds.min_value <= with_recency.recency_days
        ) as recency_score,
        (
            select max(thresholds.score) from thresholds
            where thresholds.metric = 'frequency' and thresholds.min_value <= with_recency.frequency_window
        ) as frequency_score,
        (
            select max(thresholds.score) from thresholds
            where thresholds.metric = 'monetary' and thresholds.min_value <= with_recency.monetary_window
        ) as monetary_score
        {% else %}
            ntile(5) over (order by with_recency.recency_days desc, with_recency.customer_id asc) as recency_score,
            ntile(5) over (order by with_recency.frequency_window asc, with_recency.customer_id asc) as frequency_score,
            ntile(5) over (order by with_recency.monetary_window asc, with_recency.customer_id asc) as monetary_score
        {% endif %}
    from with_recency
),

final as (
    select
        scored.customer_id,
        scored.as_of_date,
        scored.last_purchase_date,
        scored.recency_days,
        scored.frequency_window,
        scored.frequency_lifetime,
        scored.monetary_window,
        scored.monetary_lifetime,
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score,
        segments.rfm_segment
    from scored
    left join segments
        on
            scored.recency_score between segments.recency_score_min and segments.recency_score_max
            and scored.frequency_score between segments.frequency_score_min and segments.frequency_score_max
)

select
    *,
    cast(recency_score as varchar) || cast(frequency_score as varchar) || cast(monetary_score as varchar) as rfm_cell
from final
