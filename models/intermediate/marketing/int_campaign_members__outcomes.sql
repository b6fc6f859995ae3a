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
-- Incremental by membership: a run redoes the memberships whose member or response rows staging wrote
-- since its last run (load manifest), those of campaigns written since, of CRM contacts that moved to
-- another customer, of customers whose orders were written since or who gained or lost records, and
-- those whose segment row was rewritten since. A staged row vanishes only when a load it processed
-- changes (a file redelivered, withdrawn or added beside it): then every membership is redone and a gone
-- one gets a tombstone (null rfm_segment, deleted by the post-hook). It writes the rows that differ.
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

{% if is_incremental() and not redo_every_membership %}
    last_run as (
        {{ manifest_last_run("timestamp '0001-01-01'") }}
    ),

    member_writes as (
        select
            campaign_member_id,
            campaign_id,
            contact_id,
            processed_at
        from {{ ref('stg_marketing__campaign_members') }}
    ),

    response_writes as (
        select
            campaign_member_id,
            processed_at
        from {{ ref('stg_marketing__campaign_responses') }}
    ),

    campaign_writes as (
        select
            campaign_id,
            processed_at
        from {{ ref('stg_marketing__campaigns') }}
    ),

    moved_records as (
        {{ manifest_moved_records() }}
    ),

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

    segment_writes as (
        select
            customer_id,
            calendar_month_end_date,
            history_processed_at
        from {{ ref('customer_rfm_history') }}
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
    -- memberships whose own inputs changed: the member or a response staged since, its campaign staged
    -- since, or its CRM contact resolved to another customer since
    changed_memberships as (
        select member_writes.campaign_member_id
        from member_writes
        cross join last_run
        where member_writes.processed_at > last_run.processed_at
        union
        select response_writes.campaign_member_id
        from response_writes
        cross join last_run
        where response_writes.processed_at > last_run.processed_at
        union
        select member_writes.campaign_member_id
        from member_writes
        inner join campaign_writes on member_writes.campaign_id = campaign_writes.campaign_id
        cross join last_run
        where campaign_writes.processed_at > last_run.processed_at
        union
        select member_writes.campaign_member_id
        from member_writes
        inner join moved_records
            on
                moved_records.source_name = 'crm'
                and member_writes.contact_id = moved_records.source_record_id
    ),

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
            segment_writes.customer_id,
            segment_writes.calendar_month_end_date
        from segment_writes
        cross join last_run
        where segment_writes.history_processed_at > last_run.processed_at
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
