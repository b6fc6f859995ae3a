{#- SQL of one row and column, processed_at: when the calling model last recorded its progress in
    load_manifest_progress (manifest_record_downstream_progress), on the clock the models stamp their rows
    by; null when it has recorded none, or `default` (SQL of a timestamp) when given. -#}
{% macro manifest_last_run(default=none) -%}
    select
        {%- if default is not none %}
        coalesce(max(processed_at), {{ default }}) as processed_at
        {%- else %}
        max(processed_at) as processed_at
        {%- endif %}
    from {{ ref('load_manifest_progress') }}
    where model_name = '{{ model.name }}'
{%- endmacro %}
