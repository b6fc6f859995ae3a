{#- on_schema_change: a warehouse built before processed_at gains it as nulls on its stored rows (they
    were key-tested whole when they were written), rather than failing -#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["{{ delete_tombstone_rows('customer_id') }}", "{{ manifest_record_downstream_progress() }}"]
    )
}}
-- depends_on: {{ ref('load_manifest_progress') }}
-- depends_on: {{ ref('customer_identity_snapshot') }}
-- depends_on: {{ ref('int_customer_events__signups') }}
-- One row per customer activity across channels: orders and refunds, app sessions and browsing,
-- record sign-ups, support tickets, campaign responses and consent changes, in UTC: the timeline.
-- Incremental by event: a run redoes the events of loads whose files changed since its last run (load
-- manifest), of records whose customer changed since (identity snapshot) and the sign-ups of records
-- rewritten since (int_identity__source_records' processed_at), writes those that differ from the stored
-- ones, and a tombstone (null customer, deleted by the post-hook) for each stored one that is gone. So it
-- equals a full refresh and writes about a day's events.
{% set event_columns = ['customer_id', 'event_at', 'channel', 'event_type', 'amount', 'load_date'] %}
{% set view_columns = 'event_id, source_name, source_record_id, event_at, channel, event_type, amount, load_date' %}
{% if is_incremental() %}
    {% set changed_dates = manifest_changed_load_date_list() %}
    {% set reloaded_dates = manifest_changed_load_date_list(processed_before=true) %}
{% endif %}
with

customer_ids as (
    select
        source_name,
        source_record_id,
        customer_id
    from {{ ref('int_identity__customer_ids') }}
),

{% if is_incremental() %}
-- a read of the events per reason to redo one, each reaching only the rows it needs: one read filtered
-- by every reason would compute every event
changed_load_events as (
    select {{ view_columns }}
    from {{ ref('int_customer_events__unioned') }}
    where load_date in {{ sql_in_list(changed_dates) }}
),

signups as (
    select
        {{ view_columns }},
        record_processed_at
    from {{ ref('int_customer_events__signups') }}
),

-- when the last run took its work, on the clock source records are stamped by (this model's own stamps
-- may run ahead of it: stamped_rows)
last_progress as (
    {{ manifest_last_run() }}
),

record_events as (
    select {{ view_columns }}
    from {{ ref('int_customer_events__unioned') }}
),

{% if reloaded_dates %}
keyed_events as (
    select {{ view_columns }}
    from {{ ref('int_customer_events__unioned') }}
),

stored_loads as (
    select
        event_id,
        load_date
    from {{ this }}
),
{% endif %}

-- narrow reads of the stored events: one CTE read twice would be materialized whole
stored_events as (
    select
        event_id,
        {{ event_columns | join(',\n        ') }}
    from {{ this }}
),

moved_records as (
    {{ manifest_moved_records() }}
),

last_run as (
    select max({{ stored_column('processed_at', 'timestamp') }}) as processed_at
    from {{ this }}
),

{% if reloaded_dates %}
-- stored from a load with a file redelivered, removed or added since: the event may be gone, or older now
reloaded_events as (
    select event_id
    from stored_loads
    where load_date in {{ sql_in_list(reloaded_dates) }}
),
{% endif %}

-- the sign-ups of records rewritten since the last run (a record's creation time or first load can move
-- with any new version); every sign-up without a stamp to compare, or without a record of that run
changed_signups as (
    select {{ view_columns }}
    from signups
    cross join last_progress
    where
        signups.record_processed_at > last_progress.processed_at
        or signups.record_processed_at is null
        or last_progress.processed_at is null
),

-- the stored sign-ups a gone record may leave (their tombstones): a record that leaves the identity
-- bridge is a moved record, closed in customer_identity_snapshot
moved_signups as (
    select {{ signup_event_id('source_name', 'source_record_id') }} as event_id
    from moved_records
),

redone_events as (
    select {{ view_columns }} from changed_load_events
    union
    select {{ view_columns }} from changed_signups
    union
    select {{ view_columns }}
    from record_events
    where exists (
        select 1 from moved_records
        where
            record_events.source_name = moved_records.source_name
            and record_events.source_record_id = moved_records.source_record_id
    )
    {% if reloaded_dates %}
        union
        select {{ view_columns }}
        from keyed_events
        where keyed_events.event_id in (select reloaded_events.event_id from reloaded_events)
    {% endif %}
),
{% else %}
    redone_events as (
        select {{ view_columns }}
        from {{ ref('int_customer_events__unioned') }}
    ),
{% endif %}

resolved_events as (
    select
        redone_events.event_id,
        customer_ids.customer_id,
        redone_events.event_at,
        redone_events.channel,
        redone_events.event_type,
        redone_events.amount,
        redone_events.load_date
    from redone_events
    left join customer_ids
        on
            redone_events.source_name = customer_ids.source_name
            and redone_events.source_record_id = customer_ids.source_record_id
),

{% if is_incremental() %}
-- the stored events a redone one may replace, and those of loads that changed (perhaps gone since)
replaced_events as (
    select
        event_id,
        {{ event_columns | join(',\n        ') }}
    from stored_events
    where
        -- one key list: two IN lists joined by `or` probe every stored event twice
        event_id in (
            select resolved_events.event_id from resolved_events
            union all
            select moved_signups.event_id from moved_signups
        )
        {%- if reloaded_dates %}
            or load_date in {{ sql_in_list(reloaded_dates) }}
        {%- endif %}
),

{% endif %}

-- an event of a record without a customer (an anonymous till sale, an erased person) is not in the timeline
customer_events as (
    select
        event_id,
        {{ event_columns | join(',\n        ') }}
    from resolved_events
    where customer_id is not null
),

rows_written as (
    {% if is_incremental() %}
        {{ changed_rows('customer_events', 'replaced_events', 'event_id', event_columns) }}
    {% else %}
        select * from customer_events
    {% endif %}
),

-- processed_at: the key tests group only the keys of the last run's rows (macros/utils/stamped_rows.sql)
final as (
    {{ stamped_rows('rows_written', 'last_run') }}
)

select * from final
