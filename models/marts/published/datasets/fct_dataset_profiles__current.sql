{{ config(alias='dataset_profiles') }}

-- The profile of every dataset table as of the latest good build
-- (gold.dataset_profiles__versions holds the older ones).

{{ gold_current_rows(ref('fct_dataset_profiles__versions'),
    ['dataset', 'table_name', 'column_name', 'data_type', 'row_count', 'null_count',
     'distinct_count', 'min_value', 'max_value', 'mean']) }}
