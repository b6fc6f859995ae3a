-- One row per raw file of every enabled raw table, read from the Parquet footers: what the incremental
-- base models compare with load_manifest_progress to find new, redelivered and vanished files.
with

delivered_files as (
    {{ load_manifest_files() }}
),

final as (
    select
        source_name,
        table_name,
        load_date,
        filename,
        row_count,
        file_size,
        fingerprint
    from delivered_files
)

select * from final
