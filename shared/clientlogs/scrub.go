package clientlogs

import (
	"strings"
	"unicode"
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
// values outside AllowedQuery, URL fragments and credentials, JWTs,
// bearer, basic and token credentials, secrets and session ids written as
// key=value, self-identifying tokens (knownTokens, and aKeys: AWS access
// key ids and Google API keys),
// email addresses (also percent-encoded) and digit runs of card or phone
// length. It allocates only when it changes something.
func Scrub(s string) string {
	if quiet(s) {
		return s
	}
	return scrub(s, strings.Contains(s, "://"))
}

// scrub is Scrub with its URL pass only when urls is true.
func scrub(s string, urls bool) string {
	if urls {
		s = scrubURLs(s)
	}
	if strings.IndexByte(s, '?') >= 0 {
		s = scrubRelativeQueries(s)
	}
	if hasJWTStart(s) {
		s = scrubJWTs(s)
	}
	s, tokens := scrubCredentials(s)
	if tokens {
		s = scrubKnownTokens(s)
	}
	if strings.IndexByte(s, '@') >= 0 || strings.Contains(s, "%40") {
		s = scrubEmails(s)
	}
	return scrubDigits(s)
}

// quiet reports a string no rule can match, so Scrub can return it at
// once: shorter than any token, JWT or key (16 bytes), of letters, digits
// and "._-" only (no URL, query, address, key=value or scheme separator),
// with fewer digits than a number (minDigits). Context values, keys,
// releases and session ids mostly are.
func quiet(s string) bool {
	if len(s) >= 16 {
		return false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c|0x20 >= 'a' && c|0x20 <= 'z' || c == '.' || c == '_' || c == '-':
		default:
			return false
		}
	}
	return digits < minDigits
}

// urlEnd marks the bytes that end a URL written in free text: whitespace,
// controls, double quotes, backticks, angle and curly brackets and
// backslashes. Browsers leave ( ) [ ] ' | unencoded in location.href, so
// they belong to the URL; a ')' with no '(' before it in the URL ends it
// (a stack frame's "(https://…:1:2)").
var urlEnd = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	for _, c := range []byte(" \"`<>{}\\^\x7f") {
		t[c] = true
	}
	return t
}()

// grow sizes b for the whole result at its first write: one allocation
// rather than a doubling series.
func grow(b *strings.Builder, n int) {
	if b.Cap() == 0 {
		b.Grow(n)
	}
}

// cutParam splits "name=value&rest" at the first '&' or ';'.
func cutParam(s string) (param, rest string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '&' || s[i] == ';' {
			return s[:i], s[i:]
		}
	}
	return s, ""
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
		// One pass finds the URL's end and what cleanURL looks for.
		end, depth, at, q := start, 0, -1, -1
		host := true // before the first '/', '?' or '#'
	scan:
		for ; end < len(s); end++ {
			switch urlByte[s[end]] {
			case urlPlain:
				continue
			case urlStop:
				break scan
			case '(':
				depth++
			case ')':
				if depth == 0 {
					break scan
				}
				depth--
			case '/':
				host = false
			case '@':
				if host {
					at = end - start
				}
			case '?':
				if q < 0 {
					q, host = end-start, false
				}
			}
		}
		i = end
		u := s[start:end]
		c, changed := cleanURLParts("", u, at, q)
		if !changed {
			continue
		}
		if last == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:start])
		b.WriteString(c)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// urlByte classes the bytes of a URL written in free text for scrubURLs:
// urlStop ends it (urlEnd), '(' and ')' nest, '/', '@' and '?' (for '#'
// too) are themselves, and the rest are urlPlain.
var urlByte = func() (t [256]byte) {
	for c := range t {
		switch {
		case urlEnd[c]:
			t[c] = urlStop
		case strings.IndexByte("()/@?", byte(c)) >= 0:
			t[c] = byte(c)
		case c == '#':
			t[c] = '?'
		}
	}
	return t
}()

const (
	urlPlain = 0
	urlStop  = 1
)

// cleanURL scrubs the part of a URL after its "scheme://": credentials
// before the host go, the query keeps allowed parameters, the fragment
// goes, and a script's ":line:col" (a stack frame) stays. It returns head
// followed by the result and true, or false when there is nothing to
// change.
func cleanURL(head, u string) (string, bool) {
	// Where the host ends, the last '@' in it and where the query or
	// fragment starts.
	hostEnd, at, q := -1, -1, -1
	for i := 0; i < len(u) && q < 0; i++ {
		switch u[i] {
		case '/':
			if hostEnd < 0 {
				hostEnd = i
			}
		case '@':
			if hostEnd < 0 {
				at = i
			}
		case '?', '#':
			q = i
		}
	}
	return cleanURLParts(head, u, at, q)
}

// cleanURLParts is cleanURL given the last '@' before the host ends and
// where the query or fragment starts (-1 for none).
func cleanURLParts(head, u string, at, q int) (string, bool) {
	prefix := ""
	if at >= 0 {
		prefix, u = RedactedValue+"@", u[at+1:]
		if q >= 0 {
			q -= at + 1
		}
	}
	if q < 0 {
		q = len(u)
	}
	path, rest, pos := u[:q], u[q:], ""
	// A URL in the path ("/r/https://u:p@x.io/") is cleaned as a URL:
	// scrubURLs, which called this, skips what it has taken as one URL.
	inner := false
	if strings.Contains(path, "://") {
		if c := scrubURLs(path); c != path {
			path, inner = c, true
		}
	}
	query, fragment, keep, changed := "", false, 0, false
	if rest != "" {
		if scriptPath(path) {
			if k := lineColSuffix(rest); k < len(rest) {
				rest, pos = rest[:k], rest[k:]
			}
		}
		query = rest
		if h := strings.IndexByte(rest, '#'); h >= 0 {
			query, fragment = rest[:h], true
		}
		keep, changed = queryChange(query)
	}
	if prefix == "" && !inner && !fragment && !changed {
		return "", false
	}
	// One allocation: head, then the cleaned URL.
	var b strings.Builder
	b.Grow(len(head) + len(prefix) + len(u) + 16)
	b.WriteString(head)
	b.WriteString(prefix)
	b.WriteString(path)
	if changed {
		b.WriteString(query[:keep])
		writeQuery(&b, query[keep:], keep > 0)
	} else {
		b.WriteString(query)
	}
	b.WriteString(pos)
	return b.String(), true
}

// scriptPath reports a URL path of a script, whose trailing ":line:col"
// is a stack frame's position rather than part of the URL.
func scriptPath(p string) bool {
	for _, ext := range []string{".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

// queryNeedsCleaning reports a query ("?a=b&c") with a parameter that
// paramAction changes.
func queryNeedsCleaning(query string) bool {
	for rest := query; len(rest) > 1; {
		var p string
		p, rest = cutParam(rest[1:])
		if paramAction(p) != keepParam {
			return true
		}
	}
	return false
}

// cleanQuery returns query ("?a=b&c") as writeQuery writes it and true,
// or query itself and false when no parameter changes.
func cleanQuery(query string) (string, bool) {
	keep, changed := queryChange(query)
	if !changed {
		return query, false
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	b.WriteString(query[:keep])
	writeQuery(&b, query[keep:], keep > 0)
	return b.String(), true
}

// queryChange reports whether writeQuery would change query and, if so,
// how much of it (query[:keep]) it would write as it is: the parameters
// before the first that changes (or the first ';'), so that those are
// not decided twice.
func queryChange(query string) (keep int, changed bool) {
	i := 0 // query[:i] is as writeQuery would write it
	for i+1 < len(query) && (i == 0 || query[i] == '&') {
		p, _ := cutParam(query[i+1:])
		if paramAction(p) != keepParam {
			break
		}
		i += 1 + len(p)
	}
	if i+1 >= len(query) || !queryNeedsCleaning(query[i:]) {
		return 0, false
	}
	return i, true
}

// writeQuery writes query with each parameter as paramAction says, empty
// ones left out, the first after a '?' or, with more, after a '&'.
func writeQuery(b *strings.Builder, query string, more bool) {
	sep := byte('?')
	if more {
		sep = '&'
	}
	for rest := query; len(rest) > 1; {
		var p string
		p, rest = cutParam(rest[1:]) // past the '?', '&' or ';' before it
		if p == "" {
			continue
		}
		b.WriteByte(sep)
		sep = '&'
		switch paramAction(p) {
		case keepParam:
			b.WriteString(p)
		case redactValue:
			name, _, _ := strings.Cut(p, "=")
			b.WriteString(name)
			b.WriteString("=" + RedactedValue)
		default:
			b.WriteString(RedactedValue)
		}
	}
}

// What paramAction says of a query parameter.
const (
	keepParam   = iota // as it is
	redactValue        // its name, and RedactedValue for its value
	redactAll          // RedactedValue for the whole of it
)

// paramAction decides a query parameter: an allowed name keeps a plain
// value, any other keeps its name and loses its value, a name that is not
// plain or a bare value long enough to be a token goes whole.
func paramAction(p string) int {
	// One pass over the name up to the '=': kept only if plain (nameByte)
	// and at most 32 bytes.
	i := 0
	for i < len(p) && p[i] != '=' {
		if !nameByte[p[i]] {
			return redactAll
		}
		i++
	}
	switch name := p[:i]; {
	case name == "" || len(name) > 32:
		return redactAll
	case i == len(p) && len(name) >= 16:
		return redactAll // "?9f86d081884c7d65…": a bare token
	case i == len(p) || p[i+1:] == RedactedValue || allowedParam(name) && plainValue(p[i+1:]):
		return keepParam
	}
	return redactValue
}

// allowedByLen holds AllowedQuery by name length: every URL of a stack
// asks, and a string or two of the same length cost less than a hash.
var allowedByLen = func() (t [33][]string) {
	for n := range AllowedQuery {
		t[len(n)] = append(t[len(n)], n)
	}
	return t
}()

// allowedParam reports a name in AllowedQuery; name is at most 32 bytes.
func allowedParam(name string) bool {
	for _, n := range allowedByLen[len(name)] {
		if n == name {
			return true
		}
	}
	return false
}

// plainValue reports a value an allowed parameter keeps: short, of
// letters, digits and "._~+-%".
func plainValue(v string) bool {
	if len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !valueByte[v[i]] {
			return false
		}
	}
	return true
}

// nameByte and valueByte are what a kept parameter's name and an allowed
// one's value (plainValue) may hold.
var nameByte, valueByte = func() (n, v [256]bool) {
	for c := 0; c < 256; c++ {
		n[c] = isAlnum(byte(c)) || strings.IndexByte("_-.[]", byte(c)) >= 0
		v[c] = isAlnum(byte(c)) || strings.IndexByte("._~+-%", byte(c)) >= 0
	}
	return n, v
}()

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

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isB64URL(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

// hasJWTStart reports an "eyJ" (a JWT's first bytes, `{"` in base64) in
// s. It looks for the rare 'J' rather than the common 'e', which would
// stop strings.Contains at every other word.
func hasJWTStart(s string) bool {
	for i := 2; i < len(s); {
		j := strings.IndexByte(s[i:], 'J')
		if j < 0 {
			return false
		}
		i += j
		if s[i-2] == 'e' && s[i-1] == 'y' {
			return true
		}
		i++
	}
	return false
}

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
		// A JWS has three parts, a JWE (Auth.js sessions, say) five.
		if start > 0 && isB64URL(s[start-1]) || dots != 2 && dots != 4 || end-start < 16 {
			continue
		}
		grow(&b, len(s))
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

// secretWords name a secret or a session handle. In text each is a key
// whose value, after '=' or ':' (the key optionally quoted, as in JSON),
// is replaced; in a record's context, a key whose value is. A word of
// three letters counts only where a word starts ("user_sid", "userSid",
// not "consider"). In text a word matches inside a longer key
// ("access_token", "client_secret") except an exact one, which must end
// it: "auth=…" and "x-auth: …", not "Authorization: Bearer …", which the
// scheme rule reads.
var secretWords = []struct {
	word  string
	exact bool
}{
	{"password", false}, {"passwd", false}, {"pwd", false}, {"secret", false}, {"token", false},
	{"session", false}, {"sid", false}, {"cookie", false}, {"otp", false}, {"auth", true},
	{"api_key", false}, {"apikey", false}, {"api-key", false},
}

// schemeWords introduce a credential after a space: "Authorization:
// Bearer abc", "Authorization: Token ghp_…".
var schemeWords = []string{"bearer", "basic", "token"}

// credentialWords are what scrubCredentials looks for: schemeWords first
// ("token" is both), then secretWords.
var credentialWords = func() (ws []credentialWord) {
	for _, w := range schemeWords {
		ws = append(ws, credentialWord{word: w, scheme: true})
	}
	for _, w := range secretWords {
		ws = append(ws, credentialWord{word: w.word, exact: w.exact})
	}
	return ws
}()

type credentialWord struct {
	word   string
	scheme bool // "Bearer abc" rather than "token=abc"
	exact  bool // see secretWords
}

// wordStartsAt reports whether a word starts at s[i]: at the start, after
// a byte that is no letter, or at an upper-case letter after a lower-case
// one.
func wordStartsAt(s string, i int) bool {
	if i == 0 {
		return true
	}
	p, c := s[i-1], s[i]
	return !(p|0x20 >= 'a' && p|0x20 <= 'z') || p >= 'a' && p <= 'z' && c >= 'A' && c <= 'Z'
}

func isTokenChar(c byte) bool {
	return isAlnum(c) || strings.IndexByte("-._~+/=", c) >= 0
}

// credentialFirst maps a byte to the credentialWords starting with it, in
// either case. scanClass holds, for each first byte, the words' second
// letters as bits, and tokenBit for a byte scrubKnownTokens stops at
// (tokenMark), so most bytes cost one lookup.
var credentialFirst, scanClass = func() (t [256][]int, class [256]uint32) {
	for i, w := range credentialWords {
		for _, c := range []byte{w.word[0], w.word[0] - 'a' + 'A'} {
			t[c] = append(t[c], i)
			class[c] |= 1 << (w.word[1] - 'a')
		}
	}
	for c, mark := range tokenMark {
		if mark {
			class[c] |= tokenBit
		}
	}
	return t, class
}()

const tokenBit = 1 << 31

// scrubCredentials replaces the value after each case-insensitive
// credential word (credentialWords) with RedactedToken, in one pass. The
// same pass looks for knownTokens, as most text has none: tokens reports
// one left in the result for scrubKnownTokens.
func scrubCredentials(s string) (_ string, tokens bool) {
	var b strings.Builder
	last := 0
	for i := 0; i+1 < len(s); i++ {
		m := scanClass[s[i]]
		if m == 0 {
			continue
		}
		if m&tokenBit != 0 && !tokens {
			if start, _ := knownTokenAt(s, i, last); start >= 0 {
				tokens = true
			}
		}
		if c := (s[i+1] | 0x20) - 'a'; c >= 26 || m&(1<<c) == 0 {
			continue
		}
		for _, wi := range credentialFirst[s[i]] {
			w := credentialWords[wi]
			if len(s)-i < len(w.word) || !asciiEqualFold(s[i:i+len(w.word)], w.word) {
				continue
			}
			if len(w.word) < 4 && !wordStartsAt(s, i) {
				continue // "sid" in "consider"
			}
			k, end := credentialValue(s, i+len(w.word), w)
			if end == k {
				continue // "token" is a key and a scheme: try the other
			}
			grow(&b, len(s))
			b.WriteString(s[last:k])
			b.WriteString(RedactedToken)
			last, i = end, end-1
			break
		}
	}
	if last == 0 {
		return s, tokens
	}
	b.WriteString(s[last:])
	return b.String(), tokens
}

// credentialValue returns where the value after the credential word w
// ending at k starts and ends (equal when there is none).
func credentialValue(s string, k int, w credentialWord) (int, int) {
	if w.scheme {
		if k >= len(s) || s[k] != ' ' && s[k] != '\t' {
			return k, k
		}
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
	} else {
		// "access_token", "client_secret" and the like match too, but
		// an exact word must end the key.
		if w.exact && k < len(s) && (isAlnum(s[k]) || s[k] == '_') {
			return k, k
		}
		for k < len(s) && (isAlnum(s[k]) || s[k] == '_') {
			k++
		}
		switch {
		case strings.HasPrefix(s[k:], `\"`):
			k += 2
		case k < len(s) && (s[k] == '"' || s[k] == '\''):
			k++
		}
		for k < len(s) && s[k] == ' ' {
			k++
		}
		if k >= len(s) || s[k] != '=' && s[k] != ':' {
			return k, k
		}
		k++
		for k < len(s) && s[k] == ' ' {
			k++
		}
		return secretValue(s, k)
	}
	end := k
	for end < len(s) && isTokenChar(s[end]) {
		end++
	}
	if !credentialLike(s[k:end]) {
		return k, k
	}
	return k, end
}

// secretValue returns where the value starting at k begins and ends: a
// quoted one ('…', "…" or \"…\" in a JSON string) to its closing quote, an
// unquoted one to whitespace or one of & ; , ) ] }.
func secretValue(s string, k int) (int, int) {
	for _, m := range []string{RedactedValue, RedactedToken, RedactedEmail, RedactedJWT, RedactedNumber} {
		if strings.HasPrefix(s[k:], m) {
			return k, k // already scrubbed
		}
	}
	quote := ""
	switch {
	case strings.HasPrefix(s[k:], `\"`):
		quote = `\"`
	case k < len(s) && (s[k] == '"' || s[k] == '\''):
		quote = s[k : k+1]
	}
	if quote != "" {
		k += len(quote)
		end := strings.Index(s[k:], quote)
		if end < 0 {
			end = len(s) - k
		}
		return k, k + end
	}
	end := k
	for end < len(s) && !unicode.IsSpace(rune(s[end])) && strings.IndexByte("&;,)]}\"'", s[end]) < 0 {
		end++
	}
	return k, end
}

// wordStart and wordEnd are urlEnd with, before a path, '(' and '\” (a
// stack frame's "(/app.js?v=1:2:3)" or a quoted path), and after it ')'.
var wordStart, wordEnd = func() (start, end [256]bool) {
	start, end = urlEnd, urlEnd
	start['('], start['\''], end[')'] = true, true, true
	return start, end
}()

// scrubRelativeQueries scrubs the query of a path written without a
// scheme ("GET /account?name=Jane"): a '?' in a word that starts with '/'.
func scrubRelativeQueries(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		q := strings.IndexByte(s[i:], '?')
		if q < 0 {
			break
		}
		q += i
		start := q
		for start > last && !wordStart[s[start-1]] {
			start--
		}
		end := q
		for end < len(s) && !wordEnd[s[end]] {
			end++
		}
		i = end
		word := s[start:end]
		if !strings.HasPrefix(word, "/") || strings.Contains(word, "://") {
			continue
		}
		path, query, fragment := s[start:q], s[q:end], false
		if h := strings.IndexByte(query, '#'); h >= 0 {
			query, fragment = query[:h], true
		}
		query, changed := cleanQuery(query)
		if !fragment && !changed {
			continue
		}
		grow(&b, len(s))
		b.WriteString(s[last:start])
		b.WriteString(path)
		b.WriteString(query)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
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
func isLocalChar(c byte) bool {
	return isAlnum(c) || c >= 0x80 || c == '.' || c == '+' || c == '_' || c == '-' || c == '%'
}

// isDomainChar counts non-ASCII bytes in: internationalised domains.
func isDomainChar(c byte) bool { return isAlnum(c) || c >= 0x80 || c == '-' || c == '.' }

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
		grow(&b, len(s))
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

func isHex(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

// separators returns how many bytes of s, at most three, are a number's
// group separators: spaces, '-', '.', '/', '(', ')', '+' or "%20".
func separators(s string) int {
	n := 0
	for n < len(s) && n < 3 {
		switch {
		case separatorByte[s[n]]:
			n++
		case s[n] == '%' && strings.HasPrefix(s[n:], "%20"):
			n += 3
		default:
			return n
		}
	}
	return n
}

// separatorByte marks the one-byte group separators.
var separatorByte = [256]bool{' ': true, '-': true, '.': true, '/': true, '(': true, ')': true, '+': true}

// numberByte is what a card or phone number is written with.
var numberByte = func() (t [256]bool) {
	for _, c := range []byte("0123456789 -./()+%") {
		t[c] = true
	}
	return t
}()

// scrubDigits replaces runs of at least minDigits digits, grouped by up to
// three separator bytes (separators) and perhaps starting with '+', as card
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
			// Up to three separator bytes between groups: "(555) 123",
			// "4111  1111", "07700%20900123", "+44 (0) 20".
			if n := separators(s[k:]); n > 0 && k+n < len(s) && isDigit(s[k+n]) {
				k += n
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
		grow(&b, len(s))
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

// PageURL scrubs a page's address (a record's url) as one URL rather than
// as text: the whole value is the URL, whatever characters it holds, so
// its credentials, fragment and query are cleaned (cleanURL) before the
// text scrub. A value that is not an absolute URL is scrubbed as text.
func PageURL(raw string) string {
	i := strings.Index(raw, "://")
	if i <= 0 || !scheme(raw[:i]) || hasSpace(raw) {
		return Scrub(raw)
	}
	// The text pass need not clean the URL again, only another one in it.
	rest := raw[i+3:]
	u := raw
	if c, changed := cleanURL(raw[:i+3], rest); changed {
		u = c
	}
	return scrub(u, strings.Contains(rest, "://"))
}

// hasSpace reports a space, tab, CR or LF in s.
func hasSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			return true
		}
	}
	return false
}

// scheme reports a URL scheme: a letter, then letters, digits, '+', '-'
// or '.'.
func scheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c|0x20 >= 'a' && c|0x20 <= 'z' || i > 0 && (isDigit(c) || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// knownTokens are prefixes of credentials that identify themselves
// wherever they are written: GitHub, GitLab, Slack and Stripe (live and
// test keys alike). Each ends in '_' or '-', which is what is looked for.
var knownTokens = []string{
	"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-",
	"xoxb-", "xoxp-", "xoxa-", "xoxe-", "xoxr-", "xoxs-", "xapp-",
	"sk_live_", "rk_live_", "sk_test_", "rk_test_",
}

// byPenult lists the knownTokens by the byte two before their end ('h' of
// "ghp_", 'x' of "xoxb-"): a '_' or '-' after any other byte ends none, and
// after one of these only the few listed can end there.
var byPenult = func() (t [256][]string) {
	for _, p := range knownTokens {
		t[p[len(p)-3]] = append(t[p[len(p)-3]], p)
	}
	return t
}()

// Keys that start with 'A' and have a fixed length: AWS access key ids
// (AKIA, ASIA; 20 upper-case characters) and Google API keys (AIza; 39).
var aKeys = []struct {
	prefix string
	length int
}{{"AKIA", 20}, {"ASIA", 20}, {"AIza", 39}}

// tokenMark marks the bytes scrubKnownTokens stops at: aKeys' first
// ('A') and the knownTokens' last.
var tokenMark = [256]bool{'A': true, '_': true, '-': true}

// scrubKnownTokens replaces each known credential (a knownTokens prefix
// and a tail tokenTail accepts, or an aKeys key) with RedactedToken, in
// one scan for the tokenMark bytes.
func scrubKnownTokens(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if !tokenMark[s[i]] {
			continue
		}
		start, end := knownTokenAt(s, i, last)
		if start < 0 {
			continue
		}
		grow(&b, len(s))
		b.WriteString(s[last:start])
		b.WriteString(RedactedToken)
		last, i = end, end-1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// knownTokenAt returns where the known token marked at s[i] (a tokenMark
// byte) starts and ends, or -1: an aKeys key starting at i, or a
// knownTokens token whose prefix ends at i and starts at or after from.
func knownTokenAt(s string, i, from int) (start, end int) {
	tokenEnd := func(k int) int {
		for k < len(s) && (isAlnum(s[k]) || s[k] == '_' || s[k] == '-') {
			k++
		}
		return k
	}
	switch c := s[i]; {
	case c == 'A' && i+4 <= len(s):
		for _, k := range aKeys {
			if s[i:i+4] == k.prefix && tokenStart(s, i) {
				if e := tokenEnd(i); e-i == k.length {
					return i, e
				}
				break
			}
		}
	case (c == '_' || c == '-') && i >= 3:
		for _, p := range byPenult[s[i-2]] {
			k := i + 1 - len(p)
			if p[len(p)-1] != c || k < from || k < 0 || s[k:i+1] != p || !tokenStart(s, k) {
				continue
			}
			if n := tokenTail(p, s[i+1:tokenEnd(i+1)]); n > 0 {
				return k, i + 1 + n
			}
			break
		}
	}
	return -1, 0
}

// tokenStart reports whether a token may start at s[k]: at the start,
// after a byte that is no letter or digit, or after a percent-encoded one
// ("%2Fsk_live_…", "key%3DAIza…").
func tokenStart(s string, k int) bool {
	return k == 0 || !isAlnum(s[k-1]) || k >= 3 && s[k-3] == '%' && isHex(s[k-2]) && isHex(s[k-1])
}

// tokenTail returns how much of tail, the token characters after the
// knownTokens prefix p, is that kind of credential, or 0: at least 12
// characters, and for Stripe's keys letters and digits only (16 or more),
// for Slack's a digit first, so that an identifier that merely starts like
// one (sk_test_helpers, xoxs-nightly-build) is left alone.
func tokenTail(p, tail string) int {
	switch {
	case strings.HasSuffix(p, "_live_") || strings.HasSuffix(p, "_test_"):
		n := 0
		for n < len(tail) && isAlnum(tail[n]) {
			n++
		}
		if n < 16 {
			return 0
		}
		return n
	case strings.HasPrefix(p, "xox") || p == "xapp-":
		if tail == "" || !isDigit(tail[0]) {
			return 0
		}
	}
	if len(tail) < 12 {
		return 0
	}
	return len(tail)
}
