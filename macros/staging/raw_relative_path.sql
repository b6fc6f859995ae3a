{#- A raw file's path relative to the raw root (web/orders/load_date=2024-01-01/part-0.parquet), for
    published tables: the absolute path says where a machine keeps its files (user names, mounts), not
    which delivery a row came from. The sources read exactly `<raw root>/<source>/<table>/*/*.parquet`
    (preflight rejects any other layout), so the relative path is the last four parts of the filename;
    this holds whatever spelling of the root was configured (DuckDB normalises ./, .. and a trailing /). -#}
{% macro raw_relative_path(column) -%}
    regexp_extract({{ column }}, '([^/]+/[^/]+/[^/]+/[^/]+)$', 1)
{%- endmacro %}
