# A test fixture: a server on 127.0.0.1:$PORT, standard library only.
import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok\n")


server = HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
print("python listening on", server.server_address)
server.serve_forever()
