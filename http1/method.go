package http1

// Method identifies a request method. Each known method is a distinct bit,
// as in nginx, so that a set of methods (limit_except, proxy_cache_methods)
// is a Method value with several bits set.
type Method uint32

// The known methods, with nginx's bit values. MethodOther is any other
// syntactically valid method token (nginx's NGX_HTTP_UNKNOWN).
const (
	MethodOther     Method = 0x00000001
	MethodGet       Method = 0x00000002
	MethodHead      Method = 0x00000004
	MethodPost      Method = 0x00000008
	MethodPut       Method = 0x00000010
	MethodDelete    Method = 0x00000020
	MethodMkcol     Method = 0x00000040
	MethodCopy      Method = 0x00000080
	MethodMove      Method = 0x00000100
	MethodOptions   Method = 0x00000200
	MethodPropfind  Method = 0x00000400
	MethodProppatch Method = 0x00000800
	MethodLock      Method = 0x00001000
	MethodUnlock    Method = 0x00002000
	MethodPatch     Method = 0x00004000
	MethodTrace     Method = 0x00008000
	MethodConnect   Method = 0x00010000
)

// String returns the method's name as sent on the wire, "UNKNOWN" for
// MethodOther, and "" for a value that is not a single known method.
func (m Method) String() string {
	switch m {
	case MethodOther:
		return "UNKNOWN"
	case MethodGet:
		return "GET"
	case MethodHead:
		return "HEAD"
	case MethodPost:
		return "POST"
	case MethodPut:
		return "PUT"
	case MethodDelete:
		return "DELETE"
	case MethodMkcol:
		return "MKCOL"
	case MethodCopy:
		return "COPY"
	case MethodMove:
		return "MOVE"
	case MethodOptions:
		return "OPTIONS"
	case MethodPropfind:
		return "PROPFIND"
	case MethodProppatch:
		return "PROPPATCH"
	case MethodLock:
		return "LOCK"
	case MethodUnlock:
		return "UNLOCK"
	case MethodPatch:
		return "PATCH"
	case MethodTrace:
		return "TRACE"
	case MethodConnect:
		return "CONNECT"
	}
	return ""
}

// LookupMethod returns the Method for a method token. The comparison is
// case-sensitive, as methods are: "get" is MethodOther.
func LookupMethod(name []byte) Method {
	// switch on string(name) compiles to a comparison without allocating.
	switch string(name) {
	case "GET":
		return MethodGet
	case "HEAD":
		return MethodHead
	case "POST":
		return MethodPost
	case "PUT":
		return MethodPut
	case "DELETE":
		return MethodDelete
	case "MKCOL":
		return MethodMkcol
	case "COPY":
		return MethodCopy
	case "MOVE":
		return MethodMove
	case "OPTIONS":
		return MethodOptions
	case "PROPFIND":
		return MethodPropfind
	case "PROPPATCH":
		return MethodProppatch
	case "LOCK":
		return MethodLock
	case "UNLOCK":
		return MethodUnlock
	case "PATCH":
		return MethodPatch
	case "TRACE":
		return MethodTrace
	case "CONNECT":
		return MethodConnect
	}
	return MethodOther
}
