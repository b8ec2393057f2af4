package mapmod_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// mapConf is the differential configuration (map.t, map_complex.t and
// more): the response's X-Foo header shows the variables.
const mapConf = `
http {
    map $args $x {
        default                     0;
        foo                         bar;
        foo2                        bar;
    }

    map $args $y {
        hostnames;
        default                     0;
        example.com                 foo;
        example.*                   right-wildcard;
        www.example.*               www-wildcard;
        *.example.com               left-wildcard;
        *.deep.example.com          deep-wildcard;
        .dot.example.com            special-wildcard;
        ~^REGEX.EXAMPLE\.ORG$       regex-sensitive;
        ~*^www.regex.example\.org$  regex-insensitive;
        \include                    include;
        \default                    not-default;
        server                      $server_name;
        var                         $z;
    }

    map $args $z {
        default                     0;
        var                         baz;
        include                     %%PREFIX%%/map.conf;
    }

    map $args $c {
        var      foo:$y2;
        var2     $y2:foo;
        default  foo:$y2;
    }

    map $args $y2 {
        default  bar;
        same     baz;
    }

    map $uri $re {
        ~^/re/(?<first>[a-z]+)/(\d+)$  "$first-$2";
        ~*^/RE/upper                  upper;
        ~^/re/                        fallback;
        /re/exact                     exact;
    }

    map "$arg_a:$arg_b" $two {
        "1:2"   one-two;
        ":"     empty;
        default other;
    }

    map $http_x_key $nodef {
        a  A;
    }

    map $arg_k $caseful {
        Key    upper;
        ~^K    regex;
    }

    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        location / {
            add_header X-Foo "x:$x y:$y";
            return 204;
        }
        location /z { add_header X-Foo "z:$z"; return 204; }
        location /c { add_header X-Foo $c; return 204; }
        location /re/ { add_header X-Foo "re:$re first:$first"; return 204; }
        location /RE/ { add_header X-Foo "re:$re"; return 204; }
        location /two { add_header X-Foo "two:$two"; return 204; }
        location /nodef { add_header X-Foo "[$nodef]"; return 204; }
        location /case { add_header X-Foo "$caseful"; return 204; }
    }
}
`

var mapPaths = []string{
	"/?1", "/?foo", "/?foo2", "/?FOO", "/?example.com", "/?EXAMPLE.COM", "/?example.com.",
	"/?example.org", "/?example.co.uk", "/?www.example.net", "/?www.example", "/?foo.example.com",
	"/?foo.example.com.", "/?a.deep.example.com", "/?deep.example.com", "/?dot.example.com",
	"/?www.dot.example.com", "/?REGEX.EXAMPLE.ORG", "/?regex.example.org", "/?www.regex.example.org",
	"/?WWW.REGEX.EXAMPLE.ORG", "/?include", "/?default", "/?server", "/?var", "/?", "/?.", "/?..",
	"/?example..com",
	"/z?foo", "/z?var", "/z?FoO",
	"/c?var", "/c?var2", "/c?same",
	"/re/abc/123", "/re/ABC/123", "/RE/upper", "/re/other", "/re/exact",
	"/two?a=1&b=2", "/two", "/two?a=1",
	"/nodef", "/case?k=key", "/case?k=KEY", "/case?k=Kx",
}

func TestOracleMap(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "map.conf"), []byte("foo bar;"), 0644); err != nil {
		t.Fatal(err)
	}
	conf := strings.ReplaceAll(mapConf, "%%PREFIX%%/map.conf", filepath.Join(dir, "map.conf"))
	ngx := oracle.Start(t, conf)
	s := servertest.Start(t, "events {}\n"+strings.ReplaceAll(conf, "%%PORT_0%%", "%%PORT_A%%"))
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-Foo")
	for _, p := range mapPaths {
		t.Run(strings.ReplaceAll(p, "/", "_"), func(t *testing.T) {
			oracle.Compare(t, "GET "+p+" HTTP/1.0\r\nHost: localhost\r\n\r\n", ngx.Addr(0), s.Addr("A"), cmp)
		})
	}
	for _, h := range []string{"X-Key: a", "X-Key: A", "X-Key: b"} {
		t.Run(h, func(t *testing.T) {
			oracle.Compare(t, "GET /nodef HTTP/1.0\r\n"+h+"\r\n\r\n", ngx.Addr(0), s.Addr("A"), cmp)
		})
	}
}

// TestVolatile is map_volatile.t without the index module: a map's value
// is kept for the request unless the map is volatile.
func TestVolatile(t *testing.T) {
	s := servertest.Start(t, `
events {}
http {
    access_log off;
    map $uri $uri_cached {
        /1/          /1/redirect;
        /1/redirect  uncached;
    }
    map $uri $uri_uncached {
        volatile;
        /2/          /2/redirect;
        /2/redirect  uncached;
    }
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location /1 { rewrite ^ $uri_cached last; }
        location /1/redirect { add_header X-URI $uri_cached always; return 204; }
        location /2 { rewrite ^ $uri_uncached last; }
        location /2/redirect { add_header X-URI $uri_uncached always; return 204; }
    }
}
`)
	tests := []struct{ path, want string }{{"/1/", "/1/redirect"}, {"/2/", "uncached"}}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := exchange(t, s.Addr("A"), tc.path)
			if got := r.Get("X-URI"); got != tc.want {
				t.Errorf("X-URI %q, want %q\n%s", got, tc.want, r)
			}
		})
	}
}

// inHTTP puts statements at line 3, at http level.
func inHTTP(stmts string) string {
	return "events {}\nhttp {\n" + stmts + "\n}\n"
}

var confErrors = []struct {
	name, conf, want string
}{
	{"no dollar", inHTTP("map $uri x { }"), `invalid variable name "x" in FILE:3`},
	{"builtin variable", inHTTP("map $uri $uri { }"), `the duplicate "uri" variable in FILE:3`},
	{"too many parameters", inHTTP("map $uri $x {\n a b c;\n}"), `invalid number of the map parameters in FILE:4`},
	{"key only", inHTTP("map $uri $x {\n a;\n}"), `invalid number of the map parameters in FILE:4`},
	{"hostnames with value", inHTTP("map $uri $x {\n hostnames on;\n}"), ""},
	{"duplicate default", inHTTP("map $uri $x {\n default 1;\n default 2;\n}"), `duplicate default map parameter in FILE:5`},
	{"conflicting", inHTTP("map $uri $x {\n a 1;\n A 2;\n}"), `conflicting parameter "a" in FILE:5`},
	{"conflicting dot", inHTTP("map $uri $x {\n hostnames;\n .a.com 1;\n a.com 2;\n}"), `conflicting parameter "a.com" in FILE:6`},
	{"conflicting star", inHTTP("map $uri $x {\n hostnames;\n .a.com 1;\n *.A.com 2;\n}"), `conflicting parameter "*.a.com" in FILE:6`},
	{"conflicting tail", inHTTP("map $uri $x {\n hostnames;\n www.A.* 1;\n WWW.a.* 2;\n}"), `conflicting parameter "www.a.*" in FILE:6`},
	{"invalid wildcard", inHTTP("map $uri $x {\n hostnames;\n a.*.com 1;\n}"), `invalid hostname or wildcard "a.*.com" in FILE:5`},
	{"double dot", inHTTP("map $uri $x {\n hostnames;\n a..com 1;\n}"), `invalid hostname or wildcard "a..com" in FILE:5`},
	{"block in map", inHTTP("map $uri $x {\n a { }\n}"), `unexpected "{" in FILE:4`},
	{"unknown variable in value", inHTTP("map $uri $x {\n a $nosuch;\n}"), `unknown "nosuch" variable`},
	{"unknown variable in source", inHTTP("map $nosuch $x { }"), `unknown "nosuch" variable`},
	{"map in server", "events {}\nhttp {\n    server {\n        map $uri $x { }\n    }\n}\n", `"map" directive is not allowed here in FILE:4`},
	{"map arity", inHTTP("map $uri { }"), `invalid number of arguments in "map" directive in FILE:3`},
	{"map without block", inHTTP("map $uri $x;"), `directive "map" has no opening "{" in FILE:3`},
	{"missing include", inHTTP("map $uri $x {\n include nosuch.map;\n}"), `open() "DIR/nosuch.map" failed (2: No such file or directory) in FILE:4`},
	{"key too long", inHTTP("map $uri $x {\n " + strings.Repeat("a", 47) + " 1;\n}"), `could not build map_hash, you should increase map_hash_bucket_size: 64`},
	{"key long enough", inHTTP("map $uri $x {\n " + strings.Repeat("a", 46) + " 1;\n}"), ""},
	{"bigger buckets", inHTTP("map_hash_bucket_size 65;\nmap $uri $x {\n " + strings.Repeat("a", 100) + " 1;\n}"), ""},
	{"label too long", inHTTP("map $uri $x {\n hostnames;\n *." + strings.Repeat("a", 47) + ".com 1;\n}"), `could not build map_hash, you should increase map_hash_bucket_size: 64`},
	{"regex not hashed", inHTTP("map $uri $x {\n ~" + strings.Repeat("a", 60) + " 1;\n}"), ""},
	{"max size zero", inHTTP("map_hash_max_size 0;\nmap $uri $x {\n a 1;\n}"), `could not build map_hash, you should increase map_hash_max_size: 0`},
	{"max size zero, no keys", inHTTP("map_hash_max_size 0;\nmap $uri $x {\n default 1;\n}"), ""},
	{"bucket size word", inHTTP("map_hash_bucket_size big;"), `"map_hash_bucket_size" directive invalid number in FILE:3`},
	{"bucket size duplicate", inHTTP("map_hash_bucket_size 64;\nmap_hash_bucket_size 64;"), `"map_hash_bucket_size" directive is duplicate in FILE:4`},
	{"same variable twice", inHTTP("map $uri $x { }\nmap $args $x { }"), ""},
	{"set variable", inHTTP("map $uri $x { }\nserver { listen 127.0.0.1:1; access_log off; set $x 1; }"), ""},
}

func TestConfErrors(t *testing.T) {
	for _, tc := range confErrors {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestConfErrorsOracle(t *testing.T) {
	for _, tc := range confErrors {
		t.Run(tc.name, func(t *testing.T) {
			if msg := oracle.CheckConfig(t, tc.conf).Emerg; msg != tc.want {
				t.Errorf("nginx says:\n%s\nthe test expects:\n%s", msg, tc.want)
			}
		})
	}
}

func exchange(t *testing.T, addr, path string) *testutil.Response {
	t.Helper()
	return testutil.RoundTrip(t, addr, "GET "+path+" HTTP/1.0\r\nHost: localhost\r\n\r\n")
}
