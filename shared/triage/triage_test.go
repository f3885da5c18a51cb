package triage

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/tiers"
)

func TestRoute(t *testing.T) {
	tests := []struct {
		name          string
		tier          tiers.Tier
		subject, body string
		want          Decision
	}{
		{"seed example: growth, no keywords", tiers.Growth, "Test", "Body",
			Decision{AIRouted: true, Category: General, Queue: "ai-general", Rule: RuleNoMatch, HumanEscalation: true, Priority: tiers.High}},
		{"growth billing from subject", tiers.Growth, "Refund for invoice", "Please help",
			Decision{AIRouted: true, Category: Billing, Queue: "ai-billing", Confidence: 0.8, Rule: "billing-keywords", HumanEscalation: true, Priority: tiers.High}},
		{"agency technical from body", tiers.Agency, "Help", "The API returns 500 error",
			Decision{AIRouted: true, Category: Technical, Queue: "ai-technical", Confidence: 0.75, Rule: "technical-keywords", HumanEscalation: true, Priority: tiers.Urgent}},
		{"launch account: human queue, no AI", tiers.Launch, "Reset password", "",
			Decision{Category: Account, Queue: "human-account", Confidence: 0.86, Rule: "account-keywords", HumanEscalation: true, Priority: tiers.Normal}},
		{"starter: standard queue, category still set", tiers.Starter, "", "I was charged twice",
			Decision{Category: Billing, Queue: QueueStandard, Confidence: 0.5, Rule: "billing-keywords", Priority: tiers.Low}},
		{"starter: nothing matched", tiers.Starter, "Test", "Test ticket",
			Decision{Category: General, Queue: QueueStandard, Rule: RuleNoMatch, Priority: tiers.Low}},
		{"case-insensitive", tiers.Growth, "INVOICE", "",
			Decision{AIRouted: true, Category: Billing, Queue: "ai-billing", Confidence: 0.67, Rule: "billing-keywords", HumanEscalation: true, Priority: tiers.High}},
		{"word boundaries: capital, debug, chargeback, passwords do not match", tiers.Growth, "Capital", "debug the chargeback, passwords",
			Decision{AIRouted: true, Category: General, Queue: "ai-general", Rule: RuleNoMatch, HumanEscalation: true, Priority: tiers.High}},
		{"punctuation is a boundary", tiers.Growth, "", "api/v2: (timeout)!",
			Decision{AIRouted: true, Category: Technical, Queue: "ai-technical", Confidence: 0.67, Rule: "technical-keywords", HumanEscalation: true, Priority: tiers.High}},
		{"phrase: login fails", tiers.Growth, "", "my login fails daily",
			Decision{AIRouted: true, Category: Technical, Queue: "ai-technical", Confidence: 0.67, Rule: "technical-keywords", HumanEscalation: true, Priority: tiers.High}},
		{"phrase with curly apostrophe", tiers.Growth, "", "I can\u2019t log in",
			Decision{AIRouted: true, Category: Technical, Queue: "ai-technical", Confidence: 0.75, Rule: "technical-keywords", HumanEscalation: true, Priority: tiers.High}},
		{"phrase: delete my account and 2fa", tiers.Agency, "", "Please delete my account, 2FA is annoying",
			Decision{AIRouted: true, Category: Account, Queue: "ai-account", Confidence: 0.83, Rule: "account-keywords", HumanEscalation: true, Priority: tiers.Urgent}},
		{"subject outweighs body", tiers.Growth, "Invoice question", "there was an error on the page",
			Decision{AIRouted: true, Category: Billing, Queue: "ai-billing", Confidence: 0.5, Rule: "billing-keywords", HumanEscalation: true, Priority: tiers.High}},
		{"tie goes to the earlier rule, low confidence", tiers.Growth, "", "refund error",
			Decision{AIRouted: true, Category: Billing, Queue: "ai-billing", Confidence: 0.33, Rule: "billing-keywords", HumanEscalation: true, Priority: tiers.High}},
		{"repeats are capped", tiers.Growth, "", strings.Repeat("error ", 50),
			Decision{AIRouted: true, Category: Technical, Queue: "ai-technical", Confidence: 0.75, Rule: "technical-keywords", HumanEscalation: true, Priority: tiers.High}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{TicketID: "TKT-ABCDEFGH", Tier: tc.tier, Subject: tc.subject, Body: tc.body}
			got, err := Rules{}.Route(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Route =\n %+v\nwant\n %+v", got, tc.want)
			}
			again, _ := Rules{}.Route(context.Background(), in)
			if again != got {
				t.Errorf("not deterministic: %+v then %+v", got, again)
			}
		})
	}
}

func TestRouteErrors(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		tier tiers.Tier
		is   func(error) bool
	}{
		{"unknown tier", context.Background(), "platinum", func(err error) bool { return problem.CodeOf(err) == problem.Validation }},
		{"empty tier", context.Background(), "", func(err error) bool { return problem.CodeOf(err) == problem.Validation }},
		{"canceled context", canceled, tiers.Growth, func(err error) bool { return errors.Is(err, context.Canceled) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Rules{}.Route(tc.ctx, Input{Tier: tc.tier, Subject: "invoice"})
			if err == nil || !tc.is(err) {
				t.Errorf("Route error = %v", err)
			}
		})
	}
}

// TestDecisionCarriesNoTicketText: the decision is stored and published, so
// nothing from the body may appear in it.
func TestDecisionCarriesNoTicketText(t *testing.T) {
	const secret = "zebra-42-unique"
	for _, tier := range tiers.Names() {
		d, err := Rules{}.Route(context.Background(), Input{Tier: tiers.Tier(tier), Subject: "refund " + secret, Body: "error " + secret})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(d)
		if strings.Contains(string(b), "zebra") {
			t.Errorf("%s: decision leaks ticket text: %s", tier, b)
		}
		want := `{"ai_routed":`
		if !strings.HasPrefix(string(b), want) {
			t.Errorf("JSON %s", b)
		}
	}
}

func TestNewRules(t *testing.T) {
	tests := []struct {
		name    string
		rules   []Rule
		wantErr string
	}{
		{"custom rule", []Rule{{Name: "sales", Category: General, Keywords: []string{"quote", "demo call"}}}, ""},
		{"no name", []Rule{{Category: Billing, Keywords: []string{"x"}}}, "has no name"},
		{"bad category", []Rule{{Name: "n", Category: "sales", Keywords: []string{"x"}}}, `category "sales" is not one of billing, technical, account, general`},
		{"empty keyword", []Rule{{Name: "n", Category: Billing, Keywords: []string{" !? "}}}, `keyword " !? " has no word`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := NewRules(tc.rules)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("NewRules error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d, err := rs.Route(context.Background(), Input{Tier: tiers.Agency, Subject: "Book a DEMO call", Body: "invoice"})
			if err != nil {
				t.Fatal(err)
			}
			if d.Rule != "sales" || d.Category != General || d.Queue != "ai-general" || d.Confidence != 0.8 {
				t.Errorf("custom rules: %+v", d)
			}
		})
	}
}

func TestDefaultRulesCompile(t *testing.T) {
	for _, r := range DefaultRules() {
		if !slices.Contains(Categories, r.Category) || r.Category == General {
			t.Errorf("rule %s has category %q", r.Name, r.Category)
		}
		for _, k := range r.Keywords {
			if got := strings.Join(tokens(k), " "); got != strings.ReplaceAll(strings.ToLower(k), "'", "") {
				t.Errorf("keyword %q tokenises to %q: it would never match as written", k, got)
			}
		}
	}
}

func FuzzRoute(f *testing.F) {
	f.Add(2, "Refund for invoice", "The API returns 500")
	f.Add(0, "", "")
	f.Add(9, "\xff\xfe", "can\u2019t log in \x00")
	f.Add(3, strings.Repeat("a ", 100), "delete my account")
	names := tiers.Names()
	f.Fuzz(func(t *testing.T, tierIdx int, subject, body string) {
		tier := tiers.Tier("unknown")
		if tierIdx >= 0 && tierIdx < len(names) {
			tier = tiers.Tier(names[tierIdx])
		}
		d, err := Rules{}.Route(context.Background(), Input{Tier: tier, Subject: subject, Body: body})
		if tier == "unknown" {
			if problem.CodeOf(err) != problem.Validation {
				t.Fatalf("unknown tier: err = %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(Categories, d.Category) {
			t.Fatalf("invalid category %q", d.Category)
		}
		if d.Confidence < 0 || d.Confidence >= 1 || (d.Rule == RuleNoMatch) != (d.Confidence == 0) {
			t.Fatalf("confidence %v with rule %q", d.Confidence, d.Rule)
		}
		if !strings.HasSuffix(d.Queue, d.Category) && d.Queue != QueueStandard {
			t.Fatalf("queue %q for category %q", d.Queue, d.Category)
		}
	})
}

func BenchmarkRoute(b *testing.B) {
	body := strings.Repeat("Hello, since yesterday the dashboard shows an error when I open invoices. ", 130) // ~10,000 chars
	cases := []struct{ name, subject, body string }{
		{"short", "Refund for invoice", "Please refund my last payment."},
		{"10k-body", "Dashboard problem", body},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			in := Input{TicketID: "TKT-ABCDEFGH", Tier: tiers.Growth, Subject: bc.subject, Body: bc.body}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := (Rules{}).Route(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
