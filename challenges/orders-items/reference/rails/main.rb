# Serves GET /api/orders: every order with its items, as JSON sorted by
# order id, each order's items sorted by item id, through Rails' ActiveRecord (without the rest of Rails)
# and WEBrick.
#
# It is the fixed version of the starter. Instead of letting order.items load
# each order's items with a query of its own (N+1 queries), the query asks for
# them up front with includes(:items): ActiveRecord loads the orders, then the
# items of all of them in a second query (WHERE items.order_id IN (...)),
# sorted by the association's order(:id): two queries however many orders
# there are. Orders without items get an empty list.

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

class Item < ActiveRecord::Base
  belongs_to :order
end

class Order < ActiveRecord::Base
  has_many :items, -> { order(:id) } # sorted by item id
end

def list_orders
  # includes: the items of all the orders in one more query - the fix
  Order.includes(:items).order(:id).map do |order|
    items = order.items.map do |item|
      # note is nil (JSON null) when the customer left no note
      { id: item.id, name: item.name, quantity: item.quantity, note: item.note }
    end
    { id: order.id, customer: order.customer, items: items }
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
