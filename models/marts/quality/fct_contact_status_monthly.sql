-- One row per load month, contact table, measure and status: the share of staged e-mails and phones
-- delivered that month in each status. fct_quality_rates gives the whole history at once; this is its
-- trend, so that a rising share of corrected typos or invalid phones shows which month an export changed.
with

{% set contact_tables = contact_tables() %}
{% for source_name, table_name, model, email_status, phone_status in contact_tables %}
    {{ model }} as (
        select
            '{{ source_name }}' as source_name,
            '{{ table_name }}' as table_name,
            load_date,
            {{ email_status }} as email_status,
            {{ phone_status if phone_status else 'cast(null as string)' }} as phone_status
        from {{ ref(model) }}
    ),

{% endfor %}
contact_statuses as (
    {% for source_name, table_name, model, email_status, phone_status in contact_tables %}
        select * from {{ model }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

monthly_rates as (
    {% for measure in ['email_status', 'phone_status'] %}
        select
            cast(date_trunc('month', load_date) as date) as month_start_date,
            source_name,
            table_name,
            '{{ measure }}' as measure,
            {{ measure }} as outcome,
            count(*) as row_count,
            cast(count(*) as double) / sum(count(*)) over (
                partition by date_trunc('month', load_date), source_name, table_name
            ) as row_share
        from contact_statuses
        where {{ measure }} is not null
        group by date_trunc('month', load_date), source_name, table_name, {{ measure }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        {{ surrogate_key(['month_start_date', 'source_name', 'table_name', 'measure', 'outcome']) }}
            as contact_status_month_id,
        month_start_date,
        source_name,
        table_name,
        measure,
        outcome,
        cast(row_count as bigint) as row_count,
        cast(row_share as double) as row_share
    from monthly_rates
)

select * from final
