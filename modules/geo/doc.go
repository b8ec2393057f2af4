// Package geo is nginx's ngx_http_geo_module: the "geo" block, which
// defines a variable whose value depends on the client's IP address.
//
//	geo $remote_addr $geo {
//	    default        ZZ;
//	    include        conf/geo.conf;
//	    delete         127.0.0.0/16;
//	    proxy          192.168.100.0/24;
//	    proxy          2001:0db8::/32;
//
//	    127.0.0.0/24   US;
//	    127.0.0.1/32   RU;
//	    10.1.0.0/16    RU;
//	    192.168.1.0/24 UK;
//	}
//
// The address is the client's (after realip), or, with the optional first
// argument, the value of a variable ("geo $arg_ip $geo"), read as
// ngx_parse_addr reads it (a dotted quad or an IPv6 address, no port).
// When that value is not an address, or the client is on a UNIX-domain
// socket, 255.255.255.255 is looked up: the default, unless a network holds
// it (e.g. "255.255.255.255 x;" or "0.0.0.0/0"). IPv4-mapped IPv6
// addresses are looked up among the IPv4 networks.
//
// Lines of the block:
//
//   - "address/mask value": an IPv4 or IPv6 network (a lone address is a
//     /32 or /128); the most specific network holding the address wins.
//     Address bits beyond the mask are cleared with the warning "low
//     address bits of ... are meaningless". A network given twice keeps the
//     last value with the warning "duplicate network "N", value: "V", old
//     value: "O"" (O is the value the network's first address found then,
//     as in nginx).
//   - "default value": the value for both families (0.0.0.0/0 and ::/0);
//     without it the value is empty.
//   - "delete network": removes a network added before ("no network "N"
//     to delete" when there is none).
//   - "ranges": must be the first line; the entries are then IPv4 ranges
//     "a.b.c.d-e.f.g.h value" (and "delete a.b.c.d-e.f.g.h"). A range inside
//     an earlier one splits it; one that starts or ends with it shifts it;
//     the same range replaces the value with a warning; any other overlap is
//     an error ("range "R" overlaps "a.b.c.d-a.b.e.f""). As in nginx the
//     checks are made per /16 block, so a range crossing blocks is handled
//     piece by piece. Only IPv4 addresses are looked up in ranges; others
//     get the default.
//   - "include file": lines from another file (globs allowed).
//   - "proxy network": addresses trusted to forward the client's address:
//     when the address is in one of them, X-Forwarded-For's last address is
//     taken instead, as ngx_http_get_forwarded_addr reads it; with
//     "proxy_recursive", the last address not from a trusted proxy.
//   - "volatile": the value is computed on every use instead of once per
//     request.
//
// Values are plain strings (no variables), as in nginx. The lookup is a
// binary trie per family (nginx's radix tree) or one sorted table of
// ranges searched by bisection; neither allocates.
//
// Differences from nginx: nginx's binary range bases (a file.bin beside an
// included file of more than 100,000 ranges, written and read back by
// nginx) are neither written nor read; the text file is always used.
//
// Directives
//
//	Syntax:  geo [$address] $variable { ... }
//	Context: http
package geo
