"""Secrets, read through Powertools parameters (cached for five minutes per container)."""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters

from purchasing import config


def link_secret() -> bytes:
    value = parameters.get_secret(config.get(config.LinkSecret).approval_link_secret_arn, max_age=300)
    return str(value).encode()
