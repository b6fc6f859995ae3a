-- One row per raw table of the contract (absent tables included, with zeros): how many delivered
-- rows were staged, superseded, dropped as duplicates or quarantined. The pytest suite recounts
-- the raw files independently and checks raw = staged + superseded + duplicate + quarantined.
with

{% for raw in raw_tables() %}
    {{ raw.source }}__{{ raw.table }} as (
        select
            '{{ raw.source }}' as source_name,
            '{{ raw.table }}' as table_name,
            count(*) as raw_row_count,
            count(case when row_status = 'staged' then 1 end) as staged_row_count,
            count(case when row_status = 'superseded' then 1 end) as superseded_row_count,
            count(case when row_status = 'duplicate' then 1 end) as duplicate_row_count,
            count(case when row_status = 'quarantined' then 1 end) as quarantined_row_count
        from {{ ref('base_' ~ raw.source ~ '__' ~ raw.table) }}
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
        source_name || '.' || table_name as raw_table_id,
        source_name,
        table_name,
        raw_row_count,
        staged_row_count,
        superseded_row_count,
        duplicate_row_count,
        quarantined_row_count
    from unioned
)

select * from final
