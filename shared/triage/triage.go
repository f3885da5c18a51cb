// Package triage decides where a support ticket goes: its category
// (billing, technical, account, general), the queue, whether AI routing
// applies (growth and agency) and whether humans are on the escalation path
// (launch and above). It is the seed's route_ticket_to_ai(ticket_id, tier,
// subject, body), made real with deterministic keyword rules behind the
// Router interface, so an LLM-backed router can replace Rules later without
// touching callers.
//
// Nothing here logs, and a Decision never carries text from the ticket: only
// the names of configured rules and categories.
package triage

import (
	"context"
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/tiers"
)

// The categories a ticket can fall into.
const (
	Billing   = "billing"
	Technical = "technical"
	Account   = "account"
	General   = "general"
)

// Categories lists every valid category; General is the fallback.
var Categories = []string{Billing, Technical, Account, General}

// Queue names. AI-routed tickets go to "ai-<category>", tickets of tiers with
// human escalation but no AI routing to "human-<category>", the rest to
// QueueStandard.
const (
	QueueStandard = "standard"
	aiPrefix      = "ai-"
	humanPrefix   = "human-"
)

// RuleNoMatch is Decision.Rule when no keyword matched and the ticket falls
// back to General.
const RuleNoMatch = "no-match"

// Input is what triage sees of a ticket.
type Input struct {
	TicketID string
	Tier     tiers.Tier
	Subject  string
	Body     string
}

// Decision is the routing outcome stored on the ticket and carried in its
// TicketCreated event.
type Decision struct {
	AIRouted        bool           `json:"ai_routed"`
	Category        string         `json:"category"`
	Queue           string         `json:"queue"`
	Confidence      float64        `json:"confidence"`
	Rule            string         `json:"rule"`
	HumanEscalation bool           `json:"human_escalation"`
	Priority        tiers.Priority `json:"priority"`
}

// Router decides a ticket's route. Implementations must be deterministic for
// the same input when callers rely on idempotent replays, and must never
// return or log the ticket's body text.
type Router interface {
	Route(ctx context.Context, in Input) (Decision, error)
}

// Rule maps keywords to a category. Keywords are words or phrases matched
// case-insensitively on word boundaries ("api" matches "API error" but not
// "capital"); apostrophes are ignored, so "can't" and "cant" are the same.
type Rule struct {
	Name     string
	Category string
	Keywords []string
}

// DefaultRules returns the built-in rules, in tie-break order.
func DefaultRules() []Rule {
	return []Rule{
		{Name: "billing-keywords", Category: Billing, Keywords: []string{
			"invoice", "invoices", "refund", "refunds", "refunded", "charge", "charged", "charges",
			"overcharged", "double charged", "payment", "payments", "billing", "billed", "bill",
			"receipt", "subscription", "vat", "card declined", "credit card", "pricing", "price",
			"cancel subscription", "downgrade", "upgrade plan",
		}},
		{Name: "technical-keywords", Category: Technical, Keywords: []string{
			"error", "errors", "bug", "bugs", "crash", "crashed", "crashes", "crashing", "api",
			"500", "502", "503", "504", "timeout", "timeouts", "timed out", "login fails",
			"login failed", "cannot log in", "cant log in", "unable to log in", "not working",
			"broken", "outage", "exception", "stack trace", "webhook", "webhooks", "integration",
			"latency", "slow", "sdk", "endpoint",
		}},
		{Name: "account-keywords", Category: Account, Keywords: []string{
			"password", "reset password", "forgot password", "account", "email change",
			"change email", "change my email", "delete account", "delete my account",
			"close account", "close my account", "2fa", "mfa", "two factor", "username",
			"locked out", "profile", "gdpr", "personal data",
		}},
	}
}

// Caps keep one repeated word from dominating and bound the work per ticket.
const (
	maxHitsPerKeyword = 3
	maxScanBytes      = 64 << 10
	subjectWeight     = 2 // the subject says what the ticket is about; the body wanders.
)

type keyword struct {
	rule  int
	words []string
}

// Rules is the keyword triage Router. Build it with NewRules; the zero value
// uses DefaultRules.
type Rules struct {
	rules []Rule
	// byFirst indexes keywords by their first word so a ticket is scanned
	// once, whatever the number of keywords.
	byFirst map[string][]keyword
}

var _ Router = Rules{}

var defaultRules = mustRules(DefaultRules())

func mustRules(r []Rule) Rules {
	rs, err := NewRules(r)
	if err != nil {
		panic("triage: default rules: " + err.Error()) // a programming error, caught by every test run.
	}
	return rs
}

// NewRules compiles rules. Earlier rules win ties. It returns an error when
// a rule has no name, a category outside Categories, or a keyword with no
// word in it.
func NewRules(rules []Rule) (Rules, error) {
	rs := Rules{rules: append([]Rule(nil), rules...), byFirst: map[string][]keyword{}}
	for i, r := range rules {
		if r.Name == "" {
			return Rules{}, fmt.Errorf("triage rule %d has no name", i)
		}
		if !validCategory(r.Category) {
			return Rules{}, fmt.Errorf("triage rule %q: category %q is not one of %s", r.Name, r.Category, strings.Join(Categories, ", "))
		}
		for _, k := range r.Keywords {
			words := tokens(k)
			if len(words) == 0 {
				return Rules{}, fmt.Errorf("triage rule %q: keyword %q has no word in it", r.Name, k)
			}
			rs.byFirst[words[0]] = append(rs.byFirst[words[0]], keyword{rule: i, words: words})
		}
	}
	return rs, nil
}

func validCategory(c string) bool {
	for _, v := range Categories {
		if c == v {
			return true
		}
	}
	return false
}

// Route triages in. The category is that of the rule with the highest
// score: each keyword scores its number of words for every occurrence (at
// most three), doubled in the subject. Confidence is top/(top+runnerUp+1),
// rounded to two decimals: one body word gives 0.5, a subject word 0.67, a
// close contest less; it is 0 when nothing matched (General, RuleNoMatch).
//
// It returns a Validation *problem.Error for an unknown tier and ctx's error
// when ctx is already done.
func (r Rules) Route(ctx context.Context, in Input) (Decision, error) {
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	cfg, ok := tiers.Get(in.Tier)
	if !ok {
		return Decision{}, problem.Invalid("tier", "unknown", "tier must be one of "+strings.Join(tiers.Names(), ", "))
	}
	if r.byFirst == nil {
		r = defaultRules
	}
	scores := make([]int, len(r.rules))
	r.score(scores, in.Subject, subjectWeight)
	r.score(scores, in.Body, 1)

	best, top, second := -1, 0, 0
	for i, s := range scores {
		switch {
		case s > top:
			best, top, second = i, s, top
		case s > second:
			second = s
		}
	}
	d := Decision{
		AIRouted:        cfg.AIRouting,
		HumanEscalation: cfg.HumanEscalation,
		Priority:        cfg.Priority,
		Category:        General,
		Rule:            RuleNoMatch,
	}
	if best >= 0 {
		d.Category = r.rules[best].Category
		d.Rule = r.rules[best].Name
		d.Confidence = math.Round(100*float64(top)/float64(top+second+1)) / 100
	}
	switch {
	case cfg.AIRouting:
		d.Queue = aiPrefix + d.Category
	case cfg.HumanEscalation:
		d.Queue = humanPrefix + d.Category
	default:
		d.Queue = QueueStandard
	}
	return d, nil
}

// score adds weight times each keyword's (capped) hits in text to its rule.
func (r Rules) score(scores []int, text string, weight int) {
	if len(text) > maxScanBytes {
		text = text[:maxScanBytes]
	}
	words := tokens(text)
	var hits map[*keyword]int
	for i, w := range words {
		cands := r.byFirst[w]
		for k := range cands {
			kw := &cands[k]
			if !hasPrefixWords(words[i:], kw.words) {
				continue
			}
			if hits == nil {
				hits = map[*keyword]int{}
			}
			if hits[kw]++; hits[kw] <= maxHitsPerKeyword {
				scores[kw.rule] += weight * len(kw.words)
			}
		}
	}
}

func hasPrefixWords(words, prefix []string) bool {
	if len(words) < len(prefix) {
		return false
	}
	for i, p := range prefix {
		if words[i] != p {
			return false
		}
	}
	return true
}

// tokens lower-cases s and splits it into words of letters and digits;
// apostrophes are dropped so contractions match either spelling.
func tokens(s string) []string {
	return strings.Fields(strings.Map(func(r rune) rune {
		switch {
		case r == '\'' || r == '\u2019':
			return -1
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			return unicode.ToLower(r)
		default:
			return ' '
		}
	}, s))
}
