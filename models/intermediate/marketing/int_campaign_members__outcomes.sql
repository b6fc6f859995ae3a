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
-- One row per membership of a staged campaign with what fct_campaign_performance sums: the member's
-- group, whether they converted, their RFM segment of the month before the start (what was known when
-- the audience was picked) and their non-refund orders and revenue in the attribution window.
-- Incremental by membership: a run redoes the memberships that are new, gone or changed, those of the
-- customers whose orders were written since its last run or who gained or lost records (load manifest),
-- and those whose segment row was rewritten since; every membership after an order file it processed was
-- withdrawn or redelivered (the vanished orders leave no trace of their customers). It writes the rows
-- that differ, and a tombstone (null rfm_segment, deleted by the post-hook) for each gone membership.
{% set window_days = var('campaign_attribution_days') %}
{% set outcome_columns = [
    'campaign_id', 'customer_id', 'campaign_start_date', 'group_name', 'rfm_segment', 'is_responder',
    'window_orders', 'window_revenue'
] %}
{% set member_columns = ['campaign_id', 'customer_id', 'campaign_start_date', 'group_name', 'is_responder'] %}
{% set redo_every_membership = manifest_processed_files_changed() %}
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
        rfm_segment,
        history_processed_at
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
    -- every order row written since, refunds too: a rewritten order may have left the window or the customer
    order_writes as (
        select
            customer_id,
            processed_at
        from {{ ref('fct_orders') }}
        where customer_id is not null
    ),

    moved_customers as (
        {{ manifest_moved_customers() }}
    ),

    last_run as (
        {{ manifest_last_run("timestamp '0001-01-01'") }}
    ),

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
    touched_customers as (
        select order_writes.customer_id
        from order_writes
        cross join last_run
        where order_writes.processed_at > last_run.processed_at
        union
        select moved_customers.customer_id
        from moved_customers
    ),

    rewritten_segments as (
        select
            segments.customer_id,
            segments.calendar_month_end_date
        from segments
        cross join last_run
        where segments.history_processed_at > last_run.processed_at
    ),

    -- memberships new, gone, or changed since they were stored
    changed_memberships as (
        select coalesce(staged_members.campaign_member_id, stored_outcomes.campaign_member_id) as campaign_member_id
        from staged_members
        full outer join stored_outcomes on staged_members.campaign_member_id = stored_outcomes.campaign_member_id
        where
            {%- for column in member_columns %}
            staged_members.{{ column }} is distinct from stored_outcomes.{{ column }}{{ ' or' if not loop.last }}
            {%- endfor %}
    ),

    redone_ids as (
        select changed_memberships.campaign_member_id
        from changed_memberships
        union
        select staged_members.campaign_member_id
        from staged_members
        inner join touched_customers on staged_members.customer_id = touched_customers.customer_id
        union
        select staged_members.campaign_member_id
        from staged_members
        inner join rewritten_segments
            on
                staged_members.customer_id = rewritten_segments.customer_id
                and rewritten_segments.calendar_month_end_date
                = cast(date_trunc('month', staged_members.campaign_start_date) as date) - 1
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
        coalesce(sum(orders.net_amount), 0) as window_revenue
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
