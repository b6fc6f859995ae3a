{#- SQL for the keys (the table's id, cleaned as the base model cleans it) that new or gone files touch:
    the ids of the rows of the `new_files` and of the stored rows of the `gone_files` of this model.
    An empty id counts as a key of its own: rows without a key are ranked against each other too. -#}
{% macro manifest_touched_keys(id_column, new_files, gone_files) -%}
    select cast(null as string) as touched_key where 1 = 0
    {%- if new_files %}
    union all
    select {{ clean_text('cast(' ~ id_column ~ ' as string)') }} as touched_key
    from {{ read_raw_files(new_files) }}
    {%- endif %}
    {%- if gone_files %}
    union all
    select {{ id_column }} as touched_key
    from {{ this }}
    where filename in ({{ manifest_file_literals(gone_files) }})
    {%- endif %}
{%- endmacro %}
