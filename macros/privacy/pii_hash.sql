{#- Salted SHA-256 (64 lower-case hex characters) of a standardised identifier (lower-case e-mail,
    E.164 phone): equal values give equal hashes, so BI can count and join customers by e-mail or
    phone without reading them; null stays null. The salt is C360_PII_SALT (macro pii_salt):
    without it a hash could be reversed by hashing a list of known e-mails. DuckDB's library has no
    getenv(), so the salt is written into the compiled SQL under the target path. -#}
{% macro pii_hash(column) -%}
    {{ return(adapter.dispatch('pii_hash', 'customer360')(column)) }}
{%- endmacro %}

{% macro default__pii_hash(column) -%}
    sha2(concat({{ pii_salt() }}, {{ column }}), 256)
{%- endmacro %}

{% macro duckdb__pii_hash(column) -%}
    sha256({{ pii_salt() }} || {{ column }})
{%- endmacro %}
