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

// urlEnd marks the bytes that end a URL written in free text.
var urlEnd = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	for _, c := range []byte(" \"'`<>()[]{}|\\^\x7f") {
		t[c] = true
	}
	return t
}()

// indexQueryOrFragment is strings.IndexAny(u, "?#") without its set setup.
func indexQueryOrFragment(u string) int {
	for i := 0; i < len(u); i++ {
		if u[i] == '?' || u[i] == '#' {
			return i
		}
	}
	return -1
}

// cutParam splits "name=value&rest" at the first '&' or ';'.
func cutParam(s string) (param, rest string, more bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '&' || s[i] == ';' {
			return s[:i], s[i:], true
		}
	}
	return s, "", false
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
		end, mark := start, false
		for end < len(s) && !urlEnd[s[end]] {
			mark = mark || s[end] == '?' || s[end] == '#'
			end++
		}
		i = end
		u := s[start:end]
		if !mark || !needsCleaning(u) {
			continue
		}
		if last == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:start])
		cleanURLTail(&b, u)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// needsCleaning reports a URL tail (after "scheme://") with a fragment or
// a query parameter whose value would not survive.
func needsCleaning(u string) bool {
	q := indexQueryOrFragment(u)
	if q < 0 {
		return false
	}
	rest := u[q:]
	rest = rest[:lineColSuffix(rest)]
	if strings.IndexByte(rest, '#') >= 0 {
		return true
	}
	for rest = rest[1:]; rest != ""; {
		p, tail, more := cutParam(rest)
		rest = ""
		if more {
			rest = tail[1:]
		}
		name, _, hasValue := strings.Cut(p, "=")
		if p != "" && (!safeName(name) || hasValue && !AllowedQuery[name]) {
			return true
		}
	}
	return false
}

// cleanURLTail writes the part of a URL after its "scheme://" to b,
// scrubbed: the query keeps allowed parameters, the fragment goes, and a
// stack frame's ":line:col" suffix stays.
func cleanURLTail(b *strings.Builder, u string) {
	q := indexQueryOrFragment(u)
	rest, pos := u[q:], ""
	if k := lineColSuffix(rest); k < len(rest) {
		rest, pos = rest[:k], rest[k:]
	}
	query := rest
	if h := strings.IndexByte(rest, '#'); h >= 0 {
		query = rest[:h]
	}
	b.WriteString(u[:q])
	sep := byte('?')
	for rest := query; len(rest) > 1; {
		var p string
		p, rest, _ = cutParam(rest[1:]) // past the '?', '&' or ';' before it
		if p == "" {
			continue
		}
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
	b.WriteString(pos)
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

// credentialFirst maps a byte to the credentialWords starting with it, in
// either case; credentialSecond holds, for each first byte, the words'
// second letters as bits, so most bytes cost one lookup and a mask.
var credentialFirst, credentialSecond = func() (t [256][]int, second [256]uint32) {
	for i, w := range credentialWords {
		for _, c := range []byte{w.word[0], w.word[0] - 'a' + 'A'} {
			t[c] = append(t[c], i)
			second[c] |= 1 << (w.word[1] - 'a')
		}
	}
	return t, second
}()

// scrubCredentials replaces the value after each case-insensitive
// credential word (credentialWords) with RedactedToken, in one pass.
func scrubCredentials(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i+1 < len(s); i++ {
		m := credentialSecond[s[i]]
		if m == 0 {
			continue
		}
		if c := (s[i+1] | 0x20) - 'a'; c >= 26 || m&(1<<c) == 0 {
			continue
		}
		for _, wi := range credentialFirst[s[i]] {
			w := credentialWords[wi]
			if len(s)-i < len(w.word) || !asciiEqualFold(s[i:i+len(w.word)], w.word) {
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
		if start == at || dot <= 0 || !isTLD(domain[dot+1:]) {
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

// isTLD reports a top-level domain: two or more letters, or an IDN's
// "xn--" label ("web@2026.12.01" is a release, not an address).
func isTLD(l string) bool {
	if strings.HasPrefix(l, "xn--") {
		return true
	}
	for i := 0; i < len(l); i++ {
		if c := l[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return len(l) >= 2
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// numberByte is what a card or phone number is written with.
var numberByte = func() (t [256]bool) {
	for _, c := range []byte("0123456789 -.") {
		t[c] = true
	}
	return t
}()

// scrubDigits replaces runs of at least minDigits digits, which may be
// grouped by single spaces, hyphens or dots and start with '+', as card
// and phone numbers are written.
func scrubDigits(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		// A run spans at least minDigits bytes of numberByte: when the
		// last byte of this window is not one, no run starts in it.
		if w := i + minDigits - 1; w < len(s) && !numberByte[s[w]] {
			i = w + 1
			continue
		}
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
