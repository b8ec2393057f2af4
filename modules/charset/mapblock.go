package charset

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/ngxutf8"
)

// setMap is the charset_map block (ngx_http_charset_map_block): its lines
// are "XX YY;" for two single-byte charsets, "XX UTF8HEX;" when the second
// charset is utf-8 (the character's UTF-8 bytes in hex, at most three).
func setMap(c *conf.Cmd) error {
	mc := c.Conf.(*mainConf)
	srcName, dstName := c.Arg(0), c.Arg(1)
	src, dst := mc.add(srcName), mc.add(dstName)
	if src == dst {
		return c.Errorf("\"charset_map\" between the same charsets \"%s\" and \"%s\"", srcName, dstName)
	}
	if ascii.EqualFold(srcName, "utf-8") {
		return c.Errorf("\"charset_map\" with \"utf-8\" charset should be given in the second column")
	}
	for _, m := range mc.maps {
		if m.src == src && m.dst == dst || m.src == dst && m.dst == src {
			return c.Errorf("duplicate \"charset_map\" between \"%s\" and \"%s\"", srcName, dstName)
		}
	}
	m := newMapPair(src, dst, mc.charsets[dst].utf8)
	mc.maps = append(mc.maps, m)
	return c.Loader.Walk(&conf.Scope{Context: c.Scope.Context, Parent: c.Scope, Data: c.Scope.Data,
		Handler: func(e *conf.Cmd) error {
			if len(e.Args) != 1 {
				return e.Errorf("invalid parameters number")
			}
			if bad, ok := m.set(e.Name, e.Arg(0)); !ok {
				return e.Errorf("invalid value \"%s\"", bad)
			}
			return nil
		}}, c.Block)
}

// newMapPair starts the tables of a map: ASCII maps to itself, every
// other byte to '?' until a line says otherwise.
func newMapPair(src, dst int, utf8 bool) *mapPair {
	m := &mapPair{src: src, dst: dst}
	if utf8 {
		to := new([256][]byte)
		page := new([256]byte)
		for i := range 256 {
			if i < 0x80 {
				to[i] = []byte{byte(i)}
				page[i] = byte(i)
			} else {
				to[i] = []byte{'?'}
			}
		}
		from := new([256]*[256]byte)
		from[0] = page
		m.src2dst.toUTF8, m.dst2src.fromUTF8 = to, from
		return m
	}
	s2d, d2s := new([256]byte), new([256]byte)
	for i := range 256 {
		c := byte(i)
		if i >= 0x80 {
			c = '?'
		}
		s2d[i], d2s[i] = c, c
	}
	m.src2dst.single, m.dst2src.single = s2d, d2s
	return m
}

// set applies one line of the block (ngx_http_charset_map); for a bad
// line it returns the value at fault and false.
func (m *mapPair) set(from, to string) (string, bool) {
	s, ok := hexByte(from)
	if !ok {
		return from, false
	}
	if m.src2dst.single != nil {
		d, ok := hexByte(to)
		if !ok {
			return to, false
		}
		m.src2dst.single[s], m.dst2src.single[d] = d, s
		return "", true
	}
	if len(to)/2 > utfLen-1 || len(to) == 0 || len(to)%2 != 0 {
		return to, false
	}
	seq := make([]byte, 0, len(to)/2)
	for i := 0; i < len(to); i += 2 {
		b, ok := hexByte(to[i : i+2])
		if !ok {
			return to, false
		}
		seq = append(seq, b)
	}
	n, _ := ngxutf8.Decode(seq)
	if n > 0xffff {
		return to, false
	}
	m.src2dst.toUTF8[s] = seq
	page := m.dst2src.fromUTF8[n>>8]
	if page == nil {
		page = new([256]byte)
		m.dst2src.fromUTF8[n>>8] = page
	}
	page[n&0xff] = s
	return "", true
}

// hexByte parses hexadecimal digits (ngx_hextoi) worth at most 255.
func hexByte(s string) (byte, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		switch {
		case s[i] >= '0' && s[i] <= '9':
			n = n*16 + int(s[i]-'0')
		case c >= 'a' && c <= 'f':
			n = n*16 + int(c-'a'+10)
		default:
			return 0, false
		}
		if n > 255 {
			return 0, false
		}
	}
	return byte(n), true
}
