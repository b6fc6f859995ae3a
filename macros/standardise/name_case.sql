{#- A person's name (a given name, a surname or a full name) in the case people write it:
    every word and every part of a hyphenated word through name_token_case ('Jean-Pierre', 'O'Brien',
    'McDonald'), except a particle of name_particles followed by another word, which is lower case
    ('Jan van der Berg', 'de Jong'): the surname proper always keeps its capital. A typographic
    apostrophe is read as a straight one, so O’Brien and O'Brien are one name.
    Dispatched because it maps over the words: DuckDB list comprehensions, Spark transform(). -#}
{% macro name_case(column) -%}
    {{ return(adapter.dispatch('name_case', 'customer360')(column)) }}
{%- endmacro %}

{#- Over word positions rather than `for word, position in ...`, which sqlfluff cannot parse. -#}
{% macro duckdb__name_case(column) -%}
    {%- set words = "string_split(replace(" ~ column ~ ", '’', ''''), ' ')" -%}
    array_to_string([
        case
            when word_position < len({{ words }})
                and lower({{ words }}[word_position]) in ({{ name_particle_literals() }})
                then lower({{ words }}[word_position])
            else array_to_string(
                [{{ name_token_case('token') }} for token in string_split({{ words }}[word_position], '-')], '-'
            )
        end
        for word_position in range(1, len({{ words }}) + 1)
    ], ' ')
{%- endmacro %}

{% macro default__name_case(column) -%}
    array_join(transform(split(replace({{ column }}, '’', ''''), ' '), (word, word_position) ->
        case
            when word_position < size(split({{ column }}, ' ')) - 1
                and lower(word) in ({{ name_particle_literals() }})
                then lower(word)
            else array_join(transform(split(word, '-'), token -> {{ name_token_case('token') }}), '-')
        end
    ), ' ')
{%- endmacro %}

{#- name_particles as a comma-separated list of SQL string literals. -#}
{% macro name_particle_literals() -%}
    {%- for particle in name_particles() -%}
        '{{ particle | replace("'", "''") }}'{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
