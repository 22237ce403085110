{#- The version this build publishes: the run's UTC start, e.g. 20261122T103000Z.
    Anything else is refused, so the value can never carry SQL or a template. -#}
{% macro gold_version_id() -%}
    {%- set version_id = var('gold_version_id') | string -%}
    {%- if not modules.re.fullmatch('[0-9]{8}T[0-9]{6}Z', version_id) -%}
        {{ exceptions.raise_compiler_error("gold_version_id must look like 20261122T103000Z, not " ~ version_id) }}
    {%- endif -%}
    {{ return(version_id) }}
{%- endmacro %}


{#- Pre-hook for a `__versions` model: drop the rows of versions gold.versions
    never registered (a build killed between writing them and registering them). -#}
{% macro drop_unregistered_versions() -%}
    {%- set registry = adapter.get_relation(this.database, this.schema, 'versions') if execute else none -%}
    {%- if is_incremental() and registry is not none -%}
        delete from {{ this }}
        where version_id not in (select version_id from {{ registry }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- Post-hook for a `__versions` model: keep the newest `gold_retention` versions. -#}
{% macro prune_gold_versions() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where version_id not in (
            select version_id from (
                select distinct version_id from {{ this }}
            ) as kept
            order by version_id desc
            limit {{ var('gold_retention') | int }}
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- Post-hook of gold.versions: forget the versions no `__versions` table holds any
    more (each keeps its own newest `gold_retention`). A source that publishes
    seldom keeps its current version however often another source publishes. -#}
{% macro prune_gold_registry() -%}
    {%- set holders = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() | sort(attribute='name') -%}
            {%- if node.resource_type == 'model' and node.name.endswith('__versions') -%}
                {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
                {%- if relation is not none -%}
                    {%- do holders.append(relation) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if is_incremental() and holders -%}
        delete from {{ this }}
        where
            version_id <> '{{ gold_version_id() }}'
            and version_id not in (
                {%- for relation in holders %}
                select version_id from {{ relation }}{% if not loop.last %} union all{% endif %}
                {%- endfor %}
            )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- Body of a `__versions` model: this build's candidate rows, stamped with the version. -#}
{% macro gold_version_rows(candidate) -%}
    select
        '{{ gold_version_id() }}' as version_id,
        candidate.*
    from {{ candidate }} as candidate
{%- endmacro %}


{#- Body of a current view: the newest of this table's versions that
    gold.versions lists (a build that publishes another source's tables does
    not move this one). `columns` defaults to every column but version_id. -#}
{% macro gold_current_rows(versions_model, columns=none) -%}
    {%- set columns = columns or delivered_value_columns(versions_model, ['version_id']) -%}
    select
        {% for column in columns %}{{ quoted(column) }}{% if not loop.last %},
        {% endif %}{% endfor %}{% if not columns %}*{% endif %}
    from {{ versions_model }}
    where version_id = (
        select max(version_id) from {{ versions_model }}
        where version_id in (select version_id from {{ ref('fct_gold_versions') }})
    )
{%- endmacro %}
