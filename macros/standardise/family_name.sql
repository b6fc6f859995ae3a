{#- The surname in a full name already in name_case: its last word with the particles directly before
    it ('Anna de Jong' -> 'de Jong', 'Jan van der Berg' -> 'van der Berg'), because a particle is part
    of the surname, not of the given name. Null for a one-word name (read as a given name). -#}
{% macro family_name(full_name) -%}
    case
        when {{ full_name }} like '% %'
            then regexp_extract({{ full_name }}, '(?:^| )((?:(?:{{ name_particles() | join("|") | replace("'", "''") }}) )*[^ ]+)$', 1)
    end
{%- endmacro %}
