package clientlogs

import (
	"strings"
)

// Replacements the scrubber writes in place of what it removes.
const (
	RedactedEmail  = "[email]"
	RedactedJWT    = "[jwt]"
	RedactedToken  = "[token]"
	RedactedNumber = "[number]"
	RedactedValue  = "[redacted]"
)

// AllowedQuery are the URL query parameters whose values survive
// scrubbing: campaign tags, language and navigation state, and script
// cache-busters. Every other parameter keeps its name and loses its value,
// and fragments are dropped whole (OAuth puts tokens there).
var AllowedQuery = map[string]bool{
	"utm_source": true, "utm_medium": true, "utm_campaign": true, "utm_term": true, "utm_content": true,
	"lang": true, "locale": true, "page": true, "tab": true, "tier": true, "plan": true, "v": true,
}

// minDigits is the shortest digit run (separators aside) taken for a card,
// phone or account number: UK numbers have 10-11 digits, cards 13-19.
const minDigits = 9

// Scrub returns s with what must never reach a log replaced: URL query
// values outside AllowedQuery and URL fragments, JWTs, bearer and basic
// credentials, secrets written as key=value, email addresses (also
// percent-encoded) and digit runs of card or phone length. It allocates
// only when it changes something.
func Scrub(s string) string {
	if strings.Contains(s, "://") {
		s = scrubURLs(s)
	}
	if strings.Contains(s, "eyJ") {
		s = scrubJWTs(s)
	}
	s = scrubCredentials(s)
	if strings.IndexByte(s, '@') >= 0 || strings.Contains(s, "%40") {
		s = scrubEmails(s)
	}
	return scrubDigits(s)
}

// urlEnd reports a byte that ends a URL written in free text.
func urlEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '"', '\'', '`', '<', '>', '(', ')', '[', ']', '{', '}', '|', '\\', '^':
		return true
	}
	return c < 0x20 || c == 0x7f
}

func scrubURLs(s string) string {
	var b strings.Builder
	last := 0 // s[:last] is already in b (or unchanged)
	for i := 0; ; {
		j := strings.Index(s[i:], "://")
		if j < 0 {
			break
		}
		start := i + j + 3
		end := start
		for end < len(s) && !urlEnd(s[end]) {
			end++
		}
		i = end
		if end == start {
			continue
		}
		u := s[start:end]
		clean := cleanURLTail(u)
		if clean == u {
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:start])
		b.WriteString(clean)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// cleanURLTail scrubs the part of a URL after its "scheme://": the query
// keeps allowed parameters, the fragment goes, and a stack frame's
// ":line:col" suffix stays.
func cleanURLTail(u string) string {
	q := strings.IndexAny(u, "?#")
	if q < 0 {
		return u
	}
	rest, pos := u[q:], ""
	if k := lineColSuffix(rest); k < len(rest) {
		rest, pos = rest[:k], rest[k:]
	}
	query := rest
	if h := strings.IndexByte(rest, '#'); h >= 0 {
		query = rest[:h]
	}
	var b strings.Builder
	b.WriteString(u[:q])
	if len(query) > 1 {
		sep := byte('?')
		for _, p := range strings.FieldsFunc(query[1:], func(r rune) bool { return r == '&' || r == ';' }) {
			b.WriteByte(sep)
			sep = '&'
			name, _, hasValue := strings.Cut(p, "=")
			switch {
			case !safeName(name):
				b.WriteString(RedactedValue)
			case AllowedQuery[name] || !hasValue:
				b.WriteString(p)
			default:
				b.WriteString(name)
				b.WriteString("=" + RedactedValue)
			}
		}
	}
	b.WriteString(pos)
	return b.String()
}

// lineColSuffix returns where a trailing ":123" or ":123:45" starts in s,
// or len(s).
func lineColSuffix(s string) int {
	end := len(s)
	for n := 0; n < 2; n++ {
		k := end
		for k > 0 && s[k-1] >= '0' && s[k-1] <= '9' {
			k--
		}
		if k == end || k == 0 || s[k-1] != ':' {
			break
		}
		end = k - 1
	}
	return end
}

// safeName reports a query parameter name short and plain enough to keep.
func safeName(n string) bool {
	if n == "" || len(n) > 32 {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !(isAlnum(c) || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isB64URL(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

func scrubJWTs(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; ; {
		j := strings.Index(s[i:], "eyJ")
		if j < 0 {
			break
		}
		start := i + j
		end, dots := start, 0
		for end < len(s) && (isB64URL(s[end]) || s[end] == '.') {
			if s[end] == '.' {
				dots++
			}
			end++
		}
		i = start + 3
		if start > 0 && isB64URL(s[start-1]) || dots != 2 || end-start < 16 {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(RedactedJWT)
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// credentialWords introduce a secret: an Authorization scheme followed by
// a space, or a key followed by '=' or ':' (optionally quoted, as in JSON).
var credentialWords = []struct {
	word   string
	scheme bool // "Bearer abc" rather than "token=abc"
}{
	{"bearer", true}, {"basic", true},
	{"password", false}, {"passwd", false}, {"secret", false}, {"token", false},
	{"api_key", false}, {"apikey", false}, {"api-key", false},
}

func isTokenChar(c byte) bool {
	return isAlnum(c) || strings.IndexByte("-._~+/=", c) >= 0
}

// scrubCredentials replaces the value after each case-insensitive
// credential word (credentialWords) with RedactedToken, in one pass.
func scrubCredentials(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c != 'a' && c != 'b' && c != 'p' && c != 's' && c != 't' {
			continue
		}
		for _, w := range credentialWords {
			if w.word[0] != c || len(s)-i < len(w.word) || !asciiEqualFold(s[i:i+len(w.word)], w.word) {
				continue
			}
			k, end := credentialValue(s, i+len(w.word), w.scheme)
			if end == k {
				break
			}
			b.WriteString(s[last:k])
			b.WriteString(RedactedToken)
			last, i = end, end-1
			break
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// credentialValue returns where the value after a credential word ending
// at k starts and ends (equal when there is none).
func credentialValue(s string, k int, scheme bool) (int, int) {
	if scheme {
		if k >= len(s) || s[k] != ' ' {
			return k, k
		}
		for k < len(s) && s[k] == ' ' {
			k++
		}
	} else {
		// "access_token", "client_secret" and the like match too.
		for k < len(s) && (isAlnum(s[k]) || s[k] == '_') {
			k++
		}
		if k < len(s) && s[k] == '"' {
			k++
		}
		for k < len(s) && s[k] == ' ' {
			k++
		}
		if k >= len(s) || s[k] != '=' && s[k] != ':' {
			return k, k
		}
		k++
		for k < len(s) && (s[k] == ' ' || s[k] == '"') {
			k++
		}
	}
	end := k
	for end < len(s) && isTokenChar(s[end]) {
		end++
	}
	if scheme && !credentialLike(s[k:end]) {
		return k, k
	}
	return k, end
}

// credentialLike tells a scheme's credential from prose ("basic
// information"): it has a digit or a symbol, or is long and of mixed case.
func credentialLike(v string) bool {
	if strings.ContainsAny(v, "0123456789-._~+/=") {
		return true
	}
	upper, lower := false, false
	for i := 1; i < len(v); i++ {
		upper = upper || v[i] >= 'A' && v[i] <= 'Z'
		lower = lower || v[i] >= 'a' && v[i] <= 'z'
	}
	return len(v) >= 8 && upper && lower
}

func asciiEqualFold(a, lower string) bool {
	for i := 0; i < len(lower); i++ {
		c := a[i]
		if c >= 'A' && c <= 'Z' {
			c |= 0x20
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// isLocalChar is what an address's local part is taken to be made of:
// RFC 5322 allows more, but "email=a@b.c" should lose only the address.
func isLocalChar(c byte) bool { return isAlnum(c) || c == '.' || c == '+' || c == '_' || c == '-' }

func isDomainChar(c byte) bool { return isAlnum(c) || c == '-' || c == '.' }

func scrubEmails(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		at, width := -1, 1
		for k := i; k < len(s); k++ {
			if s[k] == '@' {
				at = k
				break
			}
			if s[k] == '%' && k+2 < len(s) && s[k+1] == '4' && s[k+2] == '0' {
				at, width = k, 3
				break
			}
		}
		if at < 0 {
			break
		}
		start := at
		for start > last && isLocalChar(s[start-1]) {
			start--
		}
		end := at + width
		for end < len(s) && isDomainChar(s[end]) {
			end++
		}
		for end > at+width && s[end-1] == '.' || end > at+width && s[end-1] == '-' {
			end--
		}
		domain := s[at+width : end]
		i = at + width
		dot := strings.LastIndexByte(domain, '.')
		if start == at || dot <= 0 || len(domain)-dot-1 < 2 {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(RedactedEmail)
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scrubDigits replaces runs of at least minDigits digits, which may be
// grouped by single spaces, hyphens or dots and start with '+', as card
// and phone numbers are written.
func scrubDigits(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isDigit(s[i]) || i > 0 && isAlnum(s[i-1]) {
			i++
			continue
		}
		start, end, digits := i, i, 0
		for k := i; k < len(s); {
			if isDigit(s[k]) {
				digits++
				k++
				end = k
				continue
			}
			if (s[k] == ' ' || s[k] == '-' || s[k] == '.') && k+1 < len(s) && isDigit(s[k+1]) {
				k++
				continue
			}
			break
		}
		i = end
		if digits < minDigits || end < len(s) && isAlnum(s[end]) {
			continue
		}
		if start > 0 && s[start-1] == '+' {
			start--
		}
		b.WriteString(s[last:start])
		b.WriteString(RedactedNumber)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
