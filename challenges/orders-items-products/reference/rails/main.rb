# Serves GET /api/orders: every order with its items and each item's product,
# as JSON sorted by order id, each order's items sorted by item id, through
# Rails' ActiveRecord (without the rest of Rails) and WEBrick.
#
# It is the fixed version of the starter. Instead of letting order.items load
# each order's items, and item.product each item's product, with a query of
# its own (1 + N + N*M queries), the query asks for both levels up front with
# includes(items: :product): ActiveRecord loads the orders, then the items of
# all of them in a second query (WHERE items.order_id IN (...)), sorted by
# the association's order(:id), then the products of all the items in a
# third (WHERE products.id IN (...)): three queries however many orders and
# items there are. Orders without items get an empty list.

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
  product = item.product
  {
    id: item.id,
    quantity: item.quantity,
    # brand is nil (JSON null) for an unbranded product
    product: { id: product.id, name: product.name, brand: product.brand, price_cents: product.price_cents }
  }
end

def list_orders
  # includes, nested: the items of all the orders in one more query, and
  # the products of all the items in another - the fix
  Order.includes(items: :product).order(:id).map do |order|
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
