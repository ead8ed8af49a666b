-- Schema for the orders-users challenge.
-- Plain SQL, run by the grader as one simple-protocol query.

CREATE TABLE users (
    id    int  PRIMARY KEY,
    name  text NOT NULL,
    email text NOT NULL
);

CREATE TABLE orders (
    id      int  PRIMARY KEY,
    user_id int  NOT NULL REFERENCES users (id),
    product text NOT NULL
);

CREATE INDEX orders_user_id_idx ON orders (user_id);
