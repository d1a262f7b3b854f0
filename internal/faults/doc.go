// Package faults holds fairdraw's named crash points, compiled in only under the build tag
// "faults" (go build -tags faults). Without the tag every function here is a no-op the compiler
// removes, and production binaries carry none of it.
//
// A crash point is a name: "<service>:<operation>:before|after" around each call to Telegram,
// YooKassa, Random.org and drand (WrapTransport), and "commit:<step>:before|after" around each
// commit of a domain transaction (Tracer; the step is named from the queries the transaction
// ran, see steps). With the tag, the process reads:
//
//   - FAIRDRAW_FAULT: the point to crash at; the process sends itself SIGKILL there, so nothing
//     after it runs: no deferred function, no flush, no rollback sent to PostgreSQL.
//   - FAIRDRAW_FAULT_HIT: at which hit of that point (default 1).
//   - FAIRDRAW_FAULT_LOG: a file to which each point reached is appended, one per line, and
//     "crash <point>" just before the kill; the fault matrix test reads it.
package faults
