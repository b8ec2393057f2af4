package http2

import (
	"errors"
	"strings"
	"testing"
)

func TestReadFrame(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		max  uint32
		want FrameHeader
		n    int
		err  error
	}{
		{name: "empty", in: nil, max: 16384, err: ErrNeedMore},
		{name: "header only", in: AppendFrameHeader(nil, 4, FrameData, 0, 1), max: 16384, want: FrameHeader{Length: 4, Type: FrameData, StreamID: 1}, err: ErrNeedMore},
		{name: "ping", in: AppendPingAck(nil, []byte("12345678")), max: 16384, want: FrameHeader{Length: 8, Type: FramePing, Flags: FlagAck}, n: 17},
		{name: "reserved bit", in: []byte{0, 0, 0, 1, 4, 0x80, 0, 0, 3}, max: 16384, want: FrameHeader{Type: FrameHeaders, Flags: 4, StreamID: 3}, n: 9},
		{name: "too large", in: AppendFrameHeader(nil, 16385, FrameData, 0, 1), max: 16384, want: FrameHeader{Length: 16385, StreamID: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _, n, err := ReadFrame(tc.in, tc.max)
			var fe *FrameSizeErr
			if tc.name == "too large" {
				if !errors.As(err, &fe) {
					t.Fatalf("err %v, want FrameSizeErr", err)
				}
			} else if err != tc.err {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if tc.err == nil && h != tc.want {
				t.Errorf("header %+v, want %+v", h, tc.want)
			}
			if n != tc.n {
				t.Errorf("n %d, want %d", n, tc.n)
			}
		})
	}
}

func TestParseSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		code ErrCode
		n    int
	}{
		{name: "empty", in: nil},
		{name: "two", in: AppendSettings(nil, Setting{SettingInitialWindowSize, 100}, Setting{SettingMaxFrameSize, 1 << 15})[9:], n: 2},
		{name: "bad length", in: []byte{0, 1, 0}, code: FrameSizeError},
		{name: "window too large", in: AppendSettings(nil, Setting{SettingInitialWindowSize, 1 << 31})[9:], code: FlowControlError},
		{name: "frame too small", in: AppendSettings(nil, Setting{SettingMaxFrameSize, 100})[9:], code: ProtocolError},
		{name: "push 2", in: AppendSettings(nil, Setting{SettingEnablePush, 2})[9:], code: ProtocolError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			err := ParseSettings(tc.in, func(Setting) { n++ })
			var se *SettingsErr
			if tc.code != 0 {
				if !errors.As(err, &se) || se.Code != tc.code {
					t.Fatalf("err %v, want code %d", err, tc.code)
				}
				return
			}
			if err != nil || n != tc.n {
				t.Fatalf("err %v n %d, want %d", err, n, tc.n)
			}
		})
	}
}

func fields(kv ...string) []Field {
	var f []Field
	for i := 0; i+1 < len(kv); i += 2 {
		f = append(f, Field{kv[i], kv[i+1]})
	}
	return f
}

func TestBuildHead(t *testing.T) {
	base := []string{":method", "GET", ":scheme", "http", ":path", "/a?b"}
	for _, tc := range []struct {
		name   string
		in     []Field
		want   string
		status int
		text   string
	}{
		{name: "authority as host", in: fields(append(base, ":authority", "h", "x-a", "1")...),
			want: "GET /a?b HTTP/1.1\r\nx-a: 1\r\nhost: h\r\n\r\n"},
		{name: "cookies joined", in: fields(append(base, "cookie", "a=1", "host", "h", "cookie", "b=2")...),
			want: "GET /a?b HTTP/1.1\r\nhost: h\r\ncookie: a=1; b=2\r\n\r\n"},
		{name: "no method", in: fields(":scheme", "http", ":path", "/"), status: 400, text: "client sent no :method header"},
		{name: "no path", in: fields(":method", "GET", ":scheme", "http"), status: 400, text: "client sent no :path header"},
		{name: "empty path", in: fields(":method", "GET", ":scheme", "http", ":path", ""), status: 400, text: "client sent empty :path header"},
		{name: "bad path", in: fields(":method", "GET", ":scheme", "http", ":path", "a"), status: 400, text: "client sent invalid :path header: \"a\""},
		{name: "duplicate method", in: fields(append(base, ":method", "GET")...), status: 400, text: "client sent duplicate :method header"},
		{name: "out of order", in: fields(":method", "GET", "x", "y", ":scheme", "http", ":path", "/"), status: 400, text: "client sent out of order pseudo-headers"},
		{name: "unknown pseudo", in: fields(append(base, ":foo", "1")...), status: 400, text: "client sent unknown pseudo-header \":foo\""},
		{name: "upper case", in: fields(append(base, "X-A", "1")...), status: 400, text: "client sent invalid header name: \"X-A\""},
		{name: "bad value", in: fields(append(base, "x", "a\nb")...), status: 400, text: "client sent header \"x\" with invalid value: \"a\nb\""},
		{name: "bad method", in: fields(":method", "get", ":scheme", "http", ":path", "/"), status: 400, text: "client sent invalid method: \"get\""},
		{name: "bad scheme", in: fields(":method", "GET", ":scheme", "1http", ":path", "/"), status: 400, text: "client sent invalid :scheme header: \"1http\""},
		{name: "connect", in: fields(":method", "CONNECT", ":scheme", "http", ":path", "/"), status: 405, text: "client sent CONNECT method"},
		{name: "authority and host differ", in: fields(append(base, ":authority", "a", "host", "b")...), status: 400,
			text: "client sent \":authority\" and \"Host\" headers with different values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := BuildHead(nil, tc.in, HeadRules{})
			if tc.status != 0 {
				var he *HeadError
				if !errors.As(err, &he) || he.Status != tc.status || he.Text != tc.text {
					t.Fatalf("err %v, want %d %q", err, tc.status, tc.text)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(h.Text) != tc.want {
				t.Errorf("head %q, want %q", h.Text, tc.want)
			}
		})
	}
}

func TestBuildHeadIgnoresInvalid(t *testing.T) {
	var ignored []string
	h, err := BuildHead(nil, fields(":method", "GET", ":scheme", "http", ":path", "/", "x.y", "1", "host", "h"),
		HeadRules{IgnoreInvalidHeaders: true, Ignored: func(n string) { ignored = append(ignored, n) }})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(h.Text), "x.y") || len(ignored) != 1 {
		t.Errorf("head %q ignored %v", h.Text, ignored)
	}
}
