-- Every delivered row of app/app_users with its standardised values and its fate in staging.
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_app_users as (
    select * from {{ raw_source('app', 'app_users') }}
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
        {{ clean_text('app_user_id') }} as app_user_id,
        {{ clean_text('web_account_id') }} as web_account_id,
        {{ email_cleaned('email') }} as email_cleaned,
        {{ clean_text('first_name') }} as first_name_cleaned,
        lower({{ clean_text('device_type') }}) as device_type,
        {{ clean_text('os_version') }} as os_version,
        {{ parse_timestamp('installed_at') }} as installed_at,
        {{ parse_timestamp('updated_at') }} as updated_at,
        {{ strip_control_characters('email') }} as email_raw,
        load_date,
        filename,
        file_row_number,
        {{ delivery_rank([
            'app_user_id', 'web_account_id', 'email', 'first_name', 'device_type', 'os_version',
            'installed_at', 'updated_at'
        ]) }} as delivery_rank
    from raw_app_users
),

standardised as (
    select
        cleaned.app_user_id,
        cleaned.web_account_id,
        {{ email_columns('cleaned.email_cleaned') }},
        {{ name_column('cleaned.first_name_cleaned') }} as first_name,
        cleaned.device_type,
        case
            when cleaned.device_type like '%ios%' then 'ios'
            when cleaned.device_type like '%android%' then 'android'
            else 'other'
        end as operating_system,
        cleaned.os_version,
        cleaned.installed_at,
        coalesce(cleaned.updated_at, cleaned.installed_at) as updated_at,
        cleaned.email_raw,
        cleaned.load_date,
        cleaned.filename,
        cleaned.file_row_number,
        cleaned.delivery_rank,
        coalesce(
            {{ conflicting_values_reason(
                ['cleaned.app_user_id', 'coalesce(cleaned.updated_at, cleaned.installed_at)'],
                [
                    'cleaned.web_account_id',
                    'cleaned.email_cleaned',
                    'cleaned.first_name_cleaned',
                    'cleaned.device_type',
                    'cleaned.os_version',
                    'cleaned.installed_at'
                ]
            ) }},
            case
                when cleaned.app_user_id is null then 'missing_key'
                when cleaned.installed_at is null then 'unparseable_timestamp'
            end,
            {{ implausible_timestamp_reason(['cleaned.installed_at', 'cleaned.updated_at']) }}
        ) as quarantine_reason
    from cleaned
    left join email_domain_typos
        on {{ email_domain('cleaned.email_cleaned') }} = email_domain_typos.typo_domain
),

base_rows as (
    select
        *,
        {{ row_status(['app_user_id', 'updated_at']) }} as row_status
    from standardised
),

-- processed_at: the staging view's key test groups only the keys of the last run's rows
final as (
    {{ stamped_rows('base_rows') }}
)

select * from final
