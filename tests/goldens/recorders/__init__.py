"""Per-framework golden recorders, each run by ``tests/goldens/record.py`` inside that framework's
own virtual environment (``build/goldens-envs/<framework>/``)."""
