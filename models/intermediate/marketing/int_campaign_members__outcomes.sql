{{
    config(
        materialized=incremental_materialization(),
        unique_key='campaign_member_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["{{ delete_tombstone_rows('rfm_segment') }}", "{{ manifest_record_downstream_progress() }}"]
    )
}}
-- depends_on: {{ ref('load_manifest_progress') }}
-- depends_on: {{ ref('customer_identity_snapshot') }}
-- depends_on: {{ ref('stg_marketing__campaign_members') }}
-- depends_on: {{ ref('stg_marketing__campaign_responses') }}
-- One row per membership of a staged campaign with what fct_campaign_performance sums: the member's
-- group, whether they converted, their RFM segment of the month before the start (what was known when
-- the audience was picked) and their non-refund orders and revenue in the attribution window.
-- Incremental by membership: a run redoes the memberships of the work list (campaign_memberships_work_list:
-- staging rows, moved contacts, customers' orders and segment rows written since its last run), or every
-- one when a load it processed changed, since write times cannot show a staged row that vanished; a gone
-- membership then gets a tombstone (null rfm_segment, deleted by the post-hook). It writes the rows that
-- differ.
{% set window_days = var('campaign_attribution_days') %}
{% set outcome_columns = [
    'campaign_id', 'customer_id', 'campaign_start_date', 'group_name', 'rfm_segment', 'is_responder',
    'window_orders', 'window_revenue'
] %}
{% set redo_every_membership = is_incremental() and (
    manifest_processed_files_changed() or manifest_changed_load_date_list(processed_before=true)
) %}
with

members as (
    select
        campaign_member_id,
        campaign_id,
        customer_id,
        group_name,
        has_converted
    from {{ ref('int_campaign_members__responses') }}
),

campaigns as (
    select
        campaign_id,
        start_date
    from {{ ref('stg_marketing__campaigns') }}
),

segments as (
    select
        customer_id,
        calendar_month_end_date,
        rfm_segment
    from {{ ref('customer_rfm_history') }}
),

orders as (
    select
        customer_id,
        ordered_date,
        net_amount
    from {{ ref('fct_orders') }}
    where not is_refund and customer_id is not null
),

{% if is_incremental() %}
    stored_outcomes as (
        select
            campaign_member_id,
            {{ outcome_columns | join(',\n            ') }}
        from {{ this }}
    ),
{% endif %}

-- members of a campaign that staging quarantined have no start and are not counted
staged_members as (
    select
        members.campaign_member_id,
        members.campaign_id,
        members.customer_id,
        campaigns.start_date as campaign_start_date,
        members.group_name,
        members.has_converted as is_responder
    from members
    inner join campaigns on members.campaign_id = campaigns.campaign_id
),

{% if is_incremental() and not redo_every_membership %}
    redone_ids as (
        {{ campaign_memberships_work_list('staged_members') }}
    ),

    redone_members as (
        select *
        from staged_members
        where campaign_member_id in (select redone_ids.campaign_member_id from redone_ids)
    ),

    replaced_outcomes as (
        select *
        from stored_outcomes
        where campaign_member_id in (select redone_ids.campaign_member_id from redone_ids)
    ),
{% else %}
    redone_members as (
        select * from staged_members
    ),

    {% if is_incremental() %}
        replaced_outcomes as (
            select * from stored_outcomes
        ),
    {% endif %}
{% endif %}

outcomes as (
    select
        redone_members.campaign_member_id,
        redone_members.campaign_id,
        redone_members.customer_id,
        redone_members.campaign_start_date,
        redone_members.group_name,
        coalesce(segments.rfm_segment, 'No purchase history') as rfm_segment,
        redone_members.is_responder,
        count(orders.ordered_date) as window_orders,
        -- the sum's own type on DuckDB; Spark's sum of decimal(18, 2) is decimal(28, 2)
        cast(coalesce(sum(orders.net_amount), 0) as decimal(38, 2)) as window_revenue
    from redone_members
    left join segments
        on
            redone_members.customer_id = segments.customer_id
            and segments.calendar_month_end_date
            = cast(date_trunc('month', redone_members.campaign_start_date) as date) - 1
    left join orders
        on
            redone_members.customer_id = orders.customer_id
            and orders.ordered_date
            between redone_members.campaign_start_date and redone_members.campaign_start_date + {{ window_days }}
    group by
        redone_members.campaign_member_id,
        redone_members.campaign_id,
        redone_members.customer_id,
        redone_members.campaign_start_date,
        redone_members.group_name,
        segments.rfm_segment,
        redone_members.is_responder
),

rows_written as (
    {% if is_incremental() %}
        {{ changed_rows('outcomes', 'replaced_outcomes', 'campaign_member_id', outcome_columns) }}
    {% else %}
        select * from outcomes
    {% endif %}
),

-- processed_at: the key test groups only the keys of the last run's rows (macros/utils/stamped_rows.sql)
final as (
    {{ stamped_rows('rows_written') }}
)

select * from final
