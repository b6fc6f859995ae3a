-- Every delivered row of crm/contacts with its standardised values and its fate in staging
-- (row_status: staged, superseded, duplicate or quarantined with a reason).
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_contacts as (
    select * from {{ raw_source('crm', 'contacts') }}
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
        {{ clean_text('contact_id') }} as contact_id,
        {{ email_cleaned('email') }} as email_cleaned,
        {{ clean_text('first_name') }} as first_name_cleaned,
        {{ clean_text('last_name') }} as last_name_cleaned,
        {{ phone_digits('phone') }} as phone_digits,
        {{ clean_text('street_address') }} as street_address,
        {{ clean_text('city') }} as city_cleaned,
        {{ clean_text('postal_code') }} as postal_code_cleaned,
        upper({{ clean_text('country') }}) as country_alias,
        {{ parse_timestamp('created_at') }} as created_at,
        {{ parse_timestamp('updated_at') }} as updated_at,
        {{ parse_timestamp('email_verified_at') }} as email_verified_at,
        {{ parse_timestamp('email_bounced_at') }} as email_bounced_at,
        birth_date as birth_date_raw,
        upper({{ clean_text('gender') }}) as gender_cleaned,
        lower({{ clean_text('acquisition_source') }}) as acquisition_source,
        {{ clean_text('acquisition_campaign_id') }} as acquisition_campaign_id,
        {{ strip_control_characters('email') }} as email_raw,
        {{ strip_control_characters('phone') }} as phone_raw,
        load_date,
        filename,
        file_row_number,
        {{ delivery_rank([
            'contact_id', 'first_name', 'last_name', 'email', 'phone', 'street_address', 'city', 'postal_code', 'country',
            'birth_date', 'gender', 'acquisition_source', 'acquisition_campaign_id', 'created_at', 'updated_at',
            'email_verified_at', 'email_bounced_at'
        ]) }} as delivery_rank
    from raw_contacts
),

standardised as (
    select
        cleaned.contact_id,
        {{ email_columns('cleaned.email_cleaned') }},
        {{ name_column('cleaned.first_name_cleaned') }} as first_name,
        {{ name_column('cleaned.last_name_cleaned') }} as last_name,
        {{ phone_columns('cleaned.phone_digits') }},
        cleaned.street_address,
        {{ proper_case('cleaned.city_cleaned') }} as city,
        {{ address_columns() }},
        {{ birth_date_column('cleaned.birth_date_raw', 'cleaned.created_at') }} as birth_date,
        cleaned.birth_date_raw is not null
        and {{ birth_date_column('cleaned.birth_date_raw', 'cleaned.created_at') }} is null
            as is_birth_date_implausible,
        case
            when cleaned.gender_cleaned in ('F', 'FEMALE', 'V', 'VROUW', 'W') then 'female'
            when cleaned.gender_cleaned in ('M', 'MALE', 'MAN') then 'male'
            when cleaned.gender_cleaned in ('X', 'OTHER', 'DIVERSE', 'NON-BINARY') then 'other'
            else 'unknown'
        end as gender,
        cleaned.acquisition_source,
        cleaned.acquisition_campaign_id,
        -- implausible verification or bounce times are nulled: they must not make the address look
        -- verified (or bounced) forever, nor lose the contact
        {{ plausible_timestamp('cleaned.email_verified_at', 'cleaned.load_date') }} as email_verified_at,
        {{ plausible_timestamp('cleaned.email_bounced_at', 'cleaned.load_date') }} as email_bounced_at,
        cleaned.created_at,
        coalesce(cleaned.updated_at, cleaned.created_at) as updated_at,
        cleaned.email_raw,
        cleaned.phone_raw,
        cleaned.load_date,
        cleaned.filename,
        cleaned.file_row_number,
        cleaned.delivery_rank,
        coalesce(
            {{ conflicting_values_reason(
                ['cleaned.contact_id', 'coalesce(cleaned.updated_at, cleaned.created_at)'],
                [
                    'cleaned.email_cleaned',
                    'cleaned.first_name_cleaned',
                    'cleaned.last_name_cleaned',
                    'cleaned.phone_digits',
                    'cleaned.street_address',
                    'cleaned.city_cleaned',
                    'cleaned.postal_code_cleaned',
                    'cleaned.country_alias',
                    'cleaned.birth_date_raw',
                    'cleaned.gender_cleaned',
                    'cleaned.acquisition_source',
                    'cleaned.acquisition_campaign_id',
                    'cleaned.created_at',
                    'cleaned.email_verified_at',
                    'cleaned.email_bounced_at'
                ]
            ) }},
            case
                when cleaned.contact_id is null then 'missing_key'
                when cleaned.created_at is null then 'unparseable_timestamp'
            end,
            {{ implausible_timestamp_reason(['cleaned.created_at', 'cleaned.updated_at']) }}
        ) as quarantine_reason
    from cleaned
    {{ contact_reference_joins() }}
),

base_rows as (
    select
        *,
        {{ row_status(['contact_id', 'updated_at']) }} as row_status
    from standardised
),

-- processed_at: the staging view's key test groups only the keys of the last run's rows
final as (
    {{ stamped_rows('base_rows') }}
)

select * from final
