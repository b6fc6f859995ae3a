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

created_counts as (
    select
        source_name,
        created_month_date,
        count(*) as created_record_count
    from records_created
    group by source_name, created_month_date
),

-- records existing by each month: a running count of the months' creations (a join of months to
-- records would cost months x records)
active_records as (
    select
        months.month_start_date,
        sources.source_name,
        cast(coalesce(sum(created_counts.created_record_count), 0) as bigint) as active_record_count
    from months
    cross join sources
    left join created_counts
        on
            sources.source_name = created_counts.source_name
            and months.month_start_date >= created_counts.created_month_date
    group by months.month_start_date, sources.source_name
),

crm_verified_by_month as (
    -- each CRM contact's latest verification by the end of each month it has a version in
    select
        record_id,
        month_start_date,
        max(max(email_verified_at)) over (
            partition by record_id order by month_start_date rows between unbounded preceding and current row
        ) as last_verified_at
    from (
        select
            record_id,
            email_verified_at,
            cast(date_trunc('month', updated_at) as date) as month_start_date
        from versions
        where source_name = 'crm'
    ) as crm_versions
    group by record_id, month_start_date
),

crm_stale_spans as (
    -- a contact holds its verification until its next version's month; it is stale from the month whose
    -- end is var('stale_contact_days') past the verification (at once when never verified)
    select
        record_id,
        month_start_date as held_from_date,
        lead(month_start_date) over (partition by record_id order by month_start_date) as held_until_date,
        month_start_date = min(month_start_date) over (partition by record_id) as is_first_span,
        greatest(
            month_start_date,
            coalesce(
                cast(date_trunc('month', last_verified_at + interval '{{ var("stale_contact_days") }} days') as date),
                month_start_date
            )
        ) as stale_from_date
    from crm_verified_by_month
),

crm_count_changes as (
    -- +1/-1 at the months a contact enters or leaves a count: of all contacts, and of the stale ones
    select
        held_from_date as month_start_date,
        case when is_first_span then 1 else 0 end as contact_change,
        0 as stale_change
    from crm_stale_spans
    union all
    select
        stale_from_date,
        0,
        1
    from crm_stale_spans
    where held_until_date is null or stale_from_date < held_until_date
    union all
    select
        held_until_date,
        0,
        -1
    from crm_stale_spans
    where held_until_date is not null and stale_from_date < held_until_date
),

crm_monthly_changes as (
    select
        month_start_date,
        sum(contact_change) as contact_change,
        sum(stale_change) as stale_change
    from crm_count_changes
    group by month_start_date
),

crm_stale as (
    -- the counts at each month: the running sum of the changes up to it
    select
        months.month_start_date,
        cast(sum(crm_monthly_changes.stale_change) as double)
        / nullif(sum(crm_monthly_changes.contact_change), 0) as stale_share
    from months
    inner join crm_monthly_changes on months.month_start_date >= crm_monthly_changes.month_start_date
    group by months.month_start_date
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
