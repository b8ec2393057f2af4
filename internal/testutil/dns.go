package testutil

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// DNSRecord is a record a DNS server answers with: an address (an A or
// AAAA record by its family) or, when CNAME is set, a CNAME to it.
type DNSRecord struct {
	Addr  string
	CNAME string
	TTL   uint32
}

// DNSReply is a DNS server's answer to one query: its response code and
// records. Mute sends no answer at all.
type DNSReply struct {
	Rcode   byte
	Records []DNSRecord
	Mute    bool
}

// DNS is a UDP DNS server on loopback that answers each query with its
// handler's reply and counts the queries by name and type.
type DNS struct {
	// Addr is the server's address.
	Addr   string
	mu     sync.Mutex
	counts map[string]int
}

// StartDNS starts a DNS server answering with handle(name, qtype), the
// name as asked (labels joined by dots), until the test ends.
func StartDNS(t testing.TB, handle func(name string, qtype uint16) DNSReply) *DNS {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	d := &DNS{Addr: pc.LocalAddr().String(), counts: map[string]int{}}
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := d.answer(buf[:n], handle); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	return d
}

// Count returns how many queries of type qtype for name came.
func (d *DNS) Count(name string, qtype uint16) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.counts[name+"/"+strconv.Itoa(int(qtype))]
}

// answer builds the response to query q; nil sends none.
func (d *DNS) answer(q []byte, handle func(string, uint16) DNSReply) []byte {
	off, labels := 12, []string(nil)
	for off < len(q) && q[off] != 0 {
		l := int(q[off])
		if off+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[off+1:off+1+l]))
		off += 1 + l
	}
	if off+5 > len(q) {
		return nil
	}
	name := strings.Join(labels, ".")
	qtype := uint16(q[off+1])<<8 | uint16(q[off+2])
	d.mu.Lock()
	d.counts[name+"/"+strconv.Itoa(int(qtype))]++
	d.mu.Unlock()
	reply := handle(name, qtype)
	if reply.Mute {
		return nil
	}
	resp := append([]byte(nil), q[:off+5]...)
	resp[2], resp[3] = 0x81, 0x80|reply.Rcode
	resp[6], resp[7] = 0, byte(len(reply.Records))
	for _, r := range reply.Records {
		var typ uint16
		var data []byte
		if r.CNAME != "" {
			typ, data = 5, AppendDNSName(nil, r.CNAME)
		} else {
			a := netip.MustParseAddr(r.Addr)
			typ, data = 1, a.AsSlice()
			if a.Is6() {
				typ = 28
			}
		}
		// the owner is the question's name (a pointer to offset 12)
		resp = append(resp, 0xc0, 0x0c, byte(typ>>8), byte(typ), 0, 1,
			byte(r.TTL>>24), byte(r.TTL>>16), byte(r.TTL>>8), byte(r.TTL), byte(len(data)>>8), byte(len(data)))
		resp = append(resp, data...)
	}
	return resp
}

// AppendDNSName appends name in DNS wire format (length-prefixed labels,
// then a zero byte).
func AppendDNSName(b []byte, name string) []byte {
	for _, l := range strings.Split(name, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}
