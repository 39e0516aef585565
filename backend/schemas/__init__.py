"""API schemas, one module per domain: `...In` models are request bodies, `...Out` responses."""
