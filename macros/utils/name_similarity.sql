{#- Similarity of two names in [0, 1] (1 = equal), case-insensitive; null when either is null.
    Jaro-Winkler where the engine has it (it forgives typos near the end of names more than at
    the start), else 1 - Levenshtein distance / longer length. -#}
{% macro name_similarity(left, right) -%}
    {{ return(adapter.dispatch('name_similarity', 'customer360')(left, right)) }}
{%- endmacro %}

{% macro default__name_similarity(left, right) -%}
    (1.0 - levenshtein(lower({{ left }}), lower({{ right }}))
        / greatest(length({{ left }}), length({{ right }}), 1))
{%- endmacro %}

{% macro duckdb__name_similarity(left, right) -%}
    jaro_winkler_similarity(lower({{ left }}), lower({{ right }}))
{%- endmacro %}
