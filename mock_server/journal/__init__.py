"""The request journal: every request a server answered, with the verdict the contract gives it.

What it offers: ``journal`` (``Journal``: kept in the state store in batches, read as pages
by ``GET /__sandbox/requests``), ``verdict`` (``Judge``: the pipeline's own checks run again
on an answered request) and ``batching`` (``BatchWriter``: a background writer shared with
the access log). The app factory hooks the journal into the pipeline as its ``Recorder``;
the pipeline never imports it.

May import: the twin (request state, auth, validation), the state stores' interface and the
foundation.
"""
