# Serves GET /api/posts: every post with its 3 latest comments, as JSON sorted
# by post id, through Rails' ActiveRecord (without the rest of Rails) and
# WEBrick.
#
# It is the fixed version of the starter. Instead of one query per post for
# its latest comments (N+1 queries), Post has an association of its latest
# comments, and the query loads it with the posts: includes(:latest_comments)
# loads the posts, then the latest comments of all of them in a second query
# (WHERE comments.post_id IN (...)), two queries however many posts there
# are. The limit is per post, which an association's scope cannot say with
# limit(3) (includes would apply it to all the posts' comments together), so
# the scope's condition is a SQL fragment, LATEST_THREE: a comment is kept if
# it is among the 3 latest of its own post. "id DESC" breaks ties between
# comments made at the same instant.

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

# Keeps the comments that are among the 3 latest of their post: a window
# function numbers each post's comments, newest first, and the condition
# keeps numbers 1 to 3. The subquery does not refer to the outer query, so
# PostgreSQL runs it once, not once per comment.
LATEST_THREE = <<~SQL
  comments.id IN (
    SELECT id FROM (
      SELECT id, row_number() OVER (PARTITION BY post_id ORDER BY created_at DESC, id DESC) AS rank
      FROM comments
    ) AS ranked
    WHERE rank <= 3)
SQL

class Post < ActiveRecord::Base
  has_many :comments
  has_many :latest_comments, -> { where(LATEST_THREE).order(created_at: :desc, id: :desc) }, class_name: "Comment"
end

def comment_json(comment)
  # author is nil (JSON null) for an anonymous comment
  { id: comment.id, author: comment.author, body: comment.body }
end

def list_posts
  # includes: the latest comments of all the posts in one more query - the fix
  Post.includes(:latest_comments).order(:id).map do |post|
    { id: post.id, title: post.title, latest_comments: post.latest_comments.map { |comment| comment_json(comment) } }
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
