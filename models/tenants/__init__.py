"""A tenant's records: storage (store/), understanding, in-memory features, FAISS indices kept
in step with the database, and the batch jobs over them. Imports models.core and models.reference."""
