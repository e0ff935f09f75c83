"""`begroting serve`: the ledger in a browser. A second front end over the read models'
questions (``ledger.views``), beside ``cli``: Starlette routes (``app.py``) ask one question
each (``pages.py``; recording from the browser in ``writes.py``) and render Jinja2 templates
(``templates/``, autoescaped) with the one Dutch notation of ``projections.notation``."""
