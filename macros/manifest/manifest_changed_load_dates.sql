{#- SQL for the load dates whose processed files changed since this model last recorded them
    (manifest_record_downstream_progress): a file a base model took in, redelivered or dropped since.
    A model downstream of the base models redoes the rows of those loads; on its first incremental run
    (nothing recorded yet) that is every load. -#}
{% macro manifest_changed_load_dates() -%}
    {%- set progress = ref('load_manifest_progress') -%}
    {%- set file_columns = 'source_name, table_name, load_date, filename, fingerprint' -%}
    select distinct load_date
    from (
        (
            select {{ file_columns }} from {{ progress }}
            where model_name = 'base_' || source_name || '__' || table_name
            except
            select {{ file_columns }} from {{ progress }}
            where model_name = '{{ model.name }}'
        )
        union all
        ({{ manifest_changed_processed_files() }})
    ) as changed_files
{%- endmacro %}
