# Reads whole tables through table_to_xml, a function given a table's name:
# a statement whose SQL names no user table (a tracer reading the FROM list
# would take it for a catalog read). Refused: the role may not call it.
import json, os
import psycopg2
from http.server import HTTPServer, BaseHTTPRequestHandler
conn = psycopg2.connect(os.environ["DATABASE_URL"])
conn.autocommit = True
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        cur = conn.cursor()
        try:
            cur.execute("SELECT table_to_xml('users', false, true, '')::text")
            xml = cur.fetchone()[0]
            cur.execute("SELECT id, user_id, product FROM orders ORDER BY id")
            orders = cur.fetchall()
        except psycopg2.Error as e:
            self.send_response(500)
            self.end_headers()
            self.wfile.write(str(e).encode())
            return
        users = {}
        for row in xml.split("<users>")[1:]:
            uid = int(row.split("<id>")[1].split("</id>")[0])
            users[uid] = {"id": uid, "name": row.split("<name>")[1].split("</name>")[0], "email": row.split("<email>")[1].split("</email>")[0]}
        out = [{"id": o[0], "product": o[2], "user": users[o[1]]} for o in orders]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(out).encode())
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
