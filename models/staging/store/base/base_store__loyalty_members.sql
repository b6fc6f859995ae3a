-- Every delivered row of store/loyalty_members with its standardised values and its fate in staging
-- (row_status: staged, superseded, duplicate or quarantined with a reason).
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_members as (
    select * from {{ raw_source('store', 'loyalty_members') }}
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

country_aliases as (
    select
        alias,
        country_code
    from {{ ref('country_aliases') }}
),

countries as (
    select
        country_code,
        calling_code,
        nsn_min_length,
        nsn_max_length,
        postal_code_pattern
    from {{ ref('countries') }}
),

cleaned as (
    select
        {{ clean_text('loyalty_card_id') }} as loyalty_card_id,
        {{ email_cleaned('email') }} as email_cleaned,
        {{ clean_text('first_name') }} as first_name_cleaned,
        {{ clean_text('last_name') }} as last_name_cleaned,
        {{ phone_digits('phone') }} as phone_digits,
        {{ clean_text('postal_code') }} as postal_code_cleaned,
        upper({{ clean_text('country') }}) as country_alias,
        {{ parse_timestamp('enrolled_at') }} as enrolled_at,
        {{ parse_timestamp('updated_at') }} as updated_at,
        birth_date as birth_date_raw,
        {{ strip_control_characters('email') }} as email_raw,
        {{ strip_control_characters('phone') }} as phone_raw,
        load_date,
        filename,
        file_row_number,
        {{ delivery_rank([
            'loyalty_card_id', 'email', 'first_name', 'last_name', 'phone', 'postal_code', 'country',
            'birth_date', 'enrolled_at', 'updated_at'
        ]) }} as delivery_rank
    from raw_members
),

standardised as (
    select
        cleaned.loyalty_card_id,
        {{ email_columns('cleaned.email_cleaned') }},
        {{ name_column('cleaned.first_name_cleaned') }} as first_name,
        {{ name_column('cleaned.last_name_cleaned') }} as last_name,
        {{ phone_columns('cleaned.phone_digits') }},
        {{ address_columns() }},
        {{ birth_date_column('cleaned.birth_date_raw', 'cleaned.enrolled_at') }} as birth_date,
        cleaned.birth_date_raw is not null
        and {{ birth_date_column('cleaned.birth_date_raw', 'cleaned.enrolled_at') }} is null
            as is_birth_date_implausible,
        cleaned.enrolled_at,
        coalesce(cleaned.updated_at, cleaned.enrolled_at) as updated_at,
        cleaned.email_raw,
        cleaned.phone_raw,
        cleaned.load_date,
        cleaned.filename,
        cleaned.file_row_number,
        cleaned.delivery_rank,
        coalesce(
            {{ conflicting_values_reason(
                ['cleaned.loyalty_card_id', 'coalesce(cleaned.updated_at, cleaned.enrolled_at)'],
                [
                    'cleaned.email_cleaned',
                    'cleaned.first_name_cleaned',
                    'cleaned.last_name_cleaned',
                    'cleaned.phone_digits',
                    'cleaned.postal_code_cleaned',
                    'cleaned.country_alias',
                    'cleaned.birth_date_raw',
                    'cleaned.enrolled_at'
                ]
            ) }},
            case
                when cleaned.loyalty_card_id is null then 'missing_key'
                when cleaned.enrolled_at is null then 'unparseable_timestamp'
            end,
            {{ implausible_timestamp_reason(['cleaned.enrolled_at', 'cleaned.updated_at']) }}
        ) as quarantine_reason
    from cleaned
    {{ contact_reference_joins() }}
),

base_rows as (
    select
        *,
        {{ row_status(['loyalty_card_id', 'updated_at']) }} as row_status
    from standardised
),

-- processed_at: the staging view's key test groups only the keys of the last run's rows
final as (
    {{ stamped_rows('base_rows') }}
)

select * from final
