"""Recommendations over a tenant's records and the reference pack: matching, candidate search,
skill gaps and training plans. The top layer of models/."""
