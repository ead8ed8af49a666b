"""Serves GET /api/orders: every order with its items and each item's product,
as JSON sorted by order id, each order's items sorted by item id, through
SQLAlchemy's ORM (the 1.4 API, which 2.x runs too).

It has the N+1 query problem twice over: one query loads the N orders,
reading order.items in list_orders makes SQLAlchemy lazy-load each order's
items with one more query, and reading item.product lazy-loads each item's
product (each product the session has not loaded yet) with one more again.
50 orders of 3 items each, of 30 products, cost some 80 queries, each a
round trip to the database, and more as the shop grows. Fix it so that the number of queries
stays the same however many orders and items there are: tell the query to
load the items, and their products, with the orders (the loader options of
sqlalchemy.orm, which chain).
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


class Product(Base):
    __tablename__ = "products"
    id = Column(Integer, primary_key=True)
    name = Column(Text, nullable=False)
    brand = Column(Text)  # None (JSON null) for an unbranded product
    price_cents = Column(Integer, nullable=False)


class Item(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False)
    product_id = Column(Integer, ForeignKey("products.id"), nullable=False)
    quantity = Column(Integer, nullable=False)
    product = relationship(Product)  # lazy="select": loaded on first access


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    customer = Column(Text, nullable=False)
    # lazy="select": loaded on first access, sorted by item id
    items = relationship(Item, order_by=Item.id)


# The engine keeps a pool of connections, so a request does not pay a
# connect; plain reads need no transaction.
engine = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")


def item_json(item):
    product = item.product  # one query per item - the second, nested N+1
    return {
        "id": item.id,
        "quantity": item.quantity,
        "product": {"id": product.id, "name": product.name, "brand": product.brand, "price_cents": product.price_cents},
    }


def list_orders():
    with Session(engine) as session:
        orders = session.execute(select(Order).order_by(Order.id)).scalars().all()
        return [
            # order.items runs one query per order - the first N+1
            {"id": order.id, "customer": order.customer, "items": [item_json(item) for item in order.items]}
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
