"""Blueprints: parse and validate the request, call models/, serialise the answer."""
