{#- Text without the characters that are never data and can be hostile in a report or a terminal:
    ANSI escape sequences (ESC [ ... m, which recolour or rewrite a terminal line), C0 controls other
    than tab, line feed, form feed and carriage return (NUL, BEL, VT, ESC...), DEL, C1 controls, and
    the bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E/U+200F, U+202A-U+202E,
    U+2066-U+2069) that make a name display reversed or hide text (Trojan Source). Tab and line breaks
    stay: clean_text() turns them into single spaces. -#}
{% macro strip_control_characters(column) -%}
    {{ regexp_replace_all(
        column,
        '\\x1B\\[[0-?]*[ -/]*[@-~]|[\\x00-\\x08\\x0B\\x0E-\\x1F' ~ hidden_character_ranges() ~ ']',
        ''
    ) }}
{%- endmacro %}

{#- The characters above beyond the C0 controls, as regular-expression class ranges: DEL, the C1 controls
    and the bidirectional marks. DuckDB's clean_text tests for them (and for the C0 controls and space)
    before it strips, so the two cannot drift apart. -#}
{% macro hidden_character_ranges() -%}
    \x7F-\x9F\x{061C}\x{200E}\x{200F}\x{202A}-\x{202E}\x{2066}-\x{2069}
{%- endmacro %}
