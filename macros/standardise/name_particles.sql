{#- Surname particles written in lower case when a word follows them: Dutch tussenvoegsels and German
    nobiliary particles ('Jan de Jong', 'van der Berg', 'von Braun'). Belgian and French usage capitalises
    some of them ('De Smet'); one reviewed list keeps every source's spelling the same, which the
    survivorship vote and the identity blocks need. Returned as a SQL list of literals. -#}
{% macro name_particles() -%}
    {{ return(["van", "de", "den", "der", "het", "'t", "te", "ten", "ter", "von", "vom", "zu", "zum", "zur"]) }}
{%- endmacro %}
