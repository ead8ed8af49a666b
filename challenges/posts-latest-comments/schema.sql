-- Schema for the posts-latest-comments challenge.
-- Plain SQL, run by the grader as one simple-protocol query.

CREATE TABLE posts (
    id    int  PRIMARY KEY,
    title text NOT NULL
);

CREATE TABLE comments (
    id         int         PRIMARY KEY,
    post_id    int         NOT NULL REFERENCES posts (id),
    author     text,                   -- NULL for an anonymous comment
    body       text        NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE INDEX comments_post_id_created_at_idx ON comments (post_id, created_at);
