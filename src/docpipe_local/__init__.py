"""The local stack and the harness around it: development tooling, never shipped.

``docpipe dev`` and ``docpipe demo`` run from here, as do the load tests (``loadtest/``) and the
fault and soak runs (:mod:`docpipe_local.chaos`). Nothing in this package is bundled into a Lambda
ZIP or the render image (``infra/docpipe_infra/bundling.py``, ``layers/texlive/Dockerfile``): it needs
the ``local`` extra (uvicorn, moto, httpx, psutil), which Lambda never gets.
"""
