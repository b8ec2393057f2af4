package authbasic

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// readVectors reads key<TAB>hash lines.
func readVectors(t *testing.T, name string) [][2]string {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs [][2]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		k, h, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		vs = append(vs, [2]string{k, h})
	}
	return vs
}

// TestVectors checks every hash made by Debian's crypt_r (libxcrypt) and
// by openssl passwd with its password, and with a wrong one.
func TestVectors(t *testing.T) {
	for _, file := range []string{"libxcrypt.txt", "openssl.txt"} {
		for _, v := range readVectors(t, file) {
			key, hash := v[0], v[1]
			t.Run(file+"/"+hash, func(t *testing.T) {
				if strings.HasPrefix(hash, "*") {
					t.Skip("libxcrypt refused the setting")
				}
				ok, err := verify([]byte(key), []byte(hash))
				if err != nil || !ok {
					t.Errorf("verify(%q, %q) = %v, %v; want a match", key, hash, ok, err)
				}
				ok, err = verify([]byte(key+"x"), []byte(hash))
				if len(key) >= 8 && !strings.HasPrefix(hash, "$") {
					return // DES uses 8 characters
				}
				if len(key) >= 72 && strings.HasPrefix(hash, "$2") {
					return // bcrypt uses 72
				}
				if err != nil || ok {
					t.Errorf("verify(%q, %q) = %v, %v; want a mismatch", key+"x", hash, ok, err)
				}
			})
		}
	}
}

// TestUnsupported: the schemes Debian's crypt verifies and sluice does
// not are told apart from mismatches.
func TestUnsupported(t *testing.T) {
	f, err := os.ReadFile("testdata/unsupported.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range strings.Split(strings.TrimSpace(string(f)), "\n") {
		if strings.HasPrefix(h, "#") {
			continue
		}
		if ok, err := verify([]byte("password"), []byte(h)); ok || err != errUnsupported {
			t.Errorf("verify(%q) = %v, %v; want errUnsupported", h, ok, err)
		}
	}
}

func TestSchemes(t *testing.T) {
	cases := []struct {
		name      string
		key, hash string
		ok        bool
		err       error
	}{
		{"plain", "password", "{PLAIN}password", true, nil},
		{"plain wrong", "passwor", "{PLAIN}password", false, nil},
		{"plain empty", "", "{PLAIN}", true, nil},
		{"sha", "password", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", true, nil},
		{"sha wrong", "123", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", false, nil},
		{"sha broken", "1", "{SHA}_____Mm5Pz8GgiULbPgzG37mj9g=", false, nil},
		{"ssha", "password", "{SSHA}yI6cZwQadOA1e+/f+T+H3eCQQhRzYWx0", true, nil},
		{"ssha wrong", "123", "{SSHA}yI6cZwQadOA1e+/f+T+H3eCQQhRzYWx0", false, nil},
		{"ssha broken", "1", "{SSHA}_____wQadOA1e+/f+T+H3eCQQhRzYWx0", false, nil},
		{"ssha short", "1", "{SSHA}Zm9vCg==", false, nil},
		{"apr1", "password", "$apr1$salt$Xxd1irWT9ycqoYxGFn4cb.", true, nil},
		{"apr1 empty", "1", "$apr1$", false, nil},
		{"md5 empty salt", "1", "$1$", false, nil},
		{"des", "password", "sa3tHJ3/KuYvI", true, nil},
		{"des 8 chars", "password-and-more", "sa3tHJ3/KuYvI", true, nil},
		{"des bad salt", "password", "!!", false, nil},
		{"failure token", "password", "*0", false, nil},
		{"empty", "", "", false, nil},
		{"key nul", "password\x00junk", "{PLAIN}password", true, nil},
		{"hash nul", "password", "{PLAIN}password\x00junk", true, nil},
		{"sha rounds low", "password", "$5$rounds=10$abc$x", false, nil},
		{"bcrypt", "password", "$2y$05$ABCDEFGHIJKLMNOPQRSTUuaH6yYhAMufXM.u8UQpkjeRYIqBVQnLC", true, nil},
		{"yescrypt", "password", "$y$j9T$abcdefgh$79JhsKZwfY/UU2qrk3QcffpHl7EyEEJK0pA5pD1wu73", false, errUnsupported},
		{"bsdi", "password", "_J9..saltJW8FtKdEkNM", false, errUnsupported},
		{"nt", "password", "$3$$8846f7eaee8fb117ad06bdd830b7586c", false, errUnsupported},
		{"bcrypt 2x ascii", "password", "$2x$05$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu", true, nil},
		{"bcrypt 2x 8-bit", "pässwörd", "$2x$05$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu", false, errUnsupported},
		{"des longer", "password", "sa3tHJ3/KuYvIextra", false, nil},
		{"des any setting", "password", "saXXXXXXXXXXX", false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, err := verify([]byte(c.key), []byte(c.hash))
			if ok != c.ok || err != c.err {
				t.Errorf("verify(%q, %q) = %v, %v; want %v, %v", c.key, c.hash, ok, err, c.ok, c.err)
			}
		})
	}
}
