package http1

// listItem looks through one header value for an item called name in a
// list separated by sep, the way nginx's
// ngx_http_parse_multi_header_lines does. With wantValue it looks for
// "name = value" and returns value (up to the next sep, spaces after '='
// skipped, trailing spaces kept); without, it looks for name alone and
// returns an empty slice. The name is matched ignoring ASCII case at the
// start of an item; items are separated by sep followed by any spaces.
func listItem(value, name []byte, sep byte, wantValue bool) ([]byte, bool) {
	if len(name) > len(value) {
		return nil, false
	}
	i, end := 0, len(value)
	for i < end {
		if end-i >= len(name) && equalFold(value[i:i+len(name)], name) {
			j := i + len(name)
			for j < end && value[j] == ' ' {
				j++
			}
			if !wantValue {
				if j == end || value[j] == sep {
					return value[j:j], true
				}
			} else if j < end {
				if value[j] == '=' {
					j++
					for j < end && value[j] == ' ' {
						j++
					}
					k := j
					for k < end && value[k] != sep {
						k++
					}
					return value[j:k], true
				}
				// nginx steps over the byte that is not '=' before
				// skipping, so "a;a=1" does not find a.
				j++
			}
			i = j
		}
		// Skip to the next item.
		for i < end {
			c := value[i]
			i++
			if c == sep {
				break
			}
		}
		for i < end && value[i] == ' ' {
			i++
		}
	}
	return nil, false
}

// Cookie returns the value of the cookie called name in one Cookie header
// value ("a=1; b=2"), the way nginx's ngx_http_parse_cookie_lines finds
// $cookie_NAME. nginx matches the name ignoring ASCII case. Call it for
// each Cookie header line in order; the first match wins.
func Cookie(value, name []byte) ([]byte, bool) {
	return listItem(value, name, ';', true)
}

// ListParam returns the value of "name=value" in a comma-separated header
// value, the way nginx's ngx_http_parse_multi_header_lines does when asked
// for a value.
func ListParam(value, name []byte) ([]byte, bool) {
	return listItem(value, name, ',', true)
}

// ListHasToken reports whether a comma-separated header value has an item
// that is exactly name (ignoring ASCII case and trailing spaces), the way
// nginx's ngx_http_parse_multi_header_lines does without a value; nginx
// uses it to find "no-cache", "no-store" and "private" in Cache-Control.
func ListHasToken(value, name []byte) bool {
	_, ok := listItem(value, name, ',', false)
	return ok
}

// SetCookie returns the value of a Set-Cookie header value if the cookie
// it sets is called name, the way nginx's ngx_http_parse_set_cookie_lines
// finds $upstream_cookie_NAME: the name is matched ignoring ASCII case at
// the start of the value, may be followed by spaces, then '=' and spaces;
// the value runs to the first ';'. Call it for each Set-Cookie line in
// order; the first match wins.
func SetCookie(value, name []byte) ([]byte, bool) {
	if len(name) >= len(value) || !equalFold(value[:len(name)], name) {
		return nil, false
	}
	j, end := len(name), len(value)
	for j < end && value[j] == ' ' {
		j++
	}
	if j == end || value[j] != '=' {
		return nil, false
	}
	j++
	for j < end && value[j] == ' ' {
		j++
	}
	k := j
	for k < end && value[k] != ';' {
		k++
	}
	return value[j:k], true
}
