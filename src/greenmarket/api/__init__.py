"""The REST API (FastAPI): thin adapters over the services."""
