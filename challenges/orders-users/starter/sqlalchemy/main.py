"""Serves GET /api/orders: every order with the user who placed it, as JSON
sorted by order id, through SQLAlchemy's ORM (the 1.4 API, which 2.x runs too).

It has the N+1 query problem: one query loads the N orders, then reading
order.user in list_orders makes SQLAlchemy lazy-load the order's user with
one more query (for each user the session has not loaded yet), so 100
orders cost dozens of queries, each a round trip to the database, and more
as the shop grows. Fix it so that the number of queries stays the same however many
orders there are: tell the query to load the users with the orders (the
loader options of sqlalchemy.orm).
"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from sqlalchemy import Column, ForeignKey, Integer, Text, create_engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, declarative_base, relationship

# SQLAlchemy names the PostgreSQL dialect "postgresql", not "postgres".
DATABASE_URL = os.environ["DATABASE_URL"].replace("postgres://", "postgresql+psycopg2://", 1)
PORT = int(os.environ["PORT"])

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(Text, nullable=False)
    email = Column(Text, nullable=False)


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"), nullable=False)
    product = Column(Text, nullable=False)
    user = relationship(User)  # lazy="select": loaded on first access


# The engine keeps a pool of connections, so a request does not pay a
# connect; plain reads need no transaction.
engine = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")


def list_orders():
    with Session(engine) as session:
        orders = session.execute(select(Order).order_by(Order.id)).scalars().all()
        return [
            {
                "id": order.id,
                "product": order.product,
                # order.user runs one query per order - the N+1 problem
                "user": {"id": order.user.id, "name": order.user.name, "email": order.user.email},
            }
            for order in orders
        ]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if urlsplit(self.path).path != "/api/orders":
            self.send_error(404)
            return
        try:
            orders = list_orders()
        except SQLAlchemyError as e:
            self.log_error("list orders: %s", e)
            self.send_error(500)
            return
        body = json.dumps(orders, ensure_ascii=False).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print(f"listening on http://127.0.0.1:{PORT}", flush=True)
    server.serve_forever()
