"""Reports of run records: a view model (`view.py`) rendered to Markdown (`markdown.py`) and HTML (`html.py`), and
the compare, gate and leaderboard views. Reads records only; never runs extraction or calls a model."""
