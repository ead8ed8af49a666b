# Red team round 5: a learner's program that stops with a ModuleNotFoundError
# for psycopg2 on a machine that has psycopg2. Its own code empties sys.path
# before the import (any code that raises the same error would do), yet the
# grade blamed the machine: "the Python interpreter ... has no psycopg2",
# exit 3, not graded.
import sys

sys.path[:] = [p for p in sys.path if "packages" not in p]
import psycopg2  # noqa: E402,F401
