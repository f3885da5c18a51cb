package edge

import (
	"encoding/json"
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
		case "version":
			return str(p, &req.Version)
		case "routeKey":
			return str(p, &req.RouteKey)
		case "rawPath":
			return str(p, &req.RawPath)
		case "rawQueryString":
			return str(p, &req.RawQueryString)
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
		case "body":
			return str(p, &req.Body)
		case "isBase64Encoded":
			return boolean(p, &req.IsBase64Encoded)
		}
		return false
	})
	return ok && p.End()
}

func requestContext(p *jsonscan.Scanner, rc *events.APIGatewayV2HTTPRequestContext) bool {
	return object(p, func(name string) bool {
		switch name {
		case "routeKey":
			return str(p, &rc.RouteKey)
		case "accountId":
			return str(p, &rc.AccountID)
		case "stage":
			return str(p, &rc.Stage)
		case "requestId":
			return str(p, &rc.RequestID)
		case "apiId":
			return str(p, &rc.APIID)
		case "domainName":
			return str(p, &rc.DomainName)
		case "domainPrefix":
			return str(p, &rc.DomainPrefix)
		case "time":
			return str(p, &rc.Time)
		case "timeEpoch":
			v, err := p.ReadValue()
			n, perr := strconv.ParseInt(v, 10, 64)
			rc.TimeEpoch = n
			return err == nil && perr == nil
		case "http":
			h := &rc.HTTP
			return object(p, func(name string) bool {
				switch name {
				case "method":
					return str(p, &h.Method)
				case "path":
					return str(p, &h.Path)
				case "protocol":
					return str(p, &h.Protocol)
				case "sourceIp":
					return str(p, &h.SourceIP)
				case "userAgent":
					return str(p, &h.UserAgent)
				}
				return false
			})
		case "authorizer": // rare and deep: encoding/json's reading of that one member
			return member(p, &rc.Authorizer)
		case "authentication":
			return member(p, &rc.Authentication)
		}
		return false
	})
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
	_, err := p.ReadToken()
	return err == nil
}

// member reads one value with encoding/json.
func member(p *jsonscan.Scanner, dst any) bool {
	v, err := p.ReadValue()
	return err == nil && json.Unmarshal([]byte(v), dst) == nil
}
