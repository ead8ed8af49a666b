"""Serves GET /api/posts: every post with its 3 latest comments, as JSON sorted
by post id, through SQLAlchemy's ORM (the 1.4 API, which 2.x runs too).

It is the fixed version of the starter. Instead of one query per post for its
latest comments (N+1 queries), Post has a row-limited relationship,
latest_comments, and the query loads it with the posts:
joinedload(Post.latest_comments). The relationship is SQLAlchemy's
documented recipe for a limit per parent: it points at Comment aliased to a
subquery that numbers each post's comments newest first with a window
function (row_number() OVER (PARTITION BY post_id ORDER BY created_at DESC,
id DESC)), and joins only the numbers 1 to 3. SQLAlchemy LEFT OUTER JOINs
that subquery to the posts in the same SELECT, one query however many posts
there are; posts without comments get an empty list. "id DESC" breaks ties
between comments made at the same instant. (selectinload would load the
relationship in a second query, but with at most 500 posts' ids per query:
3 queries for 1000 posts, over this challenge's limit.)
"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from sqlalchemy import Column, DateTime, ForeignKey, Integer, Text, and_, create_engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased, declarative_base, joinedload, relationship

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


# Each post's comments numbered newest first; "id DESC" breaks ties between
# comments made at the same instant.
ranked = select(
    Comment,
    func.row_number()
    .over(partition_by=Comment.post_id, order_by=(Comment.created_at.desc(), Comment.id.desc()))
    .label("rank"),
).subquery()
LatestComment = aliased(Comment, ranked)
# The 3 latest comments of a post: numbers 1 to 3, in order. viewonly: it is
# for reading, never for writing.
Post.latest_comments = relationship(
    LatestComment,
    primaryjoin=and_(LatestComment.post_id == Post.id, ranked.c.rank <= 3),
    order_by=ranked.c.rank,
    viewonly=True,
)


# The engine keeps a pool of connections, so a request does not pay a
# connect; plain reads need no transaction.
engine = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")


def list_posts():
    with Session(engine) as session:
        # joinedload: the latest comments come in the same query, joined -
        # the fix; unique() folds the rows of one post into one Post
        query = select(Post).options(joinedload(Post.latest_comments)).order_by(Post.id)
        posts = session.execute(query).unique().scalars().all()
        return [
            {
                "id": post.id,
                "title": post.title,
                "latest_comments": [
                    {"id": comment.id, "author": comment.author, "body": comment.body}
                    for comment in post.latest_comments
                ],
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
