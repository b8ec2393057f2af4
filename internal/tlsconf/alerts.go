package tlsconf

import (
	"errors"
	"net"
	"reflect"
)

// alertReasons are OpenSSL's reason texts for the TLS alerts a peer sends
// (its reason code is SSL_AD_REASON_OFFSET, 1000, plus the alert number).
var alertReasons = map[int]string{
	0:   "sslv3 alert close notify",
	10:  "sslv3 alert unexpected message",
	20:  "sslv3 alert bad record mac",
	21:  "tlsv1 alert decryption failed",
	22:  "tlsv1 alert record overflow",
	30:  "sslv3 alert decompression failure",
	40:  "sslv3 alert handshake failure",
	42:  "sslv3 alert bad certificate",
	43:  "sslv3 alert unsupported certificate",
	44:  "sslv3 alert certificate revoked",
	45:  "sslv3 alert certificate expired",
	46:  "sslv3 alert certificate unknown",
	47:  "sslv3 alert illegal parameter",
	48:  "tlsv1 alert unknown ca",
	49:  "tlsv1 alert access denied",
	50:  "tlsv1 alert decode error",
	51:  "tlsv1 alert decrypt error",
	70:  "tlsv1 alert protocol version",
	71:  "tlsv1 alert insufficient security",
	80:  "tlsv1 alert internal error",
	86:  "tlsv1 alert inappropriate fallback",
	90:  "tlsv1 alert user cancelled",
	100: "tlsv1 alert no renegotiation",
	109: "tlsv13 alert missing extension",
	110: "tlsv1 unsupported extension",
	112: "tlsv1 unrecognized name",
	116: "tlsv13 alert certificate required",
	120: "tlsv1 alert no application protocol",
}

// AlertReason returns OpenSSL's reason text for alert number n.
func AlertReason(n int) (string, bool) {
	s, ok := alertReasons[n]
	return s, ok
}

// RemoteAlert returns the alert a peer sent when err is crypto/tls's
// report of one (a "remote error" whose cause is the alert, an unexported
// byte type), and Go's text for it without "tls: ".
func RemoteAlert(err error) (n int, text string, ok bool) {
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "remote error" || oe.Err == nil {
		return 0, "", false
	}
	text = oe.Err.Error()
	if len(text) > 5 && text[:5] == "tls: " {
		text = text[5:]
	}
	if v := reflect.ValueOf(oe.Err); v.Kind() == reflect.Uint8 {
		return int(v.Uint()), text, true
	}
	return -1, text, true
}
