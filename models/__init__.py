"""Domain and ML code of the talent-matching service. Never imports Flask.

Layers, lowest first; a module imports only from its own layer or lower ones
(tests/unit/test_layering.py checks every module):

core       settings, errors, text and title words, language id, encoder, vector index, artifacts
reference  the reference pack: skills, occupations and titles, regions, role skills, ReferenceData
tenants    a tenant's records: storage (store/), understanding, features, indices, batch jobs
recommend  matching, candidate search, gaps and training plans
"""
