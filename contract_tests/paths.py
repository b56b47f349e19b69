"""The API's paths as its documentation names them, for every module of the suite."""

TOKEN_PATH = "/o/token/"
"""django-oauth-toolkit's token endpoint (``POST``), as the docs give it."""


def is_token_request(method: str, path: str) -> bool:
    """Whether a request goes to the token endpoint, as the suite reads a path: ``POST`` to
    ``TOKEN_PATH``, after any base path, with or without its trailing slash. There a refusal
    (400, 401) is RFC 6749's error rather than the API's envelope."""
    return method.upper() == "POST" and path.rstrip("/").endswith(TOKEN_PATH.rstrip("/"))
