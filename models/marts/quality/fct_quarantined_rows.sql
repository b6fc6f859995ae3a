-- The quarantine: every raw row staging could not use, with the reason, so nothing is lost silently.
with

{% for raw in raw_tables() %}
    {{ raw.source }}__{{ raw.table }} as (
        select
            '{{ raw.source }}' as source_name,
            '{{ raw.table }}' as table_name,
            {{ raw.id }} as source_record_id,
            quarantine_reason,
            load_date,
            -- relative to the raw root: a published table must not reveal where a machine keeps its files
            {{ raw_relative_path('filename') }} as filename
        from {{ ref('base_' ~ raw.source ~ '__' ~ raw.table) }}
        where row_status = 'quarantined'
    ),

{% endfor %}
unioned as (
    {% for raw in raw_tables() %}
        select * from {{ raw.source }}__{{ raw.table }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        {{ surrogate_key(['source_name', 'table_name', 'filename', 'source_record_id', 'quarantine_reason']) }}
        || '-' || cast(row_number() over (
            partition by source_name, table_name, filename, source_record_id, quarantine_reason
            order by load_date
        ) as string) as quarantined_row_id,
        source_name,
        table_name,
        source_record_id,
        quarantine_reason,
        load_date,
        filename
    from unioned
)

select * from final
