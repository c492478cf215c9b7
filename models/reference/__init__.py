"""The reference pack: skills catalogue, occupations and titles, regions, role skills, and
ReferenceData that loads them (data.py). Imports only models.core."""
