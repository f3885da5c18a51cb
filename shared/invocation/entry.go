package invocation

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/levqor/serverless/shared/correlation"
	"github.com/levqor/serverless/shared/httpapi"
	"github.com/levqor/serverless/shared/logging"
	"github.com/levqor/serverless/shared/metrics"
	"github.com/levqor/serverless/shared/problem"
	"github.com/levqor/serverless/shared/warmup"
)

// Event is the value a function decodes every invocation into, in a single
// pass: a struct embedding the HTTP API request type beside the fields of
// the other events the function takes (a stream batch's Records, a
// schedule's source). Decoding once matters: event JSON is the largest
// single cost of a warm request, and a separate probe costs nearly as much
// as the decode itself.
type Event interface {
	// IsHTTP reports whether the decoded event is an HTTP API request.
	IsHTTP() bool
}

// Entry begins every invocation of a function's Lambda entry point the same
// way: cold-start flag (and its ColdStart metric), Lambda's request id, the
// warm-up answer and the event's kind.
type Entry struct {
	Function string       // function name: echoed in warm-up answers, the metric's FunctionName
	Service  string       // the metric's Service dimension
	Logger   *slog.Logger // the function's logger
	// Metrics receives the ColdStart metric once per execution environment;
	// nil writes none.
	Metrics *metrics.Writer
	// ColdStart reports the environment's first invocation; nil means
	// logging.ColdStart.
	ColdStart func() bool
}

// Call is one invocation as Begin found it.
type Call struct {
	Kind      Kind
	RequestID string // Lambda's request id; "" outside Lambda
	Cold      bool   // the execution environment's first invocation
	entry     *Entry
}

// Begin starts an invocation: it reads the cold-start flag (writing the
// ColdStart metric when it is set), takes Lambda's request id from ctx and,
// unless raw is a warm-up (Kind Warmup, logged here, nothing decoded),
// decodes raw into ev in one pass: Kind HTTP when ev.IsHTTP, else Other.
//
// It returns the decoding error when raw is not JSON or does not decode
// into ev (logged here). An event that does not decode but is shaped like an
// HTTP API request (see Classify) comes back as Kind HTTP with the error:
// API Gateway is waiting, so the caller answers it with Undecodable.
func (e *Entry) Begin(ctx context.Context, raw []byte, ev Event) (Call, error) {
	c := Call{Cold: e.cold(), entry: e}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		c.RequestID = lc.AwsRequestID
	}
	if warmup.Is(raw) {
		c.Kind = Warmup
		c.Logger("").Info("warm-up")
		return c, nil
	}
	if err := json.Unmarshal(raw, ev); err != nil {
		var syntax *json.SyntaxError
		switch {
		case errors.As(err, &syntax):
			c.Logger("").Error("event is not JSON", "error", err.Error())
		case isHTTPShaped(raw):
			c.Kind = HTTP
		default:
			c.Logger("").Error("event does not decode", "error", err.Error())
		}
		return c, err
	}
	if ev.IsHTTP() {
		c.Kind = HTTP
	}
	return c, nil
}

func isHTTPShaped(raw []byte) bool {
	k, _ := Classify(raw)
	return k == HTTP
}

func (e *Entry) cold() bool {
	f := e.ColdStart
	if f == nil {
		f = logging.ColdStart
	}
	c := f()
	if c && e.Metrics != nil {
		if err := e.Metrics.ColdStart(e.Service, e.Function); err != nil {
			e.Logger.Warn("cold start metric not written", "error", err.Error())
		}
	}
	return c
}

// Logger returns the function's logger carrying this invocation's ids.
func (c Call) Logger(correlationID string) *slog.Logger {
	return logging.Invocation(c.entry.Logger, c.RequestID, correlationID, c.Cold)
}

// Warm returns the answer to a warm-up invocation.
func (c Call) Warm() warmup.Response {
	return warmup.Response{Warm: true, Function: c.entry.Function, Cold: c.Cold}
}

// Undecodable answers an HTTP-shaped event that did not decode (Begin's
// error): a 500 problem without detail under a new correlation id, the
// error logged.
func (c Call) Undecodable(err error) httpapi.Response {
	cid := correlation.New()
	return httpapi.Problem(c.Logger(cid), problem.Wrap(problem.Internal, err, ""), cid)
}

// Unsupported logs an event the function does not take and returns err.
func (c Call) Unsupported(err error) error {
	c.Logger("").Error("unsupported event")
	return err
}

// Routes are one function's answers to the kinds of invocation Dispatch
// tells apart.
type Routes struct {
	// HTTP serves the decoded HTTP API request.
	HTTP func(c Call) any
	// Respond converts a response Dispatch builds itself (for an HTTP-shaped
	// event that does not decode) to the function's Lambda response type.
	Respond func(httpapi.Response) any
	// Other handles any other decoded event; nil means the function takes
	// none (Unsupported is returned).
	Other func(c Call) (any, error)
	// Unsupported is the error for an event no route takes.
	Unsupported error
}

// Dispatch runs one invocation: Begin, then the warm-up answer, r.HTTP for
// an HTTP API request (an HTTP-shaped event that does not decode is
// answered with Undecodable's 500 through r.Respond, never a Go error), and
// r.Other for anything else. It returns Begin's error for an event that is
// not JSON or does not decode, r.Other's results, or r.Unsupported.
func (e *Entry) Dispatch(ctx context.Context, raw []byte, ev Event, r Routes) (any, error) {
	c, err := e.Begin(ctx, raw, ev)
	switch {
	case c.Kind == Warmup:
		return c.Warm(), nil
	case c.Kind == HTTP && err != nil:
		return r.Respond(c.Undecodable(err)), nil
	case err != nil:
		return nil, err
	case c.Kind == HTTP:
		return r.HTTP(c), nil
	case r.Other != nil:
		return r.Other(c)
	}
	return nil, c.Unsupported(r.Unsupported)
}
