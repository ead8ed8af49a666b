# A solution that crashes at start.
import os
raise SystemExit("boom: cannot start, DATABASE_URL is " + ("set" if os.environ.get("DATABASE_URL") else "missing"))
