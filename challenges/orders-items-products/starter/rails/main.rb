# Serves GET /api/orders: every order with its items and each item's product,
# as JSON sorted by order id, each order's items sorted by item id, through
# Rails' ActiveRecord (without the rest of Rails) and WEBrick.
#
# It has the N+1 query problem twice over: one query loads the N orders,
# reading order.items in list_orders makes ActiveRecord load each order's
# items with one more query, and reading item.product each item's product
# with one more again. 50 orders of 3 items each cost 1 + 50 + 150 = 201
# queries, each a round trip to the database. Fix it so that the number of
# queries stays the same however many orders and items there are: tell the
# query to load the items, and their products, with the orders.

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

class Product < ActiveRecord::Base
end

class Item < ActiveRecord::Base
  belongs_to :order
  belongs_to :product
end

class Order < ActiveRecord::Base
  has_many :items, -> { order(:id) } # sorted by item id
end

def item_json(item)
  product = item.product # one query per item - the second, nested N+1
  {
    id: item.id,
    quantity: item.quantity,
    # brand is nil (JSON null) for an unbranded product
    product: { id: product.id, name: product.name, brand: product.brand, price_cents: product.price_cents }
  }
end

def list_orders
  Order.order(:id).map do |order|
    # order.items runs one query per order - the first N+1
    { id: order.id, customer: order.customer, items: order.items.map { |item| item_json(item) } }
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
