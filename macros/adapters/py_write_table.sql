{#- Overrides dbt-duckdb's (1.11) macro of the same name, which writes what a Python model returns.
    Theirs imports pyarrow on every run to test for an arrow table (0.1 s, paid by the daily run's
    first Python model); our models return DuckDB relations or pandas frames, so pyarrow is only
    imported when the object already comes from it. Otherwise the same. -#}
{% macro py_write_table(temporary, relation, compiled_code, partitioned_by=none, sorted_by=none) -%}
{{ compiled_code }}

def materialize(df, con):
    if type(df).__module__.startswith('pyarrow'):
        # https://github.com/duckdb/duckdb/issues/6584
        import pyarrow.dataset
    tmp_name = '__dbt_python_model_df_' + '{{ relation.identifier }}'
    con.register(tmp_name, df)
    {% if partitioned_by or sorted_by %}
    con.execute('create table {{ relation }} as select * from ' + tmp_name + ' limit 0')
    {% if partitioned_by %}
    con.execute('alter table {{ relation }} set partitioned by ({{ partitioned_by }})')
    {% endif %}
    {% if sorted_by %}
    con.execute('alter table {{ relation }} set sorted by ({{ sorted_by }})')
    {% endif %}
    con.execute('insert into {{ relation }} select * from ' + tmp_name)
    {% else %}
    con.execute('create table {{ relation }} as select * from ' + tmp_name)
    {% endif %}
    con.unregister(tmp_name)
{% endmacro %}
