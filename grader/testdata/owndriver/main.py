# A solution that ships its own psycopg2 package, which is broken: the
# missing module is inside the solution's own files, so the failure is the
# learner's, though the name is a driver's.
import psycopg2  # noqa: F401
