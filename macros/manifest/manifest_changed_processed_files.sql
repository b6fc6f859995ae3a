{#- SQL for the files the calling model recorded as processed (manifest_record_downstream_progress) that
    no base model holds as recorded any more: redelivered with other content, or removed. A row that
    vanished with such a file leaves no trace of its customer downstream, so a model keyed by customer
    redoes every customer when this is not empty. -#}
{% macro manifest_changed_processed_files() -%}
    {%- set progress = ref('load_manifest_progress') -%}
    {%- set file_columns = 'source_name, table_name, load_date, filename, fingerprint' -%}
    select {{ file_columns }} from {{ progress }}
    where model_name = '{{ model.name }}'
    except
    select {{ file_columns }} from {{ progress }}
    where model_name = 'base_' || source_name || '__' || table_name
{%- endmacro %}

{#- Whether manifest_changed_processed_files has a row, asked of the warehouse when an incremental model
    runs, so that the model's SQL holds its redo-every-customer branch only on the rare run that needs it
    (a branch gated in SQL would be planned, and its scans read, every day). False at parse time and on a
    full refresh. -#}
{% macro manifest_processed_files_changed() -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set changed = run_query(
        'select count(*) from (' ~ manifest_changed_processed_files() ~ ') as changed_files'
    ).columns[0].values()[0] -%}
    {{ return(changed > 0) }}
{%- endmacro %}
