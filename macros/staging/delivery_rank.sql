{#- 1 for the first delivery of a row, 2+ for identical copies delivered again (same values in
    every contract column, whatever the load or file): `columns` are the contract columns as delivered,
    or in delivery_fates the cleaned key and values with the delivery_hash of the delivered ones. Copies
    are dropped, and counted. The file row number breaks ties within a file, so an incremental run ranks
    copies exactly as a full refresh. -#}
{% macro delivery_rank(columns) -%}
    row_number() over (
        partition by {{ columns | join(', ') }}
        order by load_date, filename, file_row_number
    )
{%- endmacro %}
