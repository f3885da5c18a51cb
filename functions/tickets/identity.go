package main

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/idempotency"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/tiers"
)

// TierClaims are the JWT claims that carry the caller's plan, first match
// wins: "levqor_tier" for an identity provider with custom claims (Auth0,
// Okta), "custom:tier" for a Cognito user pool custom attribute.
var TierClaims = []string{"levqor_tier", "custom:tier"}

// caller is who sent a request, as far as the API knows.
type caller struct {
	// Tier is the verified tier; empty for an anonymous caller.
	Tier tiers.Tier
	// Scope isolates the caller's idempotency keys.
	Scope string
}

// identify reads the caller from the request context. When the HTTP API's
// JWT authorizer is enabled, API Gateway has already verified the token's
// signature, issuer, audience and expiry and passes its claims in
// requestContext.authorizer.jwt.claims; they are trusted as is. A token
// without a tier claim is a verified starter; a token naming an unknown
// tier is refused (403), since guessing would grant or deny service wrongly.
//
// The idempotency scope is the token's issuer and subject when there is
// one, else the client's source address (API Gateway's, not a header the
// client controls).
func identify(rc events.APIGatewayV2HTTPRequestContext) (caller, error) {
	var c caller
	var claims map[string]string
	if rc.Authorizer != nil && rc.Authorizer.JWT != nil {
		claims = rc.Authorizer.JWT.Claims
		c.Tier = tiers.Starter
		for _, name := range TierClaims {
			v, ok := claims[name]
			if !ok {
				continue
			}
			t, err := tiers.Parse(v)
			if err != nil {
				return caller{}, problem.New(problem.Forbidden, "the token's tier claim is not a known tier")
			}
			c.Tier = t
			break
		}
	}
	if sub := claims["sub"]; sub != "" {
		c.Scope = idempotency.Scope("sub", claims["iss"]+"\x00"+sub)
	} else {
		c.Scope = idempotency.Scope("ip", rc.HTTP.SourceIP)
	}
	return c, nil
}
