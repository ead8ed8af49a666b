# Serves on 8080, a port of its own choosing, not $PORT.
from http.server import HTTPServer, BaseHTTPRequestHandler
HTTPServer(("127.0.0.1", 8080), BaseHTTPRequestHandler).serve_forever()
