"""The HTTP edge: request models, the caller's identity, problem responses."""
