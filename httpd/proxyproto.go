package httpd

import (
	"strconv"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/proxyproto"
)

// readProxyProtocol takes the PROXY protocol header off the start of the
// connection's first read, as nginx's ngx_http_wait_request_handler does
// on a "listen ... proxy_protocol" address: the header must be whole in
// that read. A header that cannot be read is logged (at the error level,
// " while reading PROXY protocol": c.ppPending is still set) and the
// connection closed: false.
func (c *conn) readProxyProtocol() bool {
	h, n, err := proxyproto.Parse(c.in[c.pos:c.last])
	if err != nil {
		if e := err.(*proxyproto.Error); e.Log != "" {
			c.cf.Cycle.Log.Logf(errlog.Error, c, nil, "%s", e.Log)
		}
		return false
	}
	c.pos += n
	if h.Known {
		c.pp = &h
	}
	return true
}

// ProxyProtocol returns what the connection's PROXY protocol header said,
// or nil when the address does not read one or the header carried no
// addresses (realip's "real_ip_header proxy_protocol").
func (r *Request) ProxyProtocol() *proxyproto.Header { return r.conn.pp }

// proxyProtocolVars are $proxy_protocol_addr, $proxy_protocol_port,
// $proxy_protocol_server_addr and $proxy_protocol_server_port: not found
// without a header, and an empty port for port 0, as nginx's.
func proxyProtocolVars(add func(string, VarGetter, VarFlags)) {
	addr := func(dst bool) VarGetter {
		return func(r *Request, _ string, _ int) (string, bool) {
			pp := r.conn.pp
			if pp == nil {
				return "", false
			}
			if dst {
				return pp.DstAddr, true
			}
			return pp.SrcAddr, true
		}
	}
	port := func(dst bool) VarGetter {
		return func(r *Request, _ string, _ int) (string, bool) {
			pp := r.conn.pp
			if pp == nil {
				return "", false
			}
			p := pp.SrcPort
			if dst {
				p = pp.DstPort
			}
			if p == 0 {
				return "", true
			}
			return strconv.Itoa(p), true
		}
	}
	add("proxy_protocol_addr", addr(false), 0)
	add("proxy_protocol_port", port(false), 0)
	add("proxy_protocol_server_addr", addr(true), 0)
	add("proxy_protocol_server_port", port(true), 0)
}

// proxyProtocolTLV is $proxy_protocol_tlv_NAME (nginx 1.23.2): a TLV of
// the header by name or type. nginx fails the evaluation of a malformed
// TLV; here it is logged and not found.
func proxyProtocolTLV(r *Request, name string, _ int) (string, bool) {
	v, ok, log := r.conn.pp.TLV(name[len("proxy_protocol_tlv_"):])
	if log != "" {
		r.Log().Logf(errlog.Error, r, nil, "%s", log)
	}
	return v, ok
}
