import psycopg2._impl  # noqa: F401  (not shipped)
