"""The use cases, one module each: submit (with its idempotency), render, status, erase, and the repair
of stale jobs they share.

Each takes its stores (:class:`~docpipe.usecases.stores.Stores`), its settings and any other
dependency through its constructor, and answers with typed results (:mod:`docpipe.usecases.results`);
the API turns those into status codes, headers and paths. Nothing here knows HTTP, Lambda or the AWS
SDK: the adapters underneath raise domain errors. :mod:`docpipe.pipeline` composes them.
"""
