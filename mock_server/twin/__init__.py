"""The twin of the real API: the request core every request flows through, and the resources.

What it offers: ``pipeline`` (``PipelineFlask``, ``request_steps``: route -> identify ->
armed fault -> rate limit -> authenticate -> authorize -> validate -> answer, each step a
function of ``request.RequestState``), the steps (``auth``, ``faults``, ``rate_limits``,
``validation``), ``registry`` (the OAuth clients), ``accounts`` (each client's ledger with
the sandbox's bookings stacked on it) and ``resources`` (the two ``GET`` views).

May import: the state stores' interface, the ledger and the foundation (settings, spec,
errors, serializer). Nothing here knows the journal, the sandbox's views or the console.
"""
