-- One row per sign-up event: the creation of a customer-bearing source record (a support ticket is not
-- a sign-up), with the load that first delivered the record and when int_identity__source_records last
-- rewrote it. A view apart from int_customer_events__unioned, which unions it in: fct_customer_events
-- reads here the sign-ups of the records rewritten since its last run, without reading the other events
-- (finding sign-ups among the unioned events read every app event, 70M rows at 1M customers and 6 years).
with

source_records as (
    select
        source_name,
        source_record_id,
        record_created_at,
        first_loaded_date,
        processed_at
    from {{ ref('int_identity__source_records') }}
),

final as (
    select
        {{ signup_event_id('source_name', 'source_record_id') }} as event_id,
        source_name,
        source_record_id,
        record_created_at as event_at,
        source_name as channel,
        case source_name
            when 'web' then 'account_created'
            when 'store' then 'loyalty_card_enrolled'
            when 'app' then 'app_installed'
            when 'crm' then 'crm_contact_created'
        end as event_type,
        cast(null as decimal(18, 2)) as amount,
        first_loaded_date as load_date,
        processed_at as record_processed_at
    from source_records
    where source_name != 'support'
)

select * from final
