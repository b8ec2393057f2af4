package httpd_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/sluicehq/sluice/http2"
	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// h2DiffConf is served by Debian's nginx 1.22 and by sluice alike
// ("listen ... http2": prior-knowledge HTTP/2 on a plain port).
const h2DiffConf = `
events {}
http {
    default_type text/plain;
    server {
        listen 127.0.0.1:%%PORT_0%% http2;
        server_name localhost;
        http2_max_concurrent_streams 2;
        location / { return 200 "uri=$uri args=$args proto=$server_protocol req=$request h2=$http2 host=$host\n"; }
        location = /redir { return 301 /target; }
        location /e404 { return 404; }
        location /body { return 200 "len=$content_length\n"; }
        location /hdr { add_header X-A "a b"; add_header Connection close; return 200 "hdr\n"; }
    }
}
`

func TestH2Differential(t *testing.T) {
	n := oracle.Start(t, h2DiffConf)
	s := servertest.Start(t, h2DiffConf)
	c := h2cClient()
	defer c.CloseIdleConnections()
	norm := strings.NewReplacer(":"+strconv.Itoa(n.Port(0)), ":PORT", ":"+s.Port("0"), ":PORT")
	for _, tc := range []struct{ name, method, path, body string }{
		{"get", "GET", "/a/b?x=1", ""},
		{"head", "HEAD", "/", ""},
		{"redirect", "GET", "/redir", ""},
		{"404 page", "GET", "/e404", ""},
		{"dot segments", "GET", "/a/./b/../c", ""},
		{"post", "POST", "/body", "hello"},
		{"connection header dropped", "GET", "/hdr", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			get := func(addr string) (int, http.Header, string) {
				var body io.Reader
				if tc.body != "" {
					body = strings.NewReader(tc.body)
				}
				req, _ := http.NewRequest(tc.method, "http://"+addr+tc.path, body)
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, resp.Header, norm.Replace(string(b))
			}
			ns, nh, nb := get(n.Addr(0))
			ss, sh, sb := get(s.Addr("0"))
			if ns != ss {
				t.Errorf("status: nginx %d, sluice %d", ns, ss)
			}
			if !strings.Contains(nb, "nginx") && nb != sb {
				t.Errorf("body:\nnginx  %q\nsluice %q", nb, sb)
			}
			// Connection is left out: nginx 1.22 sends an added
			// "Connection" header over HTTP/2, sluice drops it as the
			// HTTP/2 RFC asks (see docs/compat.md)
			for _, h := range []string{"Content-Type", "X-A", "Location"} {
				if a, b := norm.Replace(nh.Get(h)), norm.Replace(sh.Get(h)); a != b {
					t.Errorf("%s: nginx %q, sluice %q", h, a, b)
				}
			}
			if (nh.Get("Content-Length") == "") != (sh.Get("Content-Length") == "") {
				t.Errorf("Content-Length: nginx %q, sluice %q", nh.Get("Content-Length"), sh.Get("Content-Length"))
			}
		})
	}
}

// h2Frame is a frame read back: its type, flags, stream, error code
// (RST_STREAM, GOAWAY) and :status (HEADERS).
type h2Frame struct {
	typ    http2.FrameType
	flags  uint8
	stream uint32
	code   http2.ErrCode
	status string
}

func (f h2Frame) String() string {
	switch f.typ {
	case http2.FrameRSTStream:
		return fmt.Sprintf("RST_STREAM(%d, %d)", f.stream, f.code)
	case http2.FrameGoAway:
		return fmt.Sprintf("GOAWAY(%d)", f.code)
	case http2.FrameHeaders:
		return fmt.Sprintf("HEADERS(%d, %s)", f.stream, f.status)
	case http2.FramePing:
		return fmt.Sprintf("PING(ack=%v)", f.flags&http2.FlagAck != 0)
	}
	return fmt.Sprintf("type %d", f.typ)
}

// h2Exchange writes raw bytes after the preface and an empty SETTINGS,
// then reads frames for a while: the RST_STREAM, GOAWAY, HEADERS and PING
// frames come back in order (SETTINGS, WINDOW_UPDATE and DATA are left
// out: their sizes differ by design).
func h2Exchange(t *testing.T, addr string, raw []byte, preface bool) []h2Frame {
	t.Helper()
	b := h2RoundTrip(t, addr, raw, preface)
	var frames []h2Frame
	dec := hpack.NewDecoder(4096, nil)
	for {
		h, p, n, err := http2.ReadFrame(b, 1<<24)
		if err != nil {
			break
		}
		b = b[n:]
		f := h2Frame{typ: h.Type, flags: h.Flags, stream: h.StreamID}
		switch h.Type {
		case http2.FrameRSTStream:
			f.code = http2.RSTCode(p)
		case http2.FrameGoAway:
			f.code = http2.RSTCode(p[4:])
		case http2.FrameHeaders:
			fs, _ := dec.DecodeFull(p)
			for _, x := range fs {
				if x.Name == ":status" {
					f.status = x.Value
				}
			}
		case http2.FramePing:
		default:
			continue
		}
		frames = append(frames, f)
	}
	return frames
}

// h2RoundTrip writes raw bytes (after the preface and an empty SETTINGS
// when preface is set) and returns what the server sent back.
func h2RoundTrip(t *testing.T, addr string, raw []byte, preface bool) []byte {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var out []byte
	if preface {
		out = append([]byte(http2.Preface), http2.AppendSettings(nil)...)
	}
	nc.Write(append(out, raw...))
	// Read until the server closes, or until it has been quiet for 500 ms
	// once every stream the client ended has its answer: a server slowed
	// by load may take longer than that quiet period to answer, and an
	// answer cut off there would read as a different answer.
	want := h2EndedStreams(raw)
	hard := time.Now().Add(testutil.DefaultTimeout)
	var b []byte
	buf := make([]byte, 4096)
	for {
		nc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		m, err := nc.Read(buf)
		b = append(b, buf[:m]...)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && !h2Answered(b, want) && time.Now().Before(hard) {
			continue
		}
		break
	}
	return b
}

// h2EndedStreams lists the streams whose request the client's raw frames
// end (a HEADERS or DATA frame with END_STREAM): each of them gets an answer, a
// response or a reset, unless the connection fails first.
func h2EndedStreams(raw []byte) []uint32 {
	var ids []uint32
	for {
		h, _, n, err := http2.ReadFrame(raw, 1<<24)
		if err != nil {
			return ids
		}
		raw = raw[n:]
		if (h.Type == http2.FrameHeaders || h.Type == http2.FrameData) && h.Flags&http2.FlagEndStream != 0 {
			ids = append(ids, h.StreamID)
		}
	}
}

// h2Answered reports whether the server's bytes so far answer every
// stream in want (a frame with END_STREAM, or RST_STREAM) or end the
// connection (GOAWAY).
func h2Answered(b []byte, want []uint32) bool {
	done := map[uint32]bool{}
	for {
		h, _, n, err := http2.ReadFrame(b, 1<<24)
		if err != nil {
			break
		}
		b = b[n:]
		switch {
		case h.Type == http2.FrameGoAway:
			return true
		case h.Type == http2.FrameRSTStream,
			(h.Type == http2.FrameHeaders || h.Type == http2.FrameData) && h.Flags&http2.FlagEndStream != 0:
			done[h.StreamID] = true
		}
	}
	for _, id := range want {
		if !done[id] {
			return false
		}
	}
	return true
}

func h2Headers(stream uint32, flags uint8, kv ...string) []byte {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	for i := 0; i+1 < len(kv); i += 2 {
		enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	b := http2.AppendFrameHeader(nil, buf.Len(), http2.FrameHeaders, flags, stream)
	return append(b, buf.Bytes()...)
}

// h2PaddedHuffman is a GET whose :authority is Huffman-coded with a whole
// byte of ones as padding, as nginx-tests' client pads it.
func h2PaddedHuffman() []byte {
	enc := append(hpack.AppendHuffmanString(nil, "localhost"), 0xff)
	block := append([]byte{0x82, 0x86, 0x84, 0x41, 0x80 | byte(len(enc))}, enc...)
	b := http2.AppendFrameHeader(nil, len(block), http2.FrameHeaders, http2.FlagEndHeaders|http2.FlagEndStream, 1)
	return append(b, block...)
}

func TestH2RawFrames(t *testing.T) {
	n := oracle.Start(t, h2DiffConf)
	s := servertest.Start(t, h2DiffConf)
	get := []string{":method", "GET", ":scheme", "http", ":path", "/", ":authority", "localhost"}
	end := uint8(http2.FlagEndHeaders | http2.FlagEndStream)
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	// sluice, when set, is what sluice answers where it differs from
	// nginx 1.22 on purpose (docs/compat.md): current nginx's answers for
	// an upper-case name or a connection header (400), the preface check
	// of current nginx (a plain client that is not HTTP/2 is HTTP/1), and
	// streams run concurrently (a stream's response may follow a
	// connection error, which resets it).
	for _, tc := range []struct {
		name    string
		raw     []byte
		preface bool
		sluice  string
		timing  bool
	}{
		{"bad preface", []byte("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"), false, "[]", false},
		{"ping", http2.AppendFrameHeader(nil, 8, http2.FramePing, 0, 0), true, "", false},
		{"large frame for an idle stream", http2.AppendFrameHeader(nil, 1<<20, http2.FrameData, 0, 1), true, "", false},
		{"even stream", h2Headers(2, end, get...), true, "", false},
		{"uppercase header", h2Headers(1, end, append(get, "X-A", "1")...), true, "[HEADERS(1, 400)]", false},
		{"missing path", h2Headers(1, end, ":method", "GET", ":scheme", "http"), true, "", false},
		{"connection header", h2Headers(1, end, append(get, "connection", "close")...), true, "[HEADERS(1, 400)]", false},
		{"headers on closed stream", cat(h2Headers(1, end, get...), h2Headers(1, end, get...)), true, "[GOAWAY(1)]", true},
		{"continuation without headers", http2.AppendFrameHeader(nil, 0, http2.FrameContinuation, http2.FlagEndHeaders, 1), true, "", false},
		{"window update zero", http2.AppendWindowUpdate(nil, 0, 0), true, "", false},
		{"push promise", http2.AppendFrameHeader(nil, 4, http2.FramePushPromise, 0, 1), true, "", false},
		{"huffman string padded with a whole byte", h2PaddedHuffman(), true, "", false},
		{"priority self dependency", append(http2.AppendFrameHeader(nil, 5, http2.FramePriority, 0, 3), 0, 0, 0, 3, 15), true, "", false},
		{"priority on another stream", append(http2.AppendFrameHeader(nil, 5, http2.FramePriority, 0, 3), 0, 0, 0, 1, 15), true, "", false},
		{"too many priority frames", bytes.Repeat(append(http2.AppendFrameHeader(nil, 5, http2.FramePriority, 0, 3), 0, 0, 0, 0, 15), 100), true, "", false},
		{"priority frames within the limit", bytes.Repeat(append(http2.AppendFrameHeader(nil, 5, http2.FramePriority, 0, 3), 0, 0, 0, 0, 15), 99), true, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := fmt.Sprint(h2Exchange(t, n.Addr(0), tc.raw, tc.preface))
			b := fmt.Sprint(h2Exchange(t, s.Addr("0"), tc.raw, tc.preface))
			if tc.sluice != "" {
				// where the difference is timing (streams run
				// concurrently), nginx's own answer is right too
				if b != tc.sluice && !(tc.timing && b == a) {
					t.Errorf("frames: sluice %s, want %s or nginx 1.22's %s", b, tc.sluice, a)
				}
				return
			}
			if a != b {
				t.Errorf("frames:\nnginx  %s\nsluice %s", a, b)
			}
		})
	}
}

// TestH2NoLeaks checks that HTTP/2 connections, ended in every way, leave
// no goroutine or descriptor behind.
func TestH2NoLeaks(t *testing.T) {
	testutil.CheckLeaks(t)
	s := servertest.Start(t, h2DiffConf)
	c := h2cClient()
	for i := 0; i < 3; i++ {
		resp, err := c.Get("http://" + s.Addr("0") + "/x")
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	c.CloseIdleConnections()
	get := []string{":method", "GET", ":scheme", "http", ":path", "/", ":authority", "localhost"}
	h2Exchange(t, s.Addr("0"), h2Headers(1, http2.FlagEndHeaders, get...), true)
	h2Exchange(t, s.Addr("0"), http2.AppendFrameHeader(nil, 1<<20, http2.FrameData, 0, 1), true)
}

// h2LargeConf lets header blocks and bodies be larger than a 16 KiB frame
// in both servers (http2_max_field_size and http2_max_header_size are
// nginx 1.22's limits; sluice warns that they are obsolete).
const h2LargeConf = `
events {}
http {
    default_type text/plain;
    server {
        listen 127.0.0.1:%%PORT_0%% http2;
        server_name localhost;
        large_client_header_buffers 4 64k;
        http2_max_field_size 64k;
        http2_max_header_size 64k;
        location / { return 200 "len=$content_length\n"; }
        # the body is read before the connection is tried (and refused)
        location /body { proxy_pass http://127.0.0.1:1; }
    }
}
`

// TestH2LargeFrames: frames larger than 16 KiB (nginx advertises and
// accepts frames of up to 2^24-1 bytes) are read when what they carry is
// bounded, and otherwise handled on their header with the payload
// skipped, with nginx's answers.
func TestH2LargeFrames(t *testing.T) {
	n := oracle.Start(t, h2LargeConf)
	s := servertest.Start(t, h2LargeConf)
	get := func(path string) []string {
		return []string{":method", "GET", ":scheme", "http", ":path", path, ":authority", "localhost"}
	}
	post := func(length int) []string {
		return []string{":method", "POST", ":scheme", "http", ":path", "/body", ":authority", "localhost",
			"content-length", strconv.Itoa(length)}
	}
	data := func(size int, flags uint8) []byte {
		return append(http2.AppendFrameHeader(nil, size, http2.FrameData, flags, 1), make([]byte, size)...)
	}
	end := uint8(http2.FlagEndHeaders | http2.FlagEndStream)
	ping := http2.AppendFrameHeader(nil, 8, http2.FramePing, 0, 0)
	ping = append(ping, make([]byte, 8)...)
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	// (a DATA frame over its stream's window is not compared: nginx runs
	// the request, which raises the window, before it reads the frame
	// that came with the HEADERS; in sluice the stream runs concurrently)
	for _, tc := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"header block of 40 KB in one frame", h2Headers(1, end, get("/"+strings.Repeat("a", 40000))...), "[HEADERS(1, 200)]"},
		{"DATA of 60 KB in one frame", cat(h2Headers(1, http2.FlagEndHeaders, post(60000)...), data(60000, http2.FlagEndStream)), "[HEADERS(1, 502)]"},
		{"unknown frame of 100 KB", cat(append(http2.AppendFrameHeader(nil, 100000, 0x20, 0, 0), make([]byte, 100000)...), ping), "[PING(ack=true)]"},
		{"PING of 20 KB", append(http2.AppendFrameHeader(nil, 20000, http2.FramePing, 0, 0), make([]byte, 20000)...), "[GOAWAY(6)]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := fmt.Sprint(h2Exchange(t, n.Addr(0), tc.raw, true))
			b := fmt.Sprint(h2Exchange(t, s.Addr("0"), tc.raw, true))
			if a != tc.want {
				t.Errorf("nginx 1.22 answers %s, the test expects %s", a, tc.want)
			}
			if b != a {
				t.Errorf("frames:\nnginx  %s\nsluice %s", a, b)
			}
		})
	}
}

// TestH2EmptyResponseEnds: a response of length 0 ends with its HEADERS
// frame (END_STREAM), with no DATA frame after, even when its head goes
// out before the upstream response is over (proxy_buffering off), as
// ngx_http_v2_header_filter sets fin.
func TestH2EmptyResponseEnds(t *testing.T) {
	be := testutil.StartBackendFunc(t, func(int) testutil.Script {
		return testutil.Script{testutil.ReadRequest(), testutil.Write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-A: a\r\n\r\n")}
	})
	conf := strings.ReplaceAll(`
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_0%% http2;
        location / { proxy_pass http://BACKEND; proxy_buffering off; }
    }
}
`, "BACKEND", be.Addr())
	n := oracle.Start(t, conf)
	s := servertest.Start(t, conf)
	get := []string{":method", "GET", ":scheme", "http", ":path", "/", ":authority", "localhost"}
	raw := h2Headers(1, http2.FlagEndHeaders|http2.FlagEndStream, get...)
	const want = "[HEADERS(1, 200, END_STREAM)]"
	a := fmt.Sprint(h2ExchangeEnds(t, n.Addr(0), raw))
	b := fmt.Sprint(h2ExchangeEnds(t, s.Addr("0"), raw))
	if a != want {
		t.Errorf("nginx 1.22 answers %s, the test expects %s", a, want)
	}
	if b != a {
		t.Errorf("frames:\nnginx  %s\nsluice %s", a, b)
	}
}

// h2ExchangeEnds is h2Exchange reporting the HEADERS and DATA frames with
// their END_STREAM flags.
func h2ExchangeEnds(t *testing.T, addr string, raw []byte) []string {
	t.Helper()
	b := h2RoundTrip(t, addr, raw, true)
	dec := hpack.NewDecoder(4096, nil)
	var out []string
	for {
		h, p, n, err := http2.ReadFrame(b, 1<<24)
		if err != nil {
			break
		}
		b = b[n:]
		end := ""
		if h.Flags&http2.FlagEndStream != 0 {
			end = ", END_STREAM"
		}
		switch h.Type {
		case http2.FrameHeaders:
			fs, _ := dec.DecodeFull(p)
			status := ""
			for _, x := range fs {
				if x.Name == ":status" {
					status = x.Value
				}
			}
			out = append(out, fmt.Sprintf("HEADERS(%d, %s%s)", h.StreamID, status, end))
		case http2.FrameData:
			out = append(out, fmt.Sprintf("DATA(%d, %d%s)", h.StreamID, len(p), end))
		}
	}
	return out
}
