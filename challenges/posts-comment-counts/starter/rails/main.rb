# Serves GET /api/posts: every post with the number of its visible comments,
# as JSON, newest first, through Rails' ActiveRecord (without the rest of
# Rails) and WEBrick.
#
# It has the N+1 query problem: one query loads the N posts, then
# post.comments.where(hidden: false).count in list_posts makes ActiveRecord
# count each post's comments with one more query, so 100 posts cost 101
# queries and 101 round trips to the database. Fix it so that the number of
# queries stays the same however many posts there are: count the comments of
# all the posts at once.

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

def list_posts
  Post.order(published_on: :desc, id: :desc).map do |post|
    {
      id: post.id,
      title: post.title,
      author: post.author, # nil (JSON null) for a guest post
      published_on: post.published_on.iso8601,
      # post.comments...count runs one query per post - the N+1 problem
      comment_count: post.comments.where(hidden: false).count
    }
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
