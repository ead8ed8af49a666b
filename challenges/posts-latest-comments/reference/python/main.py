"""Serves GET /api/posts: every post with its 3 latest comments, as JSON sorted
by post id.

It is the fixed version of the starter. Instead of one query per post for its
latest comments (N+1 queries), it fetches the posts, then the latest comments
of all of them in one query: a window function numbers each post's comments,
newest first, and the query keeps numbers 1 to 3. Two queries per request
however many posts there are. "id DESC" breaks ties between comments made at
the same instant.
"""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import psycopg2

DATABASE_URL = os.environ["DATABASE_URL"]
PORT = int(os.environ["PORT"])

# One connection for the whole server, opened on first use and again if it
# broke: a connection per request would pay a connect (and, outside
# autocommit, a BEGIN) every time. Requests take turns on it.
_conn = None
_lock = threading.Lock()


def connection():
    global _conn
    _lock.acquire()
    try:
        if _conn is None or _conn.closed:
            _conn = psycopg2.connect(DATABASE_URL)
            _conn.autocommit = True  # plain reads need no transaction
    except Exception:
        _lock.release()
        raise
    return _conn


def release(conn):
    _lock.release()


LATEST_COMMENTS_SQL = """
SELECT post_id, id, author, body
FROM (
    SELECT post_id, id, author, body, created_at,
           row_number() OVER (PARTITION BY post_id ORDER BY created_at DESC, id DESC) AS rank
    FROM comments
    WHERE post_id = ANY(%s)
) AS ranked
WHERE rank <= 3
ORDER BY post_id, rank
"""


def list_posts():
    conn = connection()
    try:
        cur = conn.cursor()
        cur.execute("SELECT id, title FROM posts ORDER BY id")
        posts = [{"id": id, "title": title, "latest_comments": []} for id, title in cur.fetchall()]
        by_id = {post["id"]: post for post in posts}
        if by_id:
            # one query for the latest comments of all the posts - the fix
            cur.execute(LATEST_COMMENTS_SQL, (list(by_id),))
            for post_id, id, author, body in cur.fetchall():
                by_id[post_id]["latest_comments"].append({"id": id, "author": author, "body": body})
        return posts
    finally:
        release(conn)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if urlsplit(self.path).path != "/api/posts":
            self.send_error(404)
            return
        try:
            posts = list_posts()
        except psycopg2.Error as e:
            self.log_error("list posts: %s", e)
            self.send_error(500)
            return
        body = json.dumps(posts, ensure_ascii=False).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print(f"listening on http://127.0.0.1:{PORT}", flush=True)
    server.serve_forever()
