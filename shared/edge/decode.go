package edge

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/levqor/serverless/shared/jsonscan"
)

// decodeHTTP reads raw into req when it is an HTTP API payload 2.0 request
// of the shape API Gateway sends: the members events.APIGatewayV2HTTPRequest
// names, spelt exactly, none of them null. It reports false for anything
// else (another kind of event, a member it does not know, invalid JSON),
// leaving req part-filled: the caller then decodes with encoding/json,
// whose answer this one is held to (FuzzDecodeHTTP). It exists for speed:
// encoding/json's reflection was a quarter of a ticket's create, and the
// request's strings here are substrings of one copy of the event.
func decodeHTTP(raw []byte, req *events.APIGatewayV2HTTPRequest) bool {
	p := jsonscan.New(string(raw))
	ok := object(p, func(name string) bool {
		switch name {
		case "cookies":
			return strs(p, &req.Cookies)
		case "headers":
			return strMap(p, &req.Headers)
		case "queryStringParameters":
			return strMap(p, &req.QueryStringParameters)
		case "pathParameters":
			return strMap(p, &req.PathParameters)
		case "stageVariables":
			return strMap(p, &req.StageVariables)
		case "requestContext":
			return requestContext(p, &req.RequestContext)
		case "isBase64Encoded":
			return boolean(p, &req.IsBase64Encoded)
		}
		return strMember(p, name, []string{"version", "routeKey", "rawPath", "rawQueryString", "body"},
			&req.Version, &req.RouteKey, &req.RawPath, &req.RawQueryString, &req.Body)
	})
	return ok && p.StackDepth() == 0 && p.End()
}

func requestContext(p *jsonscan.Scanner, rc *events.APIGatewayV2HTTPRequestContext) bool {
	return object(p, func(name string) bool {
		switch name {
		case "timeEpoch":
			v, err := p.ReadValue()
			n, perr := strconv.ParseInt(v, 10, 64)
			rc.TimeEpoch = n
			return err == nil && perr == nil
		case "http":
			h := &rc.HTTP
			return object(p, func(name string) bool {
				return strMember(p, name, []string{"method", "path", "protocol", "sourceIp", "userAgent"},
					&h.Method, &h.Path, &h.Protocol, &h.SourceIP, &h.UserAgent)
			})
		case "authentication": // mTLS: the client certificate
			c := &rc.Authentication.ClientCert
			return object(p, func(name string) bool {
				return name == "clientCert" && object(p, func(name string) bool {
					if name == "validity" {
						return object(p, func(name string) bool {
							return strMember(p, name, []string{"notAfter", "notBefore"}, &c.Validity.NotAfter, &c.Validity.NotBefore)
						})
					}
					return strMember(p, name, []string{"clientCertPem", "issuerDN", "serialNumber", "subjectDN"},
						&c.ClientCertPem, &c.IssuerDN, &c.SerialNumber, &c.SubjectDN)
				})
			})
		case "authorizer": // rare and deep: encoding/json's reading of that one member
			v, err := p.ReadValue()
			return err == nil && json.Unmarshal([]byte(v), &rc.Authorizer) == nil
		}
		return strMember(p, name, []string{"routeKey", "accountId", "stage", "requestId", "apiId", "domainName", "domainPrefix", "time"},
			&rc.RouteKey, &rc.AccountID, &rc.Stage, &rc.RequestID, &rc.APIID, &rc.DomainName, &rc.DomainPrefix, &rc.Time)
	})
}

// strMember reads the value of member name, a string, into the dst of
// name's index in names; a name not among them is not read.
func strMember(p *jsonscan.Scanner, name string, names []string, dst ...*string) bool {
	i := slices.Index(names, name)
	return i >= 0 && str(p, dst[i])
}

// object reads an object, handing each member's name to value, which reads
// the value and reports whether it could.
func object(p *jsonscan.Scanner, value func(name string) bool) bool {
	if p.PeekKind() != '{' {
		return false
	}
	p.ReadToken()
	for p.PeekKind() == '"' {
		name, err := p.ReadString()
		if err != nil || p.PeekKind() == 'n' || !value(name) {
			return false
		}
	}
	_, err := p.ReadToken()
	return err == nil // '}', or the syntax error
}

func str(p *jsonscan.Scanner, dst *string) bool {
	if p.PeekKind() != '"' {
		return false
	}
	s, err := p.ReadString()
	*dst = s
	return err == nil
}

func boolean(p *jsonscan.Scanner, dst *bool) bool {
	k := p.PeekKind()
	if k != 't' && k != 'f' {
		return false
	}
	_, err := p.ReadToken()
	*dst = k == 't'
	return err == nil
}

// strMap reads an object of strings into *m, made when nil and otherwise
// added to, as encoding/json does.
func strMap(p *jsonscan.Scanner, m *map[string]string) bool {
	if *m == nil {
		*m = make(map[string]string, 16)
	}
	return object(p, func(name string) bool {
		var v string
		ok := str(p, &v)
		(*m)[name] = v
		return ok
	})
}

func strs(p *jsonscan.Scanner, dst *[]string) bool {
	if p.PeekKind() != '[' {
		return false
	}
	p.ReadToken()
	out := []string{}
	for p.PeekKind() == '"' {
		s, err := p.ReadString()
		if err != nil {
			return false
		}
		out = append(out, s)
	}
	*dst = out
	if p.PeekKind() != ']' { // not a string: encoding/json's to read
		return false
	}
	p.ReadToken()
	return true
}
