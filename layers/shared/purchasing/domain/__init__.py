"""Purchasing rules. No AWS here: every module is testable with plain Python."""
