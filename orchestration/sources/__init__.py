"""The sources, one package each: `orchestration/sources/<name>/` with its `SOURCE` (in `__init__.py`),
`landing.py`, `bronze.py`, `assets.py` and, where it has one, `report.py` or `fetch.py`.

Found by looking, not by a list (`orchestration.core.source.registry()`): a new source is a new
folder here (plus its dbt folders and expectations), and nothing else changes.
"""
