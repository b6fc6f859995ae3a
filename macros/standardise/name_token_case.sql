{#- One name token (no space, no hyphen) in its documented case. Export noise (ALL CAPS, all lower,
    sWAPPED) carries no information, so the case is rebuilt from rules, not kept:
    Mc is always a prefix (McDonald); O' and D' take a capital after the apostrophe (O'Brien, D'Angelo);
    Mac is often not a prefix (Mack, Macey, Machado), so MacLeod keeps its inner capital only when the
    source wrote it that way; everything else is capital first letter, lower case rest. -#}
{% macro name_token_case(token) -%}
    case
        when lower({{ token }}) like 'mc__%'
            then 'Mc' || upper(substr({{ token }}, 3, 1)) || lower(substr({{ token }}, 4))
        when lower({{ token }}) like 'o''_%' or lower({{ token }}) like 'd''_%'
            then upper(substr({{ token }}, 1, 1)) || '''' || upper(substr({{ token }}, 3, 1)) || lower(substr({{ token }}, 4))
        when substr({{ token }}, 1, 3) = 'Mac' and length({{ token }}) > 4 and substr({{ token }}, 4, 1) <> lower(substr({{ token }}, 4, 1))
            then 'Mac' || substr({{ token }}, 4, 1) || lower(substr({{ token }}, 5))
        else upper(substr({{ token }}, 1, 1)) || lower(substr({{ token }}, 2))
    end
{%- endmacro %}
