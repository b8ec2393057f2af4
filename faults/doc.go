// Package faults is sluice's fault and hostile-input suite: it drives sluice
// and Debian's nginx (the oracle) with misbehaving clients — slowloris,
// stalled bodies, pipelined floods, request-smuggling vectors, absurd header
// counts and sizes, Expect games — and compares what each server answers,
// whether it closes the connection, and what it writes to its error and
// access logs. It also reloads and stops sluice under load and checks that
// no request fails and that nothing leaks (goroutines, descriptors, temp
// files).
//
// The package holds only test helpers: a scripted raw client (Script,
// Exchange), the normalised record of an answer (Outcome) with a readable
// diff, log tailing and normalisation (LogTail), a leak baseline (Baseline)
// and a keepalive load generator (Load). The cases and the differential
// runner live in the tests; docs/reliability.md holds the matrix of cases and
// outcomes they regenerate (go test ./faults -run TestHostileClients -update).
package faults
