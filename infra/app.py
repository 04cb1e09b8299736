#!/usr/bin/env python3
"""Entry point of the docpipe CDK app (`app` in cdk.json); also runs as a plain script."""

from docpipe_infra.application import build_app

if __name__ == "__main__":
    build_app().synth()
