-- Every delivered row of privacy/erasure_requests with its standardised e-mail and its fate in staging.
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_erasure_requests as (
    select * from {{ raw_source('privacy', 'erasure_requests') }}
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
        {{ clean_text('erasure_request_id') }} as erasure_request_id,
        {{ clean_text('contact_id') }} as contact_id,
        {{ email_cleaned('email') }} as email_cleaned,
        {{ parse_timestamp('requested_at') }} as requested_at,
        load_date,
        filename,
        file_row_number,
        {{ delivery_rank([
            'erasure_request_id', 'contact_id', 'email', 'requested_at'
        ]) }} as delivery_rank
    from raw_erasure_requests
),

standardised as (
    select
        cleaned.erasure_request_id,
        cleaned.contact_id,
        {{ email_columns('cleaned.email_cleaned') }},
        cleaned.requested_at,
        cleaned.load_date,
        cleaned.filename,
        cleaned.file_row_number,
        cleaned.delivery_rank,
        coalesce(
            {{ conflicting_values_reason(['cleaned.erasure_request_id'], [
                'cleaned.contact_id',
                'cleaned.email_cleaned',
                'cleaned.requested_at'
            ]) }},
            case
                when cleaned.erasure_request_id is null then 'missing_key'
                when cleaned.requested_at is null then 'unparseable_timestamp'
                when cleaned.contact_id is null and cleaned.email_cleaned is null then 'missing_subject'
            end,
            {{ implausible_timestamp_reason(['cleaned.requested_at']) }}
        ) as quarantine_reason
    from cleaned
    left join email_domain_typos
        on {{ email_domain('cleaned.email_cleaned') }} = email_domain_typos.typo_domain
),

base_rows as (
    select
        *,
        {{ row_status(['erasure_request_id']) }} as row_status
    from standardised
),

-- processed_at: the staging view's key test groups only the keys of the last run's rows
final as (
    {{ stamped_rows('base_rows') }}
)

select * from final
