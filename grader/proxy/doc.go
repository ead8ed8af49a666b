// Package proxy is the grader's tracing PostgreSQL proxy.
//
// A Proxy listens on 127.0.0.1 and stands between the solution and the real
// server. It authenticates the solution with a one-run password, connects
// upstream itself (pgconn, then Hijack) with credentials the solution never
// sees, and relays the wire protocol byte for byte in both directions. On
// the way it ties every server response to the client message that caused
// it and records statements and round trips in a Trace, by the rules in
// DESIGN.md: a statement is one CommandComplete, EmptyQueryResponse or
// ErrorResponse; a round trip is one client burst holding a Query or Sync,
// answered by ReadyForQuery (or ending in a Flush, answered when all it
// asked for is). The simulated round-trip time is added once per round
// trip, before the burst is forwarded. Per connection it keeps prepared
// statement name → SQL and portal → statement, follows Close, DEALLOCATE
// and DISCARD ALL, counts a portal run in pieces (PortalSuspended) once, and
// skips what the server skips after an error until Sync.
//
// Result rows stream through: the proxy reads whole only the messages it
// must decode (Query, Parse, Bind, Execute, Describe, Close from the client;
// CommandComplete, ErrorResponse, ReadyForQuery from the server).
package proxy
