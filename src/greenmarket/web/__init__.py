"""The web interface: server-rendered pages in Japanese and English over the same services as the API."""
