"""Offline pipelines: reference pack, importers, evaluation, benchmarks, demo data."""
