-- Schema for the posts-comment-counts challenge.
-- Plain SQL, run by the grader as one simple-protocol query.

CREATE TABLE posts (
    id           int  PRIMARY KEY,
    title        text NOT NULL,
    author       text,            -- NULL for a guest post
    published_on date NOT NULL
);

CREATE TABLE comments (
    id      int     PRIMARY KEY,
    post_id int     NOT NULL REFERENCES posts (id),
    body    text    NOT NULL,
    hidden  boolean NOT NULL DEFAULT false  -- hidden by a moderator: not counted
);

CREATE INDEX posts_published_on_idx ON posts (published_on);
CREATE INDEX comments_post_id_idx ON comments (post_id);
