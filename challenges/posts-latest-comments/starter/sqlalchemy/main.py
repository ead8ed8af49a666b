"""Serves GET /api/posts: every post with its 3 latest comments, as JSON sorted
by post id, through SQLAlchemy's ORM (the 1.4 API, which 2.x runs too).

It has the N+1 query problem: one query loads the N posts, then the loop in
list_posts runs one more query per post for its latest comments (LIMIT 3),
so 100 posts cost 101 queries and 101 round trips to the database. Fix it so
that the number of queries stays the same however many posts there are:
load the latest comments of all the posts with the posts. The limit is per
post: a plain limit(3) on one query for all the posts does not do it.
"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from sqlalchemy import Column, DateTime, ForeignKey, Integer, Text, create_engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, declarative_base

# SQLAlchemy names the PostgreSQL dialect "postgresql", not "postgres".
DATABASE_URL = os.environ["DATABASE_URL"].replace("postgres://", "postgresql+psycopg2://", 1)
PORT = int(os.environ["PORT"])

Base = declarative_base()


class Post(Base):
    __tablename__ = "posts"
    id = Column(Integer, primary_key=True)
    title = Column(Text, nullable=False)


class Comment(Base):
    __tablename__ = "comments"
    id = Column(Integer, primary_key=True)
    post_id = Column(Integer, ForeignKey("posts.id"), nullable=False)
    author = Column(Text)  # None (JSON null) for an anonymous comment
    body = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


# The engine keeps a pool of connections, so a request does not pay a
# connect; plain reads need no transaction.
engine = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")


def list_posts():
    with Session(engine) as session:
        posts = session.execute(select(Post).order_by(Post.id)).scalars().all()
        result = []
        for post in posts:
            # one extra query per post - the N+1 problem
            latest = (
                select(Comment)
                .where(Comment.post_id == post.id)
                .order_by(Comment.created_at.desc(), Comment.id.desc())
                .limit(3)
            )
            comments = session.execute(latest).scalars()
            result.append({
                "id": post.id,
                "title": post.title,
                "latest_comments": [
                    {"id": comment.id, "author": comment.author, "body": comment.body} for comment in comments
                ],
            })
        return result


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if urlsplit(self.path).path != "/api/posts":
            self.send_error(404)
            return
        try:
            posts = list_posts()
        except SQLAlchemyError as e:
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
