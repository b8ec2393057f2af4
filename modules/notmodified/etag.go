package notmodified

// etagMatches tests an If-Match or If-None-Match list against the
// response's entity tag as nginx's ngx_http_test_if_match does: a list
// that is exactly "*" always matches (even a response without a tag);
// otherwise each comma-separated element is compared byte for byte with
// the tag (blanks may follow it). With weak set (If-None-Match) a "W/"
// prefix is ignored on both sides.
func etagMatches(list string, etag string, hasETag bool, weak bool) bool {
	if list == "*" {
		return true
	}
	if !hasETag {
		return false
	}
	if weak && len(etag) > 2 && etag[0] == 'W' && etag[1] == '/' {
		etag = etag[2:]
	}
	p, end := 0, len(list)
	for p < end {
		if weak && end-p > 2 && list[p] == 'W' && list[p+1] == '/' {
			p += 2
		}
		if len(etag) > end-p {
			return false
		}
		if list[p:p+len(etag)] == etag {
			q := p + len(etag)
			for q < end && (list[q] == ' ' || list[q] == '\t') {
				q++
			}
			if q == end || list[q] == ',' {
				return true
			}
			p = q
		}
		for p < end && list[p] != ',' {
			p++
		}
		for p < end && (list[p] == ' ' || list[p] == '\t' || list[p] == ',') {
			p++
		}
	}
	return false
}
