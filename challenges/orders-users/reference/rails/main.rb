# Serves GET /api/orders: every order with the user who placed it, as JSON
# sorted by order id, through Rails' ActiveRecord (without the rest of Rails)
# and WEBrick.
#
# It is the fixed version of the starter. Instead of letting order.user load
# each order's user with a query of its own (N+1 queries), the query asks for
# the users up front with includes(:user): ActiveRecord loads the orders, then
# all their users in a second query (WHERE users.id IN (...)), two queries
# however many orders there are. (eager_load(:user) would also pass: one
# query, LEFT OUTER JOINing users to orders.)

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

class User < ActiveRecord::Base
end

class Order < ActiveRecord::Base
  belongs_to :user
end

def list_orders
  # includes: the users of all the orders in one more query - the fix
  Order.includes(:user).order(:id).map do |order|
    user = order.user
    { id: order.id, product: order.product, user: { id: user.id, name: user.name, email: user.email } }
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

server.mount_proc "/api/orders" do |req, res|
  raise WEBrick::HTTPStatus::NotFound unless req.request_method == "GET" && req.path == "/api/orders"

  begin
    orders = list_orders
    res.status = 200
    res["Content-Type"] = "application/json"
    res.body = JSON.generate(orders)
  rescue ActiveRecord::ActiveRecordError => e
    warn "list orders: #{e.message}"
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
