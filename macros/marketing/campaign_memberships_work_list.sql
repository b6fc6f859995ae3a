{#- The memberships (campaign_member_id) an incremental int_campaign_members__outcomes run redoes, given the
    CTE name of its staged memberships (campaign_member_id, customer_id, campaign_start_date): those whose
    member or response rows staging wrote since the run the load manifest last recorded for the model, of
    campaigns written since, of CRM contacts that moved to another customer (manifest_moved_records), of
    customers whose orders fct_orders wrote since or who gained or lost records (manifest_moved_customers),
    and those whose customer_rfm_history row of the month before the start was rewritten since. Write times
    cannot show a row that vanished: the model redoes every membership when a load it processed changed. -#}
{% macro campaign_memberships_work_list(memberships) -%}
    with

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
    )

    select changed_memberships.campaign_member_id
    from changed_memberships
    union
    select {{ memberships }}.campaign_member_id
    from {{ memberships }}
    inner join touched_customers on {{ memberships }}.customer_id = touched_customers.customer_id
    union
    select {{ memberships }}.campaign_member_id
    from {{ memberships }}
    inner join rewritten_segments
        on
            {{ memberships }}.customer_id = rewritten_segments.customer_id
            and rewritten_segments.calendar_month_end_date
            = cast(date_trunc('month', {{ memberships }}.campaign_start_date) as date) - 1
{%- endmacro %}
