# A test fixture: 300 idle threads (2.4 GiB of stacks reserved, little of it
# resident), then a server on 127.0.0.1:$PORT.
import os, threading
from http.server import BaseHTTPRequestHandler, HTTPServer

stop = threading.Event()
threads = [threading.Thread(target=stop.wait, daemon=True) for _ in range(300)]
for t in threads:
    t.start()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok\n")


HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
