{#- The predicate of an audience, checked so that it can only be a boolean expression over the
    allowed columns: the audiences seed is edited by hand (and possibly by someone hostile), and its
    predicate is pasted into SQL. Anything that is not a column, a literal, an operator, a keyword or a
    function of a short list stops the build with one line naming the audience. -#}
{% macro audience_predicate(audience_name, predicate, allowed_columns) -%}
    {%- set keywords = ['and', 'or', 'not', 'is', 'null', 'true', 'false', 'between', 'in', 'like', 'ilike', 'date'] -%}
    {%- set functions = ['coalesce', 'abs', 'least', 'greatest', 'lower', 'upper', 'round'] -%}
    {%- set where = "audience '" ~ audience_name ~ "' (seeds/audiences.csv): predicate " -%}
    {%- set text = (predicate or '') | trim -%}
    {%- if not text -%}
        {{ exceptions.raise_compiler_error(where ~ "is empty") }}
    {%- endif -%}
    {%- if text | length > 1000 -%}
        {{ exceptions.raise_compiler_error(where ~ "is longer than 1000 characters") }}
    {%- endif -%}
    {%- for forbidden in [';', '--', '/*', '*/', '"', '\\'] -%}
        {%- if forbidden in text -%}
            {{ exceptions.raise_compiler_error(where ~ "contains '" ~ forbidden ~ "': only a boolean expression over audience_attributes is allowed") }}
        {%- endif -%}
    {%- endfor -%}
    {#- one alternative per token class; the last one catches any other character -#}
    {%- set tokens = modules.re.findall(
        "('(?:[^']|'')*')|([0-9]+(?:\\.[0-9]+)?)|([A-Za-z_][A-Za-z0-9_]*)|(<>|!=|<=|>=|[=<>+*/%(),-])|(\\s+)|(.)",
        text) -%}
    {%- set state = namespace(depth=0) -%}
    {%- for string_literal, number, word, operator, space, other in tokens -%}
        {%- if other -%}
            {{ exceptions.raise_compiler_error(where ~ "contains the character '" ~ other ~ "', which is not allowed") }}
        {%- endif -%}
        {%- if word -%}
            {%- set name = word | lower -%}
            {%- if name not in keywords and name not in functions and name not in allowed_columns -%}
                {{ exceptions.raise_compiler_error(where ~ "names '" ~ word ~ "', which is not a column of audience_attributes (allowed: " ~ (allowed_columns | sort | join(', ')) ~ ")") }}
            {%- endif -%}
        {%- elif operator == '(' -%}
            {%- set state.depth = state.depth + 1 -%}
        {%- elif operator == ')' -%}
            {%- set state.depth = state.depth - 1 -%}
            {%- if state.depth < 0 -%}
                {{ exceptions.raise_compiler_error(where ~ "closes a parenthesis it did not open") }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if state.depth != 0 -%}
        {{ exceptions.raise_compiler_error(where ~ "leaves a parenthesis open") }}
    {%- endif -%}
    {{- text -}}
{%- endmacro %}
