{{
    config(
        materialized=incremental_materialization(),
        unique_key='quarantined_row_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=["{{ delete_tombstone_rows('source_name') }}", "{{ manifest_record_downstream_progress() }}"]
    )
}}
-- depends_on: {{ ref('load_manifest_progress') }}
-- The quarantine: every raw row staging could not use, with the reason, so nothing is lost silently.
-- Incremental by record: a base model re-decides the status of every stored row of an id its new or gone
-- files hold (an identical earlier copy delivered late makes a later row a duplicate), so a run redoes the
-- rows of the ids of loads whose files changed since its last run (load manifest), stored ones included,
-- and writes the rows that differ, with a tombstone (null source_name, deleted by the post-hook) for each
-- one gone. Rows without an id are redone with their load, the only one that holds them.
{% set quarantine_columns = ['source_name', 'table_name', 'source_record_id', 'quarantine_reason', 'load_date',
                             'filename'] %}
{% if is_incremental() %}
    {% set changed_dates = manifest_changed_load_date_list() %}
{% endif %}
with

{% if is_incremental() %}
    stored_rows as (
        select
            quarantined_row_id,
            {{ quarantine_columns | join(',\n            ') }}
        from {{ this }}
    ),
{% endif %}

{% for raw in raw_tables() %}
    {% set base = ref('base_' ~ raw.source ~ '__' ~ raw.table) %}
    {% set touched_ids = raw.source ~ '__' ~ raw.table ~ '__touched_ids' %}
    {% if is_incremental() %}
        -- the ids whose rows the base model may have re-decided: those of the changed loads' rows, now or before
        {{ touched_ids }} as (
            select {{ raw.id }} as source_record_id from {{ base }}
            where load_date in {{ sql_in_list(changed_dates) }}
            union
            select source_record_id from stored_rows
            where
                load_date in {{ sql_in_list(changed_dates) }}
                and source_name = '{{ raw.source }}'
                and table_name = '{{ raw.table }}'
        ),
    {% endif %}

    {{ raw.source }}__{{ raw.table }} as (
        select
            '{{ raw.source }}' as source_name,
            '{{ raw.table }}' as table_name,
            {{ raw.id }} as source_record_id,
            quarantine_reason,
            load_date,
            -- relative to the raw root: a published table must not reveal where a machine keeps its files
            {{ raw_relative_path('filename') }} as filename
        from {{ base }}
        where
            row_status = 'quarantined'
        {% if is_incremental() %}
            and (
                load_date in {{ sql_in_list(changed_dates) }}
                or {{ raw.id }} in (select touched.source_record_id from {{ touched_ids }} as touched)
            )
        {% endif %}
    ),

{% endfor %}
unioned as (
    {% for raw in raw_tables() %}
        select * from {{ raw.source }}__{{ raw.table }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

recomputed_rows as (
    select
        {{ surrogate_key(['source_name', 'table_name', 'filename', 'source_record_id', 'quarantine_reason']) }}
        || '-' || cast(row_number() over (
            partition by source_name, table_name, filename, source_record_id, quarantine_reason
            order by load_date
        ) as string) as quarantined_row_id,
        {{ quarantine_columns | join(',\n        ') }}
    from unioned
),

{% if is_incremental() %}
    touched_ids as (
        {% for raw in raw_tables() %}
            select
                '{{ raw.source }}' as source_name,
                '{{ raw.table }}' as table_name,
                source_record_id
            from {{ raw.source }}__{{ raw.table }}__touched_ids
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    ),

    -- the stored rows the recomputed ones replace: of the touched ids, and of the changed loads (no id)
    replaced_rows as (
        select stored_rows.*
        from stored_rows
        where
            stored_rows.load_date in {{ sql_in_list(changed_dates) }}
            or exists (
                select 1 from touched_ids
                where
                    stored_rows.source_name = touched_ids.source_name
                    and stored_rows.table_name = touched_ids.table_name
                    and stored_rows.source_record_id = touched_ids.source_record_id
            )
    ),
{% endif %}

final as (
    {% if is_incremental() %}
        {{ changed_rows('recomputed_rows', 'replaced_rows', 'quarantined_row_id', quarantine_columns) }}
    {% else %}
        select * from recomputed_rows
    {% endif %}
)

select * from final
