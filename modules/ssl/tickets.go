package ssl

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/sluicehq/sluice/errlog"
)

// Session tickets as nginx makes them (ngx_ssl_ticket_key_callback): a
// ticket is the key's 16-byte name, a random IV, the session encrypted
// with AES-CBC (AES-128 for a 48-byte key file, AES-256 for an 80-byte
// one) and an HMAC-SHA256 over all of it. A key file is name, HMAC key,
// AES key. The first key encrypts; a ticket is decrypted by the key its
// name names. The session inside is Go's (tls.SessionState), so tickets
// are not interchangeable with nginx's, but key files, names and rotation
// behave as nginx's.

// ticketKey is one ticket key.
type ticketKey struct {
	name    [16]byte
	hmacKey []byte
	aesKey  []byte
	created time.Time
}

// ticketer seals and opens a server's session tickets.
type ticketer struct {
	timeout time.Duration
	// rotate: keys are generated, and a new one is made every timeout
	// (nginx 1.23.2 does so for servers with a shared session cache; the
	// previous two stay for decryption)
	rotate bool
	mu     sync.Mutex
	keys   []ticketKey
}

// newTicketer reads ssl_session_ticket_key files, or makes a random key.
func newTicketer(files []string, timeout time.Duration, rotate bool) (*ticketer, error) {
	tk := &ticketer{timeout: timeout}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("open() \"%s\" failed (%s)", f, errlog.Errno(err))
		}
		if len(b) != 48 && len(b) != 80 {
			return nil, fmt.Errorf("\"%s\" must be 48 or 80 bytes", f)
		}
		n := (len(b) - 16) / 2
		k := ticketKey{hmacKey: b[16 : 16+n], aesKey: b[16+n:]}
		copy(k.name[:], b)
		tk.keys = append(tk.keys, k)
	}
	if len(tk.keys) == 0 {
		tk.rotate = rotate
		tk.keys = []ticketKey{randomKey()}
	}
	return tk, nil
}

func randomKey() ticketKey {
	b := make([]byte, 80)
	rand.Read(b)
	k := ticketKey{hmacKey: b[16:48], aesKey: b[48:], created: time.Now()}
	copy(k.name[:], b)
	return k
}

// current returns the keys, the encrypting one first, rotated if due.
func (tk *ticketer) current() []ticketKey {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	if tk.rotate && time.Since(tk.keys[0].created) >= tk.timeout {
		keys := append([]ticketKey{randomKey()}, tk.keys...)
		tk.keys = keys[:min(len(keys), 3)]
	}
	return tk.keys
}

// ticketTime marks the Extra entry holding the time a ticket was made.
const ticketTime = "sluice-created:"

// wrap seals a session into a ticket (tls.Config.WrapSession).
func (tk *ticketer) wrap(_ tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
	ss.Extra = append(ss.Extra, binary.BigEndian.AppendUint64([]byte(ticketTime), uint64(time.Now().UnixNano())))
	state, err := ss.Bytes()
	if err != nil {
		return nil, err
	}
	k := tk.current()[0]
	block, err := aes.NewCipher(k.aesKey)
	if err != nil {
		return nil, err
	}
	pad := aes.BlockSize - len(state)%aes.BlockSize
	out := make([]byte, 32, 32+len(state)+pad+sha256.Size)
	copy(out, k.name[:])
	rand.Read(out[16:32])
	out = append(out, state...)
	out = append(out, bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, out[16:32]).CryptBlocks(out[32:], out[32:])
	mac := hmac.New(sha256.New, k.hmacKey)
	mac.Write(out)
	return mac.Sum(out), nil
}

// open decrypts and parses a ticket (for tls.Config.UnwrapSession, which
// also checks its age and context); nil when it is not one of the
// ticketer's: an unknown key, or forged.
func (tk *ticketer) open(ticket []byte) *tls.SessionState {
	if len(ticket) < 32+aes.BlockSize+sha256.Size || (len(ticket)-32-sha256.Size)%aes.BlockSize != 0 {
		return nil
	}
	var k *ticketKey
	for _, c := range tk.current() {
		if bytes.Equal(c.name[:], ticket[:16]) {
			k = &c
			break
		}
	}
	if k == nil {
		return nil
	}
	body := ticket[:len(ticket)-sha256.Size]
	mac := hmac.New(sha256.New, k.hmacKey)
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), ticket[len(body):]) {
		return nil
	}
	block, err := aes.NewCipher(k.aesKey)
	if err != nil {
		return nil
	}
	plain := make([]byte, len(body)-32)
	cipher.NewCBCDecrypter(block, body[16:32]).CryptBlocks(plain, body[32:])
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(plain) {
		return nil
	}
	ss, err := tls.ParseSessionState(plain[:len(plain)-pad])
	if err != nil {
		return nil
	}
	return ss
}

// expired reports whether a ticket's session is older than timeout
// (ssl_session_timeout of the server it is offered to).
func expired(ss *tls.SessionState, timeout time.Duration) bool {
	// the newest time: a ticket issued on a resumption carries its
	// session's earlier ones too
	var made time.Time
	for _, e := range ss.Extra {
		if len(e) == len(ticketTime)+8 && string(e[:len(ticketTime)]) == ticketTime {
			made = time.Unix(0, int64(binary.BigEndian.Uint64(e[len(ticketTime):])))
		}
	}
	return made.IsZero() || time.Since(made) > timeout
}
