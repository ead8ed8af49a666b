# Listens, but on the wrong port.
import os
from http.server import HTTPServer, BaseHTTPRequestHandler
HTTPServer(("127.0.0.1", int(os.environ["PORT"]) + 1 if int(os.environ["PORT"]) < 65535 else 1025), BaseHTTPRequestHandler).serve_forever()
