{#- The statements that record a model's processed files in load_manifest_progress: its rows are replaced
    by the files of `files` (a subquery with source_name, table_name, load_date, filename, fingerprint,
    row_count) that `where` keeps, stamped with the run time. Shared by manifest_record_progress (the
    base models) and manifest_record_downstream_progress (the models downstream of them). -#}
{% macro manifest_replace_progress(files, where) -%}
    {%- set progress = ref('load_manifest_progress') -%}
    delete from {{ progress }} where model_name = '{{ model.name }}';
    insert into {{ progress }}
        (model_name, source_name, table_name, load_date, filename, fingerprint, row_count, processed_at)
    select
        '{{ model.name }}',
        source_name,
        table_name,
        load_date,
        filename,
        fingerprint,
        row_count,
        {{ utc_now() }}
    from {{ files }} as files
    where {{ where }}
{%- endmacro %}
