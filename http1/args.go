package http1

import "bytes"

// Arg returns the value of the first argument called name in a query
// string (without the '?'), the way nginx's ngx_http_arg finds $arg_NAME:
// the name is matched ignoring ASCII case, must start the query or follow
// a '&', and must be followed by '='; the value runs to the next '&' or
// the end. The value is a slice of args, not decoded. An argument given
// without '=' is not found.
func Arg(args, name []byte) ([]byte, bool) {
	if len(name) == 0 {
		return nil, false
	}
	// The name must be followed by '=', so it cannot end at the last byte.
	for i := 0; i+len(name) < len(args); i++ {
		if !equalFold(args[i:i+len(name)], name) {
			continue
		}
		if (i == 0 || args[i-1] == '&') && args[i+len(name)] == '=' {
			v := args[i+len(name)+1:]
			if j := bytes.IndexByte(v, '&'); j >= 0 {
				v = v[:j]
			}
			return v, true
		}
	}
	return nil, false
}

// SplitArgs splits a URI at its first '?' into path and query, like nginx's
// ngx_http_split_args. args is nil when there is no '?', and empty (not
// nil) when the '?' ends the URI.
func SplitArgs(uri []byte) (path, args []byte) {
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		return uri[:i], uri[i+1:]
	}
	return uri, nil
}
