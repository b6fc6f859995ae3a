{#- on-run-end of `dbt build` and `dbt run`: drop the tables and views of the mart schemas that no model,
    seed or snapshot of the project defines any more (a model removed, renamed or moved to another
    schema). Publishing copies every relation of those schemas into the files readers open, so an
    orphan would go on being published with the data of the day it was last built. Only the schemas
    that hold a mart are swept, never staging or intermediate, where the manifest hooks keep their own
    tables. Each drop is logged. -#}
{% macro drop_orphaned_relations() -%}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set defined = [] -%}
        {%- set schemas = [] -%}
        {%- for node in graph.nodes.values() if node.resource_type in ('model', 'seed', 'snapshot') -%}
            {%- do defined.append((node.schema ~ '.' ~ node.alias) | lower) -%}
            {%- if node.resource_type == 'model' and node.fqn[1] == 'marts' and node.schema not in schemas -%}
                {%- do schemas.append(node.schema) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for schema in schemas | sort if adapter.check_schema_exists(target.database, schema) -%}
            {%- for name, relation_type in list_schema_relations(schema) -%}
                {%- if (schema ~ '.' ~ name) | lower not in defined and '__dbt_' not in name -%}
                    {#- quoted here, not by api.Relation, which leaves a quote inside a name as it is:
                        a table named with one would break the statement, and every later run -#}
                    {%- set orphan = quoted_identifier(schema) ~ '.' ~ quoted_identifier(name) -%}
                    {%- do log('drop_orphaned_relations: dropping ' ~ relation_type ~ ' ' ~ orphan
                        ~ ', which no model defines', info=true) -%}
                    {%- do run_query('drop ' ~ relation_type ~ ' if exists ' ~ orphan) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- (name, 'table' or 'view') of each relation of a schema. -#}
{% macro list_schema_relations(schema) -%}
    {{ return(adapter.dispatch('list_schema_relations')(schema)) }}
{%- endmacro %}

{% macro default__list_schema_relations(schema) -%}
    {%- set found = run_query(
        "select table_name, case when table_type = 'VIEW' then 'view' else 'table' end"
        ~ " from information_schema.tables where table_catalog = " ~ sql_string(target.database)
        ~ " and table_schema = " ~ sql_string(schema)
    ) -%}
    {{ return(found.rows | map('list') | list) }}
{%- endmacro %}

{#- Spark's SHOW TABLES lists views too; SHOW VIEWS tells them apart. -#}
{% macro spark__list_schema_relations(schema) -%}
    {%- set views = run_query('show views in ' ~ schema).columns['viewName'].values() | map('lower') | list -%}
    {%- set relations = [] -%}
    {%- for row in run_query('show tables in ' ~ schema).rows if not row['isTemporary'] -%}
        {%- do relations.append([row['tableName'], 'view' if row['tableName'] | lower in views else 'table']) -%}
    {%- endfor -%}
    {{ return(relations) }}
{%- endmacro %}

{#- An identifier in the engine's quotes, a quote inside it doubled. -#}
{% macro quoted_identifier(name) -%}
    {{ return(adapter.dispatch('quoted_identifier')(name)) }}
{%- endmacro %}

{% macro default__quoted_identifier(name) -%}
    {{ return('"' ~ name | replace('"', '""') ~ '"') }}
{%- endmacro %}

{% macro spark__quoted_identifier(name) -%}
    {{ return('`' ~ name | replace('`', '``') ~ '`') }}
{%- endmacro %}
