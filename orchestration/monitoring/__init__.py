"""Monitoring: what each build did, incidents opened and resolved, alerts, freshness and the health report.

The record is a SQLite file under the home (`state/monitoring.sqlite`): `medallion status` answers from it
even when the warehouse is busy or down (what a probe needs), and several processes (a build, a Dagster
sensor, a cron'd `status`) write to it safely. After each build its tables are copied into the warehouse as
`ops.build_runs`, `ops.build_steps` and `ops.incidents`, for analysts to query with SQL.

- `store`: the tables and their connection.
- `incidents`: open, update, resolve, each change sent to the alert channels (`alerts`).
- `builds`: a Dagster run's steps, gates and failures, recorded and turned into incidents.
- `health`: freshness per source, failed pulls, `medallion status`.
- `report`: `$MEDALLION_HOME/reports/monitoring.html`.
"""
