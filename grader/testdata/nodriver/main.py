# A Python solution on an interpreter without the PostgreSQL driver: it
# stops at the import below. The grade is the machine's error (exit 3), with
# the hint to install psycopg2 or name the interpreter that has it.
import psycopg2  # noqa: F401
