"""Serves GET /api/orders: every order with the user who placed it, as JSON
sorted by order id, through SQLAlchemy's ORM (the 1.4 API, which 2.x runs too).

It is the fixed version of the starter. Instead of letting order.user
lazy-load each order's user with a query of its own (N+1 queries), the query
asks for the users up front with joinedload(Order.user): SQLAlchemy joins
users to orders in the same SELECT, so a request costs one query however
many orders there are. (selectinload(Order.user) would also pass: a second
query, WHERE users.id IN (...), for all the users at once.)
"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from sqlalchemy import Column, ForeignKey, Integer, Text, create_engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, declarative_base, joinedload, relationship

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
        # joinedload: the users come in the same query, joined - the fix
        query = select(Order).options(joinedload(Order.user)).order_by(Order.id)
        orders = session.execute(query).scalars().all()
        return [
            {
                "id": order.id,
                "product": order.product,
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
