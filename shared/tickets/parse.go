package tickets

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/levqor/serverless/shared/jsonscan"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/tiers"
)

// Limits of a ticket request (SPEC "POST /api/support/tickets").
const (
	// MaxRequestBytes bounds the raw request body. API Gateway allows far
	// more; a ticket never needs it, and refusing early keeps memory and
	// DynamoDB item size (400 KB) safe.
	MaxRequestBytes = 64 << 10
	// MaxSubjectRunes and MaxBodyRunes count characters (runes), not bytes,
	// so a subject in any script gets the same allowance.
	MaxSubjectRunes = 200
	MaxBodyRunes    = 10_000
	// MaxEmailBytes is RFC 5321's limit on a forward path.
	MaxEmailBytes = 254
)

// Field-error reasons used in problem documents. Clients may branch on them.
const (
	ReasonRequired = "required"
	ReasonTooLong  = "too_long"
	ReasonInvalid  = "invalid"
	ReasonType     = "type"
	ReasonUnknown  = "unknown"
	ReasonDup      = "duplicate"
	ReasonControl  = "control_characters"
	ReasonEncoding = "encoding"
	ReasonBidi     = "bidi_control"
	ReasonNoText   = "no_visible_characters"
)

// Request is a parsed, validated ticket request. Subject and Body are kept
// exactly as the customer wrote them.
type Request struct {
	Subject string
	Body    string
	// Tier is the tier the body claims, tiers.Default when it names none.
	Tier tiers.Tier
	// TierGiven records whether the body named a tier at all, so a verified
	// caller who names none is not compared against the default.
	TierGiven bool
	// Email is empty when the request has none.
	Email string
}

// fields are the only accepted member names, exactly as spelled here.
var fields = [...]string{"subject", "body", "tier", "email"}

// Parse decodes and validates a ticket request body.
//
// Parse is strict because encoding/json is not: it refuses (as a
// *problem.Error) bodies over MaxRequestBytes (TooLarge), bytes that are not
// UTF-8, JSON that is malformed, not an object or followed by more data
// (MalformedJSON), and unknown members, members repeated or differing from a
// known name only in case, values that are not strings, and values out of
// range (Validation, naming the field). Value errors are reported together;
// structural errors stop parsing at once.
func Parse(b string) (Request, error) {
	if len(b) > MaxRequestBytes {
		return Request{}, problem.Newf(problem.TooLarge, "request body exceeds %d bytes", MaxRequestBytes)
	}
	if bad := invalidUTF8At(b); bad >= 0 {
		return Request{}, encodingError(b, bad)
	}
	// JSON readers (encoding/json, jsonscan) turn an unpaired \ud800-\udfff
	// escape into U+FFFD: refuse it so that what is stored is what was sent.
	if bad := loneSurrogateAt(b); bad >= 0 {
		if field := fieldAt(b, bad); field != "" {
			return Request{}, problem.Invalid(field, ReasonEncoding, field+` holds a \u escape of an unpaired UTF-16 surrogate, which is not a character`)
		}
		return Request{}, problem.New(problem.MalformedJSON, `request body holds a \u escape of an unpaired UTF-16 surrogate`)
	}
	values, err := scanObject(b)
	if err != nil {
		return Request{}, err
	}
	return validate(values)
}

// scanObject walks the token stream of a single top-level object whose
// members must all be known names with string values. It returns the values
// by field name, substrings of b where they hold no escape.
func scanObject(b string) (map[string]string, error) {
	p := jsonscan.New(b)
	if p.PeekKind() != '{' {
		if _, err := p.ReadToken(); err != nil {
			return nil, syntaxError(p, b)
		}
		return nil, problem.New(problem.MalformedJSON, "request body must be a JSON object")
	}
	p.ReadToken()
	values := make(map[string]string, len(fields))
	for p.PeekKind() == '"' {
		key, err := p.ReadString()
		if err != nil {
			return nil, syntaxError(p, b)
		}
		if err := checkKey(key, values); err != nil {
			return nil, err
		}
		if p.PeekKind() != '"' {
			if _, err := p.ReadToken(); err != nil { // a literal that is not one, or nothing
				return nil, syntaxError(p, b)
			}
			return nil, problem.Invalid(key, ReasonType, key+" must be a string")
		}
		v, err := p.ReadString()
		if err != nil {
			return nil, syntaxError(p, b)
		}
		values[key] = v
	}
	if _, err := p.ReadToken(); err != nil { // the closing brace
		return nil, syntaxError(p, b)
	}
	if !p.End() {
		return nil, problem.New(problem.MalformedJSON, "request body has data after the JSON object")
	}
	return values, nil
}

// checkKey refuses unknown, case-variant and repeated member names. A
// case-variant ("TIER") is refused rather than folded because
// encoding/json would silently fold it and a duplicate could then override
// an earlier value unseen by a proxy or WAF in front of us.
func checkKey(key string, seen map[string]string) error {
	name := safeName(key)
	for _, f := range fields {
		if key == f {
			if _, dup := seen[key]; dup {
				return problem.Invalid(f, ReasonDup, f+" appears more than once")
			}
			return nil
		}
	}
	for _, f := range fields {
		if strings.EqualFold(key, f) {
			return problem.Invalid(name, ReasonUnknown, "unknown field "+strconv.Quote(name)+"; field names are case-sensitive, use "+strconv.Quote(f))
		}
	}
	return problem.Invalid(name, ReasonUnknown, "unknown field "+strconv.Quote(name)+"; allowed: subject, body, tier, email")
}

// safeName bounds an unknown member name before it is echoed in a problem
// document, so an attacker cannot reflect a large or odd string back.
func safeName(key string) string {
	var sb strings.Builder
	for i, r := range key {
		if i >= 64 {
			sb.WriteString("…")
			break
		}
		if unicode.IsControl(r) || r == utf8.RuneError {
			r = '?'
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// validate checks each value's range and collects every field error.
func validate(v map[string]string) (Request, error) {
	var errs []*problem.Error
	req := Request{Subject: v["subject"], Body: v["body"], Tier: tiers.Default, Email: v["email"]}

	switch n := utf8.RuneCountInString(req.Subject); {
	case strings.TrimSpace(req.Subject) == "":
		errs = append(errs, problem.Invalid("subject", ReasonRequired, "subject is required"))
	case n > MaxSubjectRunes:
		errs = append(errs, problem.Invalid("subject", ReasonTooLong, "subject must be at most "+strconv.Itoa(MaxSubjectRunes)+" characters"))
	case strings.IndexFunc(req.Subject, unicode.IsControl) >= 0:
		errs = append(errs, problem.Invalid("subject", ReasonControl, "subject must not contain control characters such as line breaks or tabs"))
	case strings.IndexFunc(req.Subject, isBidiControl) >= 0:
		errs = append(errs, problem.Invalid("subject", ReasonBidi, "subject must not contain bidirectional control characters (U+202A-E, U+2066-9, U+200E/F, U+061C)"))
	case strings.IndexFunc(req.Subject, isVisible) < 0:
		errs = append(errs, problem.Invalid("subject", ReasonNoText, "subject must contain a visible character"))
	}

	switch n := utf8.RuneCountInString(req.Body); {
	case strings.TrimSpace(req.Body) == "":
		errs = append(errs, problem.Invalid("body", ReasonRequired, "body is required"))
	case n > MaxBodyRunes:
		errs = append(errs, problem.Invalid("body", ReasonTooLong, "body must be at most "+strconv.Itoa(MaxBodyRunes)+" characters"))
	}

	if t, ok := v["tier"]; ok {
		tier, err := tiers.Parse(t)
		if err != nil {
			errs = append(errs, problem.Invalid("tier", ReasonInvalid, err.Error()))
		}
		req.Tier, req.TierGiven = tier, true
	}

	if e, ok := v["email"]; ok && !validEmail(e) {
		errs = append(errs, problem.Invalid("email", ReasonInvalid, "email must be a valid address like name@example.com"))
	}

	if len(errs) == 0 {
		return req, nil
	}
	out := errs[0]
	for _, e := range errs[1:] {
		out.Fields = append(out.Fields, e.Fields...)
	}
	return Request{}, out
}

// validEmail accepts a bare addr-spec (no display name, no comments) of at
// most MaxEmailBytes whose domain has a dot: what a helpdesk can reply to.
func validEmail(s string) bool {
	if s == "" || len(s) > MaxEmailBytes || strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0 {
		return false
	}
	if !addrSpec(s) {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// addrSpec reports whether s is exactly what net/mail.ParseAddress(s)
// returns as Address with no Name, for an s without spaces or control
// characters (validEmail checks those first): a dot-atom local part, '@',
// and a dot-atom domain or a bracketed IP address. A quoted local part,
// a display name, angle brackets or a comment never qualify, since
// ParseAddress's Address would then differ from s. Written out instead of
// calling net/mail, which cost the tickets binary about 130 KiB for this one
// check; a fuzz test compares the two.
func addrSpec(s string) bool {
	at := strings.IndexByte(s, '@')
	if at < 0 || !dotAtom(s[:at]) {
		return false
	}
	domain := s[at+1:]
	if len(domain) >= 2 && domain[0] == '[' && domain[len(domain)-1] == ']' {
		return net.ParseIP(domain[1:len(domain)-1]) != nil
	}
	return dotAtom(domain)
}

// dotAtom reports whether s is an RFC 5322 dot-atom as net/mail reads it:
// atext runes (printable ASCII other than the specials, or any valid
// multi-byte UTF-8 rune, RFC 6532) in dot-separated non-empty parts.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if size == 1 && (r == utf8.RuneError || r < '!' || r > '~' || strings.IndexByte(`()<>[]:;@\,"`, byte(r)) >= 0) {
			return false
		}
		i += size
	}
	return true
}

// syntaxError is the MalformedJSON problem for body b, which p could not
// read: it gives the byte offset but never echoes the input.
func syntaxError(p *jsonscan.Scanner, b string) error {
	if len(strings.TrimSpace(b[p.Offset():])) == 0 {
		return problem.New(problem.MalformedJSON, "request body is empty or ends early")
	}
	return problem.Newf(problem.MalformedJSON, "request body is not valid JSON (at byte %d)", p.Offset())
}

// isBidiControl reports the Unicode bidirectional formatting characters
// (embeddings, overrides, isolates and marks).
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}

// isVisible reports a rune that shows as something: a letter, digit,
// punctuation or symbol. Spaces, marks alone and format characters such as
// U+200B do not.
func isVisible(r rune) bool {
	return unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S)
}

// loneSurrogateAt returns the offset of the first \u escape of a UTF-16
// surrogate that is not part of a high-low pair, or -1. Backslashes only
// occur inside JSON strings, so the escapes are read in order without
// tracking string boundaries.
func loneSurrogateAt(b string) int {
	if !strings.Contains(b, `\u`) && !strings.Contains(b, `\U`) {
		return -1
	}
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
			return 0, false
		}
		var r rune
		for k := i + 2; k < i+6; k++ {
			switch c := b[k]; {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, false
			}
		}
		return r, true
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // another escape: skip the escaped byte
			continue
		}
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			if lo, ok := hex4(i + 6); ok && lo >= 0xDC00 && lo <= 0xDFFF {
				i += 11 // the pair
				continue
			}
			return i
		case r >= 0xDC00 && r <= 0xDFFF:
			return i
		}
		i += 5
	}
	return -1
}

// invalidUTF8At returns the offset of the first byte that is not UTF-8, or -1.
func invalidUTF8At(b string) int {
	if utf8.ValidString(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRuneInString(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// encodingError names the member whose value holds the bad byte when the
// document is otherwise readable, so the client knows which field to fix.
func encodingError(b string, at int) error {
	field := fieldAt(b, at)
	if field == "" {
		return problem.Newf(problem.MalformedJSON, "request body is not valid UTF-8 (at byte %d)", at)
	}
	return problem.Invalid(field, ReasonEncoding, field+" is not valid UTF-8")
}

// fieldAt returns the known member whose value spans offset at, or "".
func fieldAt(b string, at int) string {
	dec := json.NewDecoder(strings.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := tok.(string)
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return ""
		}
		if int64(at) >= start && int64(at) < dec.InputOffset() {
			for _, f := range fields {
				if key == f {
					return f
				}
			}
			return ""
		}
	}
	return ""
}
