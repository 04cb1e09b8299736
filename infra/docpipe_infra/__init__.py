"""CDK app of docpipe: one stack composed of one construct per concern (see stack.py)."""
