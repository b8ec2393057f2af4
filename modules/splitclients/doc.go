// Package splitclients is nginx's ngx_http_split_clients_module: the
// "split_clients" block, which defines a variable for A/B testing.
//
//	split_clients "${remote_addr}AAA" $variant {
//	    0.5%  .one;
//	    2.0%  .two;
//	    *     "";
//	}
//
// The string (a value with variables) is hashed with MurmurHash2 exactly as
// nginx's ngx_murmur_hash2, and the 32-bit hash picks the part whose
// share of the range it falls in, in the order written: with the example,
// hashes below 0.5% of 2^32-1 get ".one", the next 2% ".two", the rest "".
// So a client lands in the same part as with nginx. Percentages have at
// most two decimals ("33.33%"); "*" takes the rest; a hash beyond every
// part (parts summing to less than 100% and no "*") gives an empty value.
//
// Errors as nginx's: "invalid percent value "X"" (not a number followed by
// "%", more than two decimals, or 0%), and "percent total is greater than
// 100%" at the end of the block. Like nginx, the block has no "include"
// (it is read as a percentage), a line's words after the second are
// ignored; a line with a percentage alone gets an empty value, where
// nginx reads a stale word from its argument array.
//
// Directives
//
//	Syntax:  split_clients string $variable { ... }
//	Context: http
package splitclients
