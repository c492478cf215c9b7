"""Readers of reference data: the packaged defaults and the official release formats."""
