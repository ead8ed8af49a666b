# Serves GET /api/posts: every post with the number of its visible comments,
# as JSON, newest first, through Rails' ActiveRecord (without the rest of
# Rails) and WEBrick.
#
# It is the fixed version of the starter. Instead of counting each post's
# comments with a query of its own (N+1 queries), it loads the posts, then
# counts the visible comments of all of them in one query with group.count:
# Comment.where(post_id: ..., hidden: false).group(:post_id).count sends
# SELECT COUNT(*), post_id ... GROUP BY post_id and returns a hash from post
# id to count. Two queries however many posts there are; a post without
# visible comments is not in the hash, and counts 0. (includes(:comments)
# would load every comment only to count them; a counter cache column needs
# a schema change and writes.)

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
  posts = Post.order(published_on: :desc, id: :desc).to_a
  # group.count: the counts of all the posts in one more query - the fix
  counts = Comment.where(post_id: posts.map(&:id), hidden: false).group(:post_id).count
  posts.map do |post|
    {
      id: post.id,
      title: post.title,
      author: post.author, # nil (JSON null) for a guest post
      published_on: post.published_on.iso8601,
      comment_count: counts.fetch(post.id, 0)
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
