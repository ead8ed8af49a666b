# Answers with 100 MB.
import os
from http.server import HTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        chunk = b"[" + b"1," * (1 << 20)
        try:
            for _ in range(50):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
