"""The server process: the app (mock or proxy) under granian, its access log, and ports.

What it offers: ``server`` (``serve``, ``ServerOptions``: workers forked from one app, a
graceful stop), ``access_log`` (``AccessLog``: one line per request, written in batches
off the request's path) and ``ports`` (``free_port``).

May import: ``mock_server.journal.batching`` and the standard library. It knows nothing of
what the app it serves does.
"""
