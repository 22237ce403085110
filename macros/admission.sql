{#- The deliveries of `source_name` that silver may take in (admitted by their
    gate, or released from quarantine), with their admission order; on an
    incremental build only those admitted since the model was last built.
    Reads the platform's decisions through their staging model. -#}
{% macro admitted_deliveries(source_name) -%}
    select
        delivery_id,
        admitted_seq
    from {{ ref('stg_platform__deliveries') }}
    where
        source_name = '{{ source_name }}'
        and admitted_seq is not null
        {%- if is_incremental() %}
            and admitted_seq > {{ incremental_watermark('admitted_seq') }}
        {%- endif %}
{%- endmacro %}
