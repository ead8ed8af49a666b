# Fails every request.
import os
from http.server import HTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(500)
        self.end_headers()
        self.wfile.write(b"Traceback: something broke")
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
