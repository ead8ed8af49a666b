"""Serves GET /api/posts: every post with the number of its visible comments,
as JSON, newest first, through SQLAlchemy's ORM (the 1.4 API, which 2.x runs
too).

It has the N+1 query problem: one query loads the N posts, then reading
post.comments in list_posts makes SQLAlchemy lazy-load each post's comments
with one more query, only to count them, so 100 posts cost 101 queries and
101 round trips to the database. Fix it so that the number of queries stays
the same however many posts there are: count the comments in the database,
for all the posts at once.
"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, Text, create_engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, declarative_base, relationship

# SQLAlchemy names the PostgreSQL dialect "postgresql", not "postgres".
DATABASE_URL = os.environ["DATABASE_URL"].replace("postgres://", "postgresql+psycopg2://", 1)
PORT = int(os.environ["PORT"])

Base = declarative_base()


class Comment(Base):
    __tablename__ = "comments"
    id = Column(Integer, primary_key=True)
    post_id = Column(Integer, ForeignKey("posts.id"), nullable=False)
    body = Column(Text, nullable=False)
    hidden = Column(Boolean, nullable=False)  # hidden by a moderator: not counted


class Post(Base):
    __tablename__ = "posts"
    id = Column(Integer, primary_key=True)
    title = Column(Text, nullable=False)
    author = Column(Text)  # None (JSON null) for a guest post
    published_on = Column(Date, nullable=False)
    comments = relationship(Comment)  # lazy="select": loaded on first access


# The engine keeps a pool of connections, so a request does not pay a
# connect; plain reads need no transaction.
engine = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")


def list_posts():
    with Session(engine) as session:
        query = select(Post).order_by(Post.published_on.desc(), Post.id.desc())
        posts = session.execute(query).scalars().all()
        return [
            {
                "id": post.id,
                "title": post.title,
                "author": post.author,
                "published_on": post.published_on.isoformat(),
                # post.comments runs one query per post - the N+1 problem
                "comment_count": sum(1 for comment in post.comments if not comment.hidden),
            }
            for post in posts
        ]


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
