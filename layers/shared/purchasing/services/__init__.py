"""Use cases: what a caller (an API route, a stream, a queue) asks the purchasing service to do."""
