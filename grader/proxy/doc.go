// Package proxy is the grader's tracing PostgreSQL proxy.
//
// A Proxy listens on 127.0.0.1 and stands between the solution and the real
// server. It authenticates the solution with a one-run password, connects
// upstream itself (pgconn, then Hijack) with credentials the solution never
// sees, and relays the wire protocol byte for byte in both directions. On
// the way it ties every server response to the client message that caused
// it and records statements and round trips in a Trace, by the rules in
// DESIGN.md: a statement is one CommandComplete, EmptyQueryResponse or
// ErrorResponse; a round trip is one client burst holding a Query, Sync or
// FunctionCall, answered by ReadyForQuery (or ending in a Flush, answered
// when all it asked for is). The simulated round-trip time is added once
// per round trip, before the burst is forwarded. Per connection it keeps
// prepared statement name → SQL and portal → statement, follows Close,
// DEALLOCATE and DISCARD ALL, and skips what the server skips: after an
// error, everything until Sync (a Query or FunctionCall there gets no
// ReadyForQuery), sent before or after the error reached the client;
// during COPY FROM STDIN, the Sync and Flush the client sends, and the
// message that fails the COPY. A message it cannot read (a Describe with
// no body) still waits in line for the server's answer.
//
// The upstream role's bounds (work_mem, statement_timeout, read-only
// transactions, ...) are the grader's, not the solution's. Of the client's
// startup parameters the proxy forwards only those that shape how values
// are formatted and named: application_name, client_encoding, DateStyle,
// TimeZone, extra_float_digits, search_path and IntervalStyle. The rest,
// options among them, it drops silently rather than refusing: drivers send
// options and settings of their own accord (JDBC, Npgsql, PGOPTIONS in the
// environment), and a solution whose driver did should still run, under
// the role's bounds, rather than fail at connect over something its author
// never wrote.
//
// Nor may a solution raise the bounds once connected. A Query any of whose
// statements, or a Parse whose statement, would SET [SESSION|LOCAL] one of
// work_mem, hash_mem_multiplier, maintenance_work_mem, temp_buffers,
// max_parallel_workers_per_gather, statement_timeout, lock_timeout,
// idle_in_transaction_session_timeout (or sort_mem and vacuum_mem, the old
// names of work_mem and maintenance_work_mem), or any setting named with
// Unicode escapes (U&"..."), or ALTER ROLE or ALTER USER, is
// refused (READ WRITE is not: drivers ask for it, lib/pq's BeginTx among
// them, and the role's grants keep it from writing whatever the mode): none of it is forwarded, and the client gets an error
// (SQLSTATE 42501, "nplus1: the grader does not let a solution change
// work_mem"). The proxy forwards in its place text that does not parse and
// gives the client its own error in place of the server's syntax error: so
// the answer comes in line with whatever the server still owes, a
// transaction block fails as it would have, and after a Parse the server
// skips to Sync itself. The refused statement is recorded as a statement
// with that Error, in its round trip. RESET and DISCARD stay allowed: they
// restore the role's values.
//
// The proxy reads the client's SQL as the server does, or counts what it
// could not read as data: client_encoding is always UTF8 and
// standard_conforming_strings stays on (a SET to anything else is
// refused), so no backslash or multibyte character splits the text apart;
// statements the server ran beyond those the proxy read in a Query count
// as data; SQL PREPARE is refused (drivers prepare with Parse, which the
// proxy reads whole), and a portal over a statement the proxy never saw
// prepared counts as data, as does one whose Bind the server refused or
// skipped (the server keeps the portal of that name it had), or one bound
// while the proxy undid what a refused or skipped message did to the
// statements; a name such a message changed is forgotten, not put back,
// when messages were sent since it (the server may hold another text
// under it). A statement counts at its first row or COPY
// data reaching the client, not only at its completion: a client that
// reads the row it wants and leaves, never sending the Sync that would
// complete it, still ran it.
//
// Every way the server can run something for the client is counted:
//
//   - A fast-path FunctionCall (the protocol's 'F' message: a function
//     called by oid, with no SQL text, e.g. query_to_xml once per row) is a
//     data statement, answered by FunctionCallResponse or ErrorResponse, in
//     a round trip of its own. Its SQL reads `FunctionCall "oid 2170"`: the
//     proxy resolves nothing, and the quoted oid keeps the shapes of two
//     functions apart. Counting is preferred to refusing it: drivers use
//     the fast path for large objects, and the count is exact.
//   - A portal run a few rows at a time (Execute with a row limit, then
//     PortalSuspended) counts at its first PortalSuspended, once, whether
//     it is ever continued, closed or committed; later pieces update that
//     statement's rows, tag and duration.
//   - NoticeResponse messages are counted (Trace.NoticesSince,
//     Trace.Notices): a server-side loop (a DO block, a function) does its
//     per-row work inside one statement, and the notices it raises per row
//     are what shows of it on the wire.
//
// Memory: result rows, CopyData and other bulky messages stream through.
// The proxy reads whole only the messages it must decode: Query, Parse,
// Execute, Describe and Close from the client, Bind and FunctionCall up to
// 1 MiB (beyond, it reads a Bind's portal and statement names or a
// FunctionCall's oid and streams the rest, the values undigested), and
// CommandComplete, ReadyForQuery and the first 64 KiB of an ErrorResponse
// from the server (an error can quote a value of any size; a Statement
// keeps 4 KiB of its message). It
// holds at most 16 MiB of one client message: a longer message it must
// read is refused, and the connection ends with a FATAL error (SQLSTATE
// 54000) naming the limit. Refusing is preferred to keeping a prefix: a
// trace with cut SQL would split and name statements wrongly, and no
// solution to a grading task needs a 16 MiB statement.
package proxy
