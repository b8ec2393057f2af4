// Package balancer is sluice's upstream{} groups and load balancers: the
// Go form of nginx's ngx_http_upstream block and server directive,
// ngx_http_upstream_add, the round-robin peer code and the hash, ip_hash,
// least_conn, random, keepalive and zone modules.
//
// A Group is an upstream.Target. Groups come from two places, as in nginx:
//
//   - an "upstream NAME { server ...; }" block (an explicit group), and
//   - a pass directive naming a host that no upstream block declares
//     (proxy_pass http://backend:8080): Add registers an implicit group for
//     that host and port, resolved when the http block is complete, whose
//     peers are the host's addresses in round robin.
//
// Add is what modules' pass directives call; references to a block declared
// later in the file resolve to it (the lookup is by name, at directive time,
// and groups are initialised at the end of the http block). Find is the
// run-time lookup for pass directives with variables, and NewResolved builds
// a one-off target for a name resolved at run time.
//
// # Balancing
//
// Every method is nginx's algorithm, step for step, so that a configuration
// spreads its requests as nginx spreads them:
//
//   - round robin: smooth weighted (current_weight / effective_weight);
//   - hash KEY: crc32-based with up to 20 rehashes, then round robin;
//   - hash KEY consistent: ketama, 160 points per weight unit, placed as
//     nginx places them, so keys map to the same servers as nginx;
//   - ip_hash: first three octets of an IPv4 address, all of an IPv6 one;
//   - least_conn: fewest active connections relative to weight, ties by
//     round robin;
//   - random [two [least_conn]].
//
// A request never retries a peer it already tried; it may try as many
// peers as the group has live ones (primary plus backup). Backup servers
// are used once no primary is available. A peer that failed max_fails times
// within fail_timeout is skipped until fail_timeout passes; "down" peers are
// never used; a peer with max_conns active connections is skipped. When no
// peer is available Pick answers upstream.ErrNoLive (the framework logs "no
// live upstreams"). A group with a single peer ignores failures, as nginx
// does.
//
// # State
//
// Peer state (weights, failures, connection counts, counters for a status
// page) lives in the Group and is shared by every request of the process:
// sluice is one process, so every group behaves as if it were in a shared
// memory zone. The "zone" directive is accepted and validated like nginx's,
// but changes nothing. A reload builds new groups with fresh state.
//
// # Run-time resolution
//
// A server marked "resolve" (in a group with a zone, and a resolver in the
// block or at http level) is resolved while sluice runs, as nginx's zone
// module does: a timer re-resolves it every valid period (the resolver's
// valid=, else 10s: Go's resolver does not report TTLs), CNAMEs are
// followed, "service=" uses SRV records (their weights, and lower
// priorities as backup servers). A name that no longer exists loses its
// peers; other DNS failures keep the last answer. A reload starts from the
// previous configuration's answers. Peers that survive a change keep their
// state. Go's resolver reads /etc/hosts before asking the DNS servers;
// nginx's never does.
//
// # Keepalive
//
// Every explicit group gets an upstream.Pool of idle connections: "keepalive
// N" sets its size, and without the directive the pool keeps 32, as nginx
// 1.29+ does ("keepalive 0" disables it). Implicit groups keep none. The
// "local" parameter is accepted, but the pool is shared by every location
// using the group (nginx keeps a local pool's connections per location).
package balancer
