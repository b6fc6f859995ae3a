-- Every delivered row of support/tickets with its standardised requester contacts and its fate in staging.
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_tickets as (
    select * from {{ raw_source('support', 'tickets') }}
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

countries as (
    select
        country_code,
        calling_code,
        nsn_min_length,
        nsn_max_length
    from {{ ref('countries') }}
),

cleaned as (
    select
        {{ clean_text('ticket_id') }} as ticket_id,
        {{ email_cleaned('requester_email') }} as email_cleaned,
        {{ phone_digits('requester_phone') }} as phone_digits,
        {{ clean_text('requester_name') }} as requester_name_cleaned,
        lower({{ clean_text('category') }}) as category,
        is_complaint,
        case when csat_score between 1 and 5 then csat_score end as csat_score,
        {{ parse_timestamp('opened_at') }} as opened_at,
        {{ parse_timestamp('resolved_at') }} as resolved_at,
        {{ strip_control_characters('requester_email') }} as email_raw,
        {{ strip_control_characters('requester_phone') }} as phone_raw,
        load_date,
        filename,
        file_row_number,
        {{ delivery_rank([
            'ticket_id', 'requester_email', 'requester_phone', 'requester_name', 'category',
            'is_complaint', 'csat_score', 'opened_at', 'resolved_at'
        ]) }} as delivery_rank
    from raw_tickets
),

standardised as (
    select
        cleaned.ticket_id,
        {{ email_columns('cleaned.email_cleaned', prefix='requester_') }},
        {{ phone_columns('cleaned.phone_digits', prefix='requester_') }},
        {{ name_column('cleaned.requester_name_cleaned') }} as requester_name,
        cleaned.category,
        coalesce(cleaned.is_complaint, false) as is_complaint,
        cleaned.csat_score,
        cleaned.opened_at,
        -- a resolution before the opening or at an implausible time is unknown, not a reason to drop the ticket
        case
            when cleaned.resolved_at >= cleaned.opened_at
                then {{ plausible_timestamp('cleaned.resolved_at', 'cleaned.load_date') }}
        end as resolved_at,
        cleaned.email_raw as requester_email_raw,
        cleaned.phone_raw as requester_phone_raw,
        cleaned.load_date,
        cleaned.filename,
        cleaned.file_row_number,
        cleaned.delivery_rank,
        coalesce(
            {{ conflicting_values_reason(['cleaned.ticket_id'], [
                'cleaned.email_cleaned',
                'cleaned.phone_digits',
                'cleaned.requester_name_cleaned',
                'cleaned.category',
                'cleaned.is_complaint',
                'cleaned.csat_score',
                'cleaned.opened_at',
                'cleaned.resolved_at'
            ]) }},
            case
                when cleaned.ticket_id is null then 'missing_key'
                when cleaned.opened_at is null then 'unparseable_timestamp'
            end,
            {{ implausible_timestamp_reason(['cleaned.opened_at']) }}
        ) as quarantine_reason
    from cleaned
    {{ contact_reference_joins(has_country=false) }}
),

base_rows as (
    select
        *,
        -- tickets carry one free-text name; identity and survivorship need its given name and surname
        {{ given_name('requester_name') }} as requester_first_name,
        {{ family_name('requester_name') }} as requester_last_name,
        {{ row_status(['ticket_id']) }} as row_status
    from standardised
),

-- processed_at: the staging view's key test groups only the keys of the last run's rows
final as (
    {{ stamped_rows('base_rows') }}
)

select * from final
