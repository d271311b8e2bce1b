"""The local cloud: template.yaml run on one machine (moto, in-process handlers, a local gateway)."""
