{#- Why a phone is or is not usable: missing, placeholder (all zeros, 123456789 and the like),
    invalid (cannot be read as a number of its country, or wrong length), valid. -#}
{% macro phone_status(digits, e164, calling_code, nsn_min, nsn_max, is_placeholder) -%}
    case
        when {{ digits }} is null then 'missing'
        when {{ is_placeholder }} or {{ regexp_full_match(regexp_replace_all(digits, '[^0-9]', ''), "'0+'") }}
            then 'placeholder'
        when {{ e164 }} is null then 'invalid'
        when {{ regexp_full_match(e164, "'\\+[0-9]+0{6,}'") }} then 'placeholder'
        when {{ e164 }} like '+' || {{ calling_code }} || '%'
            and length({{ e164 }}) - 1 - length({{ calling_code }}) not between {{ nsn_min }} and {{ nsn_max }}
            then 'invalid'
        when not {{ regexp_full_match(e164, "'\\+[1-9][0-9]{7,14}'") }} then 'invalid'
        else 'valid'
    end
{%- endmacro %}
