"""The API's paths as its documentation names them, for every module of the suite."""

TOKEN_PATH = "/o/token/"
"""django-oauth-toolkit's token endpoint (``POST``), as the docs give it."""
