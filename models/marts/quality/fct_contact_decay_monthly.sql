-- One row per month, source and contact field: how many records existed, how many changed that
-- field that month (a new version with another value), the decay rate, and for CRM e-mails the share
-- that was stale (not verified for var('stale_contact_days') days) at the end of the month.
-- Contact data decays 2-3 % a month; this is where a jump shows.
with

versions as (
    -- web, store and CRM records carry contacts that change; app users and tickets do not
    select
        source_name,
        source_record_id as record_id,
        record_created_at as created_at,
        version_at as updated_at,
        email,
        phone,
        postal_code,
        email_verified_at
    from {{ ref('int_identity__record_versions') }}
    where source_name in ('web', 'store', 'crm')
),

with_previous as (
    select
        source_name,
        record_id,
        updated_at,
        {% for field in ['email', 'phone', 'postal_code'] %}
            {{ field }},
            lag({{ field }}) over (partition by source_name, record_id order by updated_at) as previous_{{ field }},
        {% endfor %}
        row_number() over (partition by source_name, record_id order by updated_at) as version_number
    from versions
),

changes as (
    {% for field in ['email', 'phone', 'postal_code'] %}
        select
            source_name,
            '{{ field }}' as field_name,
            cast(date_trunc('month', updated_at) as date) as month_start_date,
            count(distinct record_id) as changed_record_count
        from with_previous
        where version_number > 1 and {{ field }} is distinct from previous_{{ field }} and {{ field }} is not null
        group by source_name, cast(date_trunc('month', updated_at) as date)
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

records_created as (
    select
        source_name,
        cast(date_trunc('month', min(created_at)) as date) as created_month_date,
        record_id
    from versions
    group by source_name, record_id
),

months as (
    select distinct cast(date_trunc('month', updated_at) as date) as month_start_date from versions
),

fields as (
    select 'email' as field_name
    union all
    select 'phone'
    union all
    select 'postal_code'
),

sources as (
    select distinct source_name from versions
),

active_records as (
    select
        months.month_start_date,
        sources.source_name,
        count(records_created.record_id) as active_record_count
    from months
    cross join sources
    left join records_created
        on
            sources.source_name = records_created.source_name
            and months.month_start_date >= records_created.created_month_date
    group by months.month_start_date, sources.source_name
),

crm_verification_history as (
    -- the latest verification each CRM contact had by the end of each month
    select
        months.month_start_date,
        versions.record_id,
        max(versions.email_verified_at) as last_verified_at
    from months
    inner join versions
        on
            versions.source_name = 'crm'
            and cast(date_trunc('month', versions.updated_at) as date) <= months.month_start_date
    group by months.month_start_date, versions.record_id
),

crm_stale as (
    select
        month_start_date,
        avg(
            case
                when
                    last_verified_at is null
                    or last_verified_at
                    < month_start_date + interval '1 month' - interval '{{ var("stale_contact_days") }} days'
                    then 1
                else 0
            end
        ) as stale_share
    from crm_verification_history
    group by month_start_date
),

final as (
    select
        {{ surrogate_key(['active_records.month_start_date', 'active_records.source_name', 'fields.field_name']) }}
            as decay_month_id,
        active_records.month_start_date,
        active_records.source_name,
        fields.field_name,
        active_records.active_record_count,
        coalesce(changes.changed_record_count, 0) as changed_record_count,
        case
            when active_records.active_record_count > 0
                then cast(coalesce(changes.changed_record_count, 0) as double) / active_records.active_record_count
        end as decay_rate,
        case
            when active_records.source_name = 'crm' and fields.field_name = 'email' then crm_stale.stale_share
        end as stale_share
    from active_records
    cross join fields
    left join changes
        on
            active_records.month_start_date = changes.month_start_date
            and active_records.source_name = changes.source_name
            and fields.field_name = changes.field_name
    left join crm_stale on active_records.month_start_date = crm_stale.month_start_date
)

select * from final
