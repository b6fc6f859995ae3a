{{
    config(
        materialized=incremental_materialization(),
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=["{{ delete_tombstone_rows('customer_id') }}", "{{ manifest_record_downstream_progress() }}"]
    )
}}
-- depends_on: {{ ref('load_manifest_progress') }}
-- depends_on: {{ ref('customer_identity_snapshot') }}
-- One row per customer activity across channels: orders and refunds, app sessions and browsing,
-- record sign-ups, support tickets, campaign responses and consent changes. The timeline marketing
-- reads to see what a customer did, in one place, in UTC.
-- Incremental by event (delete+insert): a run redoes the events of loads whose files changed since its
-- last run (new, redelivered or vanished: the load manifest), the events of records whose customer
-- changed since (merges, splits, records new or gone: the identity snapshot) and every sign-up (few, and
-- a record's versions in any load set its creation time), and writes only events that differ from the
-- stored ones. A stored event that is gone is written as a tombstone (null customer) that the post-hook
-- deletes. So a run equals a full refresh and writes about a day's events, not the history.
{% set signup_types = "('account_created', 'loyalty_card_enrolled', 'app_installed', 'crm_contact_created')" %}
{% set event_columns = ['customer_id', 'event_at', 'channel', 'event_type', 'amount', 'load_date'] %}
with

source_events as (
    select
        event_id,
        source_name,
        source_record_id,
        event_at,
        channel,
        event_type,
        amount,
        load_date
    from {{ ref('int_customer_events__unioned') }}
),

customer_ids as (
    select
        source_name,
        source_record_id,
        customer_id
    from {{ ref('int_identity__customer_ids') }}
),

{% if is_incremental() %}
changed_loads as (
    {{ manifest_changed_load_dates() }}
),

last_run as (
    select max(processed_at) as processed_at
    from {{ ref('load_manifest_progress') }}
    where model_name = '{{ this.name }}'
),

identity_history as (
    select
        record_key,
        dbt_valid_from,
        dbt_valid_to
    from {{ ref('customer_identity_snapshot') }}
),

-- two narrow reads of the stored events: one CTE read twice would be materialized whole
stored_loads as (
    select
        event_id,
        load_date
    from {{ this }}
),

stored_events as (
    select
        event_id,
        {{ event_columns | join(',\n        ') }}
    from {{ this }}
),

-- a record that got, lost or changed its customer since the last run: a snapshot row begun or ended since
moved_records as (
    select record_key
    from identity_history
    where
        dbt_valid_from > (select last_run.processed_at from last_run)
        or dbt_valid_to > (select last_run.processed_at from last_run)
),

redone_events as (
    select
        event_id,
        source_name,
        source_record_id,
        {{ event_columns[1:] | join(',\n        ') }}
    from source_events
    where
        load_date in (select changed_loads.load_date from changed_loads)
        or event_type in {{ signup_types }}
        or source_name || ':' || source_record_id in (select moved_records.record_key from moved_records)
        -- stored from a load whose file vanished or changed: the event may be gone, or older now
        or event_id in (
            select stored_loads.event_id from stored_loads
            where stored_loads.load_date in (select changed_loads.load_date from changed_loads)
        )
),
{% else %}
    redone_events as (
        select
            event_id,
            source_name,
            source_record_id,
            {{ event_columns[1:] | join(',\n            ') }}
        from source_events
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
        event_id in (select resolved_events.event_id from resolved_events)
        or event_type in {{ signup_types }}
        or load_date in (select changed_loads.load_date from changed_loads)
),

compared_events as (
    select
        coalesce(resolved_events.event_id, replaced_events.event_id) as event_id,
        resolved_events.customer_id,
        resolved_events.event_at,
        resolved_events.channel,
        resolved_events.event_type,
        resolved_events.amount,
        resolved_events.load_date
    from resolved_events
    full outer join replaced_events on resolved_events.event_id = replaced_events.event_id
    where
        (resolved_events.customer_id is not null or replaced_events.event_id is not null)
        and (
            {% for column in event_columns -%}
                resolved_events.{{ column }} is distinct from replaced_events.{{ column }}
                {{- ' or' if not loop.last }}
            {% endfor %}
        )
),
{% endif %}

final as (
    select
        event_id,
        {{ event_columns | join(',\n        ') }}
    {% if is_incremental() %}
        from compared_events
    {% else %}
        from resolved_events
        where customer_id is not null
    {% endif %}
)

select * from final
