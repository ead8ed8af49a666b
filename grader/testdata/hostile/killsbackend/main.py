# Ends its own database connection: the server's doing, at the solution's request.
import os
import psycopg2
from http.server import HTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        conn = psycopg2.connect(os.environ["DATABASE_URL"])
        try:
            conn.cursor().execute("SELECT pg_terminate_backend(pg_backend_pid())")
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"[]")
        except psycopg2.Error as e:
            self.send_response(500)
            self.end_headers()
            self.wfile.write(str(e).encode())
        finally:
            conn.close()
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
