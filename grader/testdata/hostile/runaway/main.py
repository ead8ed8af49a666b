# Runs 100,000 statements in one request.
import os
import psycopg2
from http.server import HTTPServer, BaseHTTPRequestHandler
conn = psycopg2.connect(os.environ["DATABASE_URL"])
conn.autocommit = True
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        cur = conn.cursor()
        for i in range(100000):
            cur.execute("SELECT %s", (i,))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"[]")
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
