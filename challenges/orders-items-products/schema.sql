-- Schema for the orders-items-products challenge.
-- Plain SQL, run by the grader as one simple-protocol query.

CREATE TABLE products (
    id          int  PRIMARY KEY,
    name        text NOT NULL,
    brand       text,            -- NULL for unbranded products
    price_cents int  NOT NULL CHECK (price_cents >= 0)
);

CREATE TABLE orders (
    id       int  PRIMARY KEY,
    customer text NOT NULL
);

CREATE TABLE items (
    id         int PRIMARY KEY,
    order_id   int NOT NULL REFERENCES orders (id),
    product_id int NOT NULL REFERENCES products (id),
    quantity   int NOT NULL CHECK (quantity > 0)
);

CREATE INDEX items_order_id_idx ON items (order_id);
CREATE INDEX items_product_id_idx ON items (product_id);
