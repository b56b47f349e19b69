"""The headers every console response carries: one policy per kind of page, set in one place.

The console shows values a client sent (paths, bodies, headers), so the page must never run
anything but its own files: scripts come from this origin only, nothing inline, and no other
site may frame it (clickjacking a sandbox's buttons).
"""

from __future__ import annotations

from flask import Response

CONSOLE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                  "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
"""The console page: its own scripts and stylesheet, requests to its own origin, nothing else."""
DOCS_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
"""Swagger UI: as the console, but it styles elements inline and draws its icons from data: URLs.
Inline styles cannot run code; inline scripts stay refused."""

OWN_ASSETS = "no-cache"
"""The console's own files: small, so the browser asks each time and gets a 304 while unchanged
(an upgraded mock is never shown with last version's script)."""
VERSIONED_ASSETS = "public, max-age=31536000, immutable"
"""Files under a path that names their version (Swagger UI's): never asked for again."""
PAGES = "no-store"
"""HTML pages: never kept, so a page is always the server's current one."""


def secure(response: Response, policy: str = CONSOLE_POLICY) -> Response:
    """``response`` with the headers no console response goes without."""
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
