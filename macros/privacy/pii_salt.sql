{#- The salt of the PII hashes, as a SQL string literal, from the environment variable C360_PII_SALT.
    It is required: without it dbt stops at the first model that hashes, rather than publish hashes
    anyone can recompute from a list of e-mails. At parse time (execute is false) nothing is hashed,
    so parsing and listing work without it. -#}
{% macro pii_salt() -%}
    {%- set salt = env_var('C360_PII_SALT', '') -%}
    {%- if execute and not salt -%}
        {{ exceptions.raise_compiler_error(
            "C360_PII_SALT is not set: export a secret salt (the same for every build of one warehouse) before running dbt."
        ) }}
    {%- endif -%}
    {{ return("'" ~ salt | replace("'", "''") ~ "'") }}
{%- endmacro %}
