# Serves GET /api/posts: every post with its 3 latest comments, as JSON sorted
# by post id, through Rails' ActiveRecord (without the rest of Rails) and
# WEBrick.
#
# It has the N+1 query problem: one query loads the N posts, then
# post.comments...limit(3) in list_posts makes ActiveRecord load each post's
# latest comments with one more query, so 100 posts cost 101 queries and 101
# round trips to the database. Fix it so that the number of queries stays the
# same however many posts there are: load the latest comments of all the
# posts with the posts. The limit is per post: a limit(3) on one query for
# all the posts does not do it, nor does includes of an association whose
# scope has limit(3) (ActiveRecord applies it to all the posts' comments
# together).

require "json"
require "webrick"
require "active_record"

ActiveRecord::Base.establish_connection(ENV.fetch("DATABASE_URL"))
# One connection for the whole server, opened here and kept: WEBrick runs each
# request in a thread of its own, and a connection checked out of the pool
# per request would be pinged first (SELECT 1, every request). Requests take
# turns on it.
ActiveRecord::Base.connection_pool.lock_thread = true
ActiveRecord::Base.connection

class Comment < ActiveRecord::Base
  belongs_to :post
end

class Post < ActiveRecord::Base
  has_many :comments
end

def comment_json(comment)
  # author is nil (JSON null) for an anonymous comment
  { id: comment.id, author: comment.author, body: comment.body }
end

def list_posts
  Post.order(:id).map do |post|
    # post.comments...limit(3) runs one query per post - the N+1 problem
    latest = post.comments.order(created_at: :desc, id: :desc).limit(3)
    { id: post.id, title: post.title, latest_comments: latest.map { |comment| comment_json(comment) } }
  end
end

server = WEBrick::HTTPServer.new(
  BindAddress: "127.0.0.1",
  Port: Integer(ENV.fetch("PORT")),
  AccessLog: [],
  Logger: WEBrick::Log.new($stderr, WEBrick::Log::WARN),
  # WEBrick writes a response's head and body apart: without TCP_NODELAY the
  # body waits for the client's delayed ACK (40 ms) on a kept-alive connection.
  AcceptCallback: ->(sock) { sock.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1) }
)

server.mount_proc "/api/posts" do |req, res|
  raise WEBrick::HTTPStatus::NotFound unless req.request_method == "GET" && req.path == "/api/posts"

  begin
    posts = list_posts
    res.status = 200
    res["Content-Type"] = "application/json"
    res.body = JSON.generate(posts)
  rescue ActiveRecord::ActiveRecordError => e
    warn "list posts: #{e.message}"
    res.status = 500
    res["Content-Type"] = "text/plain"
    res.body = "internal server error\n"
  end
end

trap("TERM") { server.shutdown }
trap("INT") { server.shutdown }
puts "listening on http://127.0.0.1:#{server.config[:Port]}"
$stdout.flush
server.start
