{{
    config(
        materialized=incremental_materialization(),
        unique_key=['customer_id', 'calendar_month_end_date'],
        incremental_strategy='delete+insert',
        pre_hook="{{ delete_vanished_monthly_rows(ref('int_customers__monthly_totals'), 'history_processed_at') }}"
    )
}}
-- depends_on: {{ ref('int_customers__purchase_days') }}
-- depends_on: {{ ref('customer_id_merges') }}
-- depends_on: {{ ref('int_customers__order_summary') }}
-- One row per customer with a purchase and month: the month's RFM inputs (int_customers__monthly_totals)
-- with 1-5 scores (quintiles of the month, or the fixed thresholds of seeds/rfm_score_thresholds.csv
-- with var('rfm_scoring') = 'thresholds'), RFM segment and lifecycle stage as of the month's last day
-- (the as-of date for the current month, which customer_rfm serves). Quintiles rank a month's whole
-- population, so a run ranks again every month from the first one the totals reopened since it last
-- ran (first_reopened_month), and writes the rewritten rows and the rows whose scores
-- moved; the pre-hook deletes the rows of those months that have no totals any more (merged-away
-- ids, purchases that vanished).
-- Conventions (macro rfm_conventions): a change needs --full-refresh of this model, the totals and
-- their children.
{%- set rfm = rfm_conventions() %}
with

monthly_totals as (
    select
        customer_id,
        calendar_month_end_date,
        month_end_date,
        first_purchase_date,
        last_purchase_date,
        previous_purchase_date,
        frequency_window,
        frequency_lifetime,
        web_orders_lifetime,
        store_orders_lifetime,
        app_orders_lifetime,
        monetary_window,
        monetary_lifetime,
        source_loaded_date,
        processed_at
    from {{ ref('int_customers__monthly_totals') }}
),

{% if is_incremental() %}
stored_scores as (
    select
        customer_id,
        calendar_month_end_date,
        recency_score,
        frequency_score,
        monetary_score,
        history_processed_at
    from {{ this }}
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

{% if rfm.scoring == 'thresholds' %}
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

segment_cells as (
    -- the seed's score ranges as (recency score, frequency score) cells, so scores find their
    -- segment by an equi-join
    select
        recency_scores.score as recency_score,
        frequency_scores.score as frequency_score,
        segments.rfm_segment
    from segments
    inner join (values (1), (2), (3), (4), (5)) as recency_scores (score)
        on recency_scores.score between segments.recency_score_min and segments.recency_score_max
    inner join (values (1), (2), (3), (4), (5)) as frequency_scores (score)
        on frequency_scores.score between segments.frequency_score_min and segments.frequency_score_max
),

{% if is_incremental() %}
last_run as (
    select max(history_processed_at) as history_processed_at from stored_scores
),

ranked_months as (
    -- every month from the first reopened one: their populations changed
    select monthly_totals.*
    from monthly_totals
    where monthly_totals.calendar_month_end_date >= {{ first_reopened_month(ref('int_customers__monthly_totals'), 'history_processed_at') }}
),
{% else %}
    ranked_months as (
        select * from monthly_totals
    ),
{% endif %}

with_recency as (
    select
        *,
        {{ days_between('last_purchase_date', 'month_end_date') }} as recency_days
    from ranked_months
),

scored as (
    select
        with_recency.*,
        {{ lifecycle_stage(
            days_between('with_recency.first_purchase_date', 'with_recency.month_end_date'),
            'with_recency.recency_days',
            days_between('with_recency.previous_purchase_date', 'with_recency.last_purchase_date')
        ) }} as lifecycle_stage,
        {% if rfm.scoring == 'thresholds' %}
        -- bigint like NTILE's scores, as the contract says
        cast((
            -- recency scores fall as the bounds rise: the lowest score whose bound is reached
            select min(thresholds.score) from thresholds
            where thresholds.metric = 'recency_days' and thresholds.min_value <= with_recency.recency_days
        ) as bigint) as recency_score,
        cast((
            select max(thresholds.score) from thresholds
            where thresholds.metric = 'frequency' and thresholds.min_value <= with_recency.frequency_window
        ) as bigint) as frequency_score,
        cast((
            select max(thresholds.score) from thresholds
            where thresholds.metric = 'monetary' and thresholds.min_value <= with_recency.monetary_window
        ) as bigint) as monetary_score
        {% else %}
            -- quintiles of the month's population (NTILE(5): the first n mod 5 scores get one customer
            -- more); equal values are ordered by customer_id (a hash, so arbitrary but deterministic)
            -- so that a rebuild and an incremental run agree; bigint on every engine (Spark's NTILE is int)
            cast(ntile(5) over (
                partition by with_recency.month_end_date
                order by with_recency.last_purchase_date asc, with_recency.customer_id asc
            ) as bigint) as recency_score,
            cast(ntile(5) over (
                partition by with_recency.month_end_date
                order by with_recency.frequency_window asc, with_recency.customer_id asc
            ) as bigint) as frequency_score,
            cast(ntile(5) over (
                partition by with_recency.month_end_date
                order by with_recency.monetary_window asc, with_recency.customer_id asc
            ) as bigint) as monetary_score
        {% endif %}
    from with_recency
),

final as (
    select
        {{ surrogate_key(['scored.customer_id', 'scored.month_end_date']) }} as customer_month_id,
        scored.customer_id,
        scored.calendar_month_end_date,
        scored.month_end_date,
        scored.first_purchase_date,
        scored.last_purchase_date,
        scored.previous_purchase_date,
        scored.recency_days,
        scored.frequency_window,
        scored.frequency_lifetime,
        scored.web_orders_lifetime,
        scored.store_orders_lifetime,
        scored.app_orders_lifetime,
        scored.monetary_window,
        scored.monetary_lifetime,
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score,
        segment_cells.rfm_segment,
        scored.lifecycle_stage,
        (select max(monthly_totals.source_loaded_date) from monthly_totals) as source_loaded_date,
        {{ utc_now() }} as history_processed_at
    from scored
    left join segment_cells
        on scored.recency_score = segment_cells.recency_score and scored.frequency_score = segment_cells.frequency_score
    {% if is_incremental() %}
        -- only rows that differ: the rewritten totals, and the other rows whose scores moved
        left join stored_scores
            on
                scored.customer_id = stored_scores.customer_id
                and scored.calendar_month_end_date = stored_scores.calendar_month_end_date
        where
            scored.processed_at > (select last_run.history_processed_at from last_run)
            or stored_scores.customer_id is null
            or scored.recency_score is distinct from stored_scores.recency_score
            or scored.frequency_score is distinct from stored_scores.frequency_score
            or scored.monetary_score is distinct from stored_scores.monetary_score
    {% endif %}
)

-- stored month by month: the months a run rewrites are then contiguous row groups at the table's
-- end, and readers of one month skip the others
select * from final
order by calendar_month_end_date
