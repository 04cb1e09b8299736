"""docpipe's load, soak and benchmark harness. Run its entry points as modules from the repository
root (what the Makefile does), so that they import each other as ``loadtest.*``:

    .venv/bin/python -m loadtest.run --scenario cached     # make loadtest
    .venv/bin/python -m loadtest.soak --jobs 300           # make soak
    .venv/bin/python -m loadtest.bench                     # make bench

The local stack it runs against, the HTTP client and the chaos wrappers live in ``docpipe_local``.
"""
