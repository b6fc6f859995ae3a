-- Every delivered row of privacy/consent_changes with its standardised e-mail and its fate in staging.
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_consent_changes as (
    select * from {{ raw_source('privacy', 'consent_changes') }}
),

email_domain_typos as (
    select
        typo_domain,
        correct_domain
    from {{ ref('email_domain_typos') }}
),

placeholders as (
    select
        field,
        placeholder_value
    from {{ ref('placeholder_values') }}
),

cleaned as (
    select
        {{ clean_text('consent_change_id') }} as consent_change_id,
        {{ clean_text('contact_id') }} as contact_id,
        {{ email_cleaned('email') }} as email_cleaned,
        lower({{ clean_text('channel') }}) as channel,
        is_granted,
        {{ parse_timestamp('changed_at') }} as changed_at,
        load_date,
        filename,
        file_row_number,
        {{ delivery_rank([
            'consent_change_id', 'contact_id', 'email', 'channel', 'is_granted', 'changed_at'
        ]) }} as delivery_rank
    from raw_consent_changes
),

standardised as (
    select
        cleaned.consent_change_id,
        cleaned.contact_id,
        {{ email_columns('cleaned.email_cleaned') }},
        cleaned.channel,
        cleaned.is_granted,
        cleaned.changed_at,
        cleaned.load_date,
        cleaned.filename,
        cleaned.file_row_number,
        cleaned.delivery_rank,
        coalesce(
            {{ conflicting_values_reason(['cleaned.consent_change_id'], [
                'cleaned.contact_id',
                'cleaned.email_cleaned',
                'cleaned.channel',
                'cleaned.is_granted',
                'cleaned.changed_at'
            ]) }},
            case
                when cleaned.consent_change_id is null then 'missing_key'
                when cleaned.changed_at is null then 'unparseable_timestamp'
                when cleaned.is_granted is null then 'missing_consent_value'
                when cleaned.channel is null or cleaned.channel not in ('email', 'sms', 'push', 'phone', 'direct_mail')
                    then 'invalid_channel'
                when cleaned.contact_id is null and cleaned.email_cleaned is null then 'missing_subject'
            end,
            {{ implausible_timestamp_reason(['cleaned.changed_at']) }}
        ) as quarantine_reason
    from cleaned
    left join email_domain_typos
        on {{ email_domain('cleaned.email_cleaned') }} = email_domain_typos.typo_domain
),

base_rows as (
    select
        *,
        {{ row_status(['consent_change_id']) }} as row_status
    from standardised
),

-- processed_at: the staging view's key test groups only the keys of the last run's rows
final as (
    {{ stamped_rows('base_rows') }}
)

select * from final
