"""Size limits on what a request may carry. One place, so the API, the CLI and the docs agree."""

MAX_REQUEST_BYTES = 256 * 1024
"""A whole request body (JSON or YAML)."""

MAX_PDF_BYTES = MAX_REQUEST_BYTES
"""A PDF sent to the ATS check."""

MAX_STRING_CHARS = 5_000
"""Any one free-text field (a summary, an achievement, a letter paragraph)."""

MAX_NAME_CHARS = 300
"""Short fields: names, titles, places, phone numbers."""

MAX_URL_CHARS = 2_048

MAX_LIST_ITEMS = 100
"""Any one list (jobs, achievements, skills ...)."""

MAX_NESTING = 32
"""JSON/YAML nesting depth; the deepest valid document needs six."""
