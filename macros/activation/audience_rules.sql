{#- The audiences of the given seed relation as a list of dicts (audience_name, channel,
    holdout_percent, predicate), each checked: a bad row stops the build with one line naming the
    audience, before any SQL of it runs. Predicates may use only the documented columns of the
    attributes model (its YAML is the whitelist). Empty while dbt parses. -#}
{% macro audience_rules(audiences_relation, attributes_model_name) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {#- A database the seed was never loaded into has no audiences: sqlfluff renders the models against
        an empty one. dbt build always loads the seed first, as the models ref it. -#}
    {%- if load_relation(audiences_relation) is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set channels = ['email', 'sms', 'push', 'phone', 'direct_mail'] -%}
    {%- set allowed = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == attributes_model_name -%}
        {%- for column in node.columns.keys() -%}
            {%- do allowed.append(column | lower) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if not allowed -%}
        {{ exceptions.raise_compiler_error("audiences: model " ~ attributes_model_name ~ " documents no columns, so no predicate can be checked") }}
    {%- endif -%}
    {%- set rows = run_query(
        "select audience_name, description, owner, channel, predicate, holdout_percent from "
        ~ audiences_relation ~ " order by audience_name") -%}
    {%- set rules = [] -%}
    {%- set seen = [] -%}
    {%- for row in rows -%}
        {%- set name = row['audience_name'] | string -%}
        {%- if row['audience_name'] is none or not modules.re.match('^[a-z][a-z0-9_]{0,62}$', name) -%}
            {{ exceptions.raise_compiler_error("audience '" ~ name ~ "' (seeds/audiences.csv): the name must be 1-63 lower-case letters, digits or underscores, starting with a letter") }}
        {%- endif -%}
        {%- if name in seen -%}
            {{ exceptions.raise_compiler_error("audience '" ~ name ~ "' (seeds/audiences.csv): declared twice") }}
        {%- endif -%}
        {%- do seen.append(name) -%}
        {%- if row['channel'] not in channels -%}
            {{ exceptions.raise_compiler_error("audience '" ~ name ~ "' (seeds/audiences.csv): channel '" ~ row['channel'] ~ "' is not one of " ~ channels | join(', ')) }}
        {%- endif -%}
        {%- if not (row['owner'] or '') | trim or not (row['description'] or '') | trim -%}
            {{ exceptions.raise_compiler_error("audience '" ~ name ~ "' (seeds/audiences.csv): owner and description are required") }}
        {%- endif -%}
        {%- if row['holdout_percent'] is none or row['holdout_percent'] < 0 or row['holdout_percent'] > 50 -%}
            {{ exceptions.raise_compiler_error("audience '" ~ name ~ "' (seeds/audiences.csv): holdout_percent must be a number from 0 to 50") }}
        {%- endif -%}
        {%- do rules.append({
            'audience_name': name,
            'channel': row['channel'],
            'holdout_percent': row['holdout_percent'] | float,
            'predicate': audience_predicate(name, row['predicate'], allowed),
        }) -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}
