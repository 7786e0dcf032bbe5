"""Django's PostgreSQL backend with every database round trip bounded (see base.py)."""
