# Sends its headers, a Content-Length among them, and forgets the body.
import os
from http.server import HTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
