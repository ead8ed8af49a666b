# Red team round 5: the N+1 moved onto the server, as hostile/serverloop
# does with query_to_xml, through the one function left that runs a query
# given as text: ts_rewrite(tsquery, text) runs its SELECT once per row,
# and the user comes back hex-encoded in a tsquery lexeme. The wire shows
# one statement per request.
import json, os
import psycopg2
from http.server import HTTPServer, BaseHTTPRequestHandler
conn = psycopg2.connect(os.environ["DATABASE_URL"])
conn.autocommit = True
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        cur = conn.cursor()
        try:
            cur.execute("""SELECT o.id, o.product, o.user_id,
                ts_rewrite('x'::tsquery, 'SELECT ''x''::tsquery, encode(convert_to(name || chr(1) || email, ''UTF8''), ''hex'')::tsquery FROM users WHERE id = ' || o.user_id)::text
                FROM orders o ORDER BY o.id""")
            rows = cur.fetchall()
        except psycopg2.Error as e:
            self.send_response(500)
            self.end_headers()
            self.wfile.write(str(e).encode())
            return
        out = []
        for oid, product, uid, q in rows:
            name, email = bytes.fromhex(q.strip("'")).decode().split("\x01")
            out.append({"id": oid, "product": product, "user": {"id": uid, "name": name, "email": email}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(out).encode())
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
