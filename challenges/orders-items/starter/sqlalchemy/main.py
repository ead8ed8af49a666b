"""Serves GET /api/orders: every order with its items, as JSON sorted by order
id, each order's items sorted by item id, through SQLAlchemy's ORM (the 1.4
API, which 2.x runs too).

It has the N+1 query problem: one query loads the N orders, then reading
order.items in list_orders makes SQLAlchemy lazy-load each order's items with
one more query, so 100 orders cost 101 queries and 101 round trips to the
database. Fix it so that the number of queries stays the same however many
orders there are: tell the query to load the items with the orders (the
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


class Item(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False)
    name = Column(Text, nullable=False)
    quantity = Column(Integer, nullable=False)
    note = Column(Text)  # None (JSON null) when the customer left no note


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    customer = Column(Text, nullable=False)
    # lazy="select": loaded on first access, sorted by item id
    items = relationship(Item, order_by=Item.id)


# The engine keeps a pool of connections, so a request does not pay a
# connect; plain reads need no transaction.
engine = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")


def list_orders():
    with Session(engine) as session:
        orders = session.execute(select(Order).order_by(Order.id)).scalars().all()
        return [
            {
                "id": order.id,
                "customer": order.customer,
                # order.items runs one query per order - the N+1 problem
                "items": [
                    {"id": item.id, "name": item.name, "quantity": item.quantity, "note": item.note}
                    for item in order.items
                ],
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
