package syntax

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// nginxBinary is Debian's nginx, used as the reference implementation.
const nginxBinary = "/usr/sbin/nginx"

// nginxCheck runs "nginx -t" on src written to dir/name, with extra
// arguments, and returns nginx's first [emerg] message without its prefix,
// or "" when nginx accepts the configuration.
func nginxCheck(t *testing.T, dir, name string, src []byte, extra ...string) (path, msg string) {
	t.Helper()
	if _, err := os.Stat(nginxBinary); err != nil {
		t.Fatalf("the differential test needs %s (apt-get install nginx-core): %v", nginxBinary, err)
	}
	path = filepath.Join(dir, name)
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-t", "-p", dir + "/", "-c", path, "-e", filepath.Join(dir, "error.log")}, extra...)
	cmd := exec.Command(nginxBinary, args...)
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	out := stderr.String()
	const prefix = "nginx: [emerg] "
	i := strings.Index(out, prefix)
	if i < 0 {
		if runErr != nil || !strings.Contains(out, "test is successful") {
			t.Fatalf("nginx -t failed without an [emerg] message (%v):\n%s", runErr, out)
		}
		return path, ""
	}
	msg = out[i+len(prefix):]
	// The message may itself hold newlines (raw bytes of the file); it
	// ends where nginx's closing line begins.
	if j := strings.Index(msg, "\nnginx: configuration file "); j >= 0 {
		msg = msg[:j]
	}
	return path, msg
}

// TestNginxDifferential compares Parse's first error with the message
// nginx prints for every file of testdata/nginx (files named ok_* must be
// accepted by both).
func TestNginxDifferential(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("testdata", "nginx", "*.conf"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no corpus in testdata/nginx: %v", err)
	}
	sort.Strings(names)
	dir := t.TempDir()
	for _, name := range names {
		base := filepath.Base(name)
		t.Run(strings.TrimSuffix(base, ".conf"), func(t *testing.T) {
			src := readTestdata(t, name)
			path, want := nginxCheck(t, dir, base, src)
			if strings.HasPrefix(base, "ok_") != (want == "") {
				t.Errorf("corpus file naming is wrong: nginx says %q", want)
			}
			compareWithNginx(t, path, src, want)
		})
	}
}

// TestNginxBufferBoundary sweeps word lengths around nginx's read buffer
// size, at several offsets in the file, for each kind of word, and checks
// that Parse fails exactly when nginx does, with the same message.
func TestNginxBufferBoundary(t *testing.T) {
	dir := t.TempDir()
	kinds := []struct {
		name       string
		open, shut string
	}{
		{"bare", "", ""},
		{"double", `"`, `"`},
		{"single", "'", "'"},
		{"double_space", `"`, `" `},
		{"comment", "#", "\n"},
	}
	for _, off := range []int{0, 3, 4000, 4093, 5000} {
		// Blank and short comment lines; the word starts at byte off+11.
		pad := strings.Repeat("#"+strings.Repeat("p", 48)+"\n", off/50) + strings.Repeat(" ", off%50)
		for _, k := range kinds {
			for _, n := range []int{bufferSize - 3, bufferSize - 2, bufferSize - 1, bufferSize} {
				name := fmt.Sprintf("%s_%d_%d.conf", k.name, off, n)
				t.Run(name, func(t *testing.T) {
					word := k.open + strings.Repeat("v", n) + k.shut
					src := "events {}\n" + pad + "env " + word + ";\n"
					if k.name == "comment" {
						src = "events {}\n" + pad + word + "env a;\n"
					}
					path, want := nginxCheck(t, dir, name, []byte(src))
					compareWithNginx(t, path, []byte(src), want)
				})
			}
		}
	}
}

func compareWithNginx(t *testing.T, path string, src []byte, want string) {
	t.Helper()
	_, err := Parse(path, src)
	got := ""
	if err != nil {
		got = err.Error()
	}
	if got != want {
		t.Errorf("Parse error differs from nginx\n got %q\nwant %q", got, want)
	}
}

// TestNginxRandom feeds nginx and Parse short random texts over the
// bytes that matter to the lexer. nginx applies each directive as soon as
// it is read, and none of the names that can be generated exists, so its
// first message is either `unknown directive` for the first directive
// Parse completed (which checks the directive's line as well) or, when
// Parse completed none, the syntax error Parse found.
func TestNginxRandom(t *testing.T) {
	const alphabet = "aat  \n\n;{}\"'\\$#)\r\tx"
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	kinds := map[string]int{}
	for i := range 300 {
		b := make([]byte, 1+rng.IntN(24))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		src := append([]byte("events {}\n"), b...)
		name := fmt.Sprintf("random_%03d.conf", i)
		path, got := nginxCheck(t, dir, name, src)
		tree, err := Parse(path, src)
		want := ""
		switch {
		case len(tree) > 1 && tree[1].Err == nil:
			kinds["directive"]++
		case err != nil:
			kinds["syntax error"]++
		default:
			kinds["empty"]++
		}
		if len(tree) > 1 && tree[1].Err == nil {
			want = `unknown directive "` + tree[1].Name + `" in ` + path + ":" + strconv.Itoa(tree[1].Line)
		} else if err != nil {
			want = err.Error()
		}
		if got != want {
			t.Errorf("%s %q:\nnginx %q\nParse %q (tree %s)", name, b, got, want, render(tree))
		}
	}
	t.Logf("cases: %v", kinds)
	if kinds["directive"] < 30 || kinds["syntax error"] < 30 {
		t.Errorf("random corpus lacks variety: %v", kinds)
	}
}

// TestNginxParamDifferential compares ParseParam with nginx's -g option.
func TestNginxParamDifferential(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, param string }{
		{"valid", "daemon off; master_process off;"},
		{"eof in directive", "daemon off"},
		{"eof after newline", "daemon off;\ndaemon off\n"},
		{"eof in quote", "daemon 'off"},
		{"eof in comment", "daemon off # x"},
		{"close", "}"},
		{"semicolon", ";"},
		{"open", "{"},
		{"char after quote", `daemon "off"x;`},
		{"block", "daemon off; events {}"},
		{"block after quote", `daemon "off"{`},
		{"long word has no limit", "env " + strings.Repeat("v", 3*bufferSize) + ";"},
		{"long quoted word has no limit", `env "` + strings.Repeat("v", 3*bufferSize) + `";`},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, want := nginxCheck(t, dir, fmt.Sprintf("param_%02d.conf", i), []byte("events {}\n"), "-g", tc.param)
			got := ""
			if _, err := ParseParam(tc.param); err != nil {
				got = err.Error()
			}
			if got != want {
				t.Errorf("ParseParam(%.40q) error differs from nginx\n got %q\nwant %q", tc.param, got, want)
			}
		})
	}
}
