"""The data: deterministic ledgers, what the sandbox may stack on them, and their files.

What it offers: ``ledger`` (``Ledger``, ``Entry``, ``generate``, money as integer
micro-units), ``scenarios`` (the named data sets), ``bookings`` (the sandbox's pure rules:
``Tail``, ``book``, ``move_clock``), ``render`` (the API's bodies from entries),
``ledger_file`` (a ``ledger.json`` read and checked), ``recorded`` and ``reconcile``
(recordings and their consistency) and ``fixtures`` (the fixture sets QA exports).

May import: the foundation only (settings, spec, errors, serializer). It knows nothing of
HTTP, requests or stores, so the fixture generator and the mock serve the same bytes.
"""
