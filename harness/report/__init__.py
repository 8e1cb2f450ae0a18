"""Reports: the typed run record (`record.py`, read back with `read_run`) and the run that produces it (`run.py`)."""
