# A test fixture: a server that ignores $PORT and listens on a port of its own.
from http.server import BaseHTTPRequestHandler, HTTPServer

server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
print("listening on port", server.server_address[1], flush=True)
server.serve_forever()
