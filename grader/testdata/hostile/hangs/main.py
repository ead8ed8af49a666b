# Accepts the request and never answers.
import os, time
from http.server import HTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(600)
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
