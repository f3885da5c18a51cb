package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/levqor/serverless/infra/devstack/internal/gateway"
	"github.com/levqor/serverless/infra/devstack/internal/locallambda"
	"github.com/levqor/serverless/infra/devstack/internal/schedule"
	"github.com/levqor/serverless/infra/devstack/internal/streammap"
	"github.com/levqor/serverless/infra/dynamolocal"
	"github.com/levqor/serverless/infra/invoke"
	"github.com/levqor/serverless/infra/localbus"
	"github.com/levqor/serverless/infra/samtemplate"
)

const (
	region  = "eu-west-2"
	account = "000000000000" // samtemplate.LocalOverrides' AWS::AccountId
)

// stack is everything start started, in the order close stops it.
type stack struct {
	out       *printer
	api       *http.Server
	aws       *http.Server
	functions []*invoke.Pool
	ddb       *dynamolocal.Server
	cancel    context.CancelFunc
	workers   sync.WaitGroup
}

// start brings the stack up. On error the returned stack (possibly nil)
// holds what was started so far, for close.
func start(parent context.Context, cfg config, out *printer) (*stack, error) {
	ctx, cancel := context.WithCancel(parent)
	s := &stack{out: out, cancel: cancel}

	tpl, err := samtemplate.Load(cfg.template, samtemplate.Options{Overrides: samtemplate.LocalOverrides(cfg.table), Parameters: cfg.params})
	if err != nil {
		return s, err
	}
	if len(tpl.Unresolved) > 0 {
		out.printf("[devstack] note: template names resolved to themselves locally: %s", strings.Join(tpl.Unresolved, ", "))
	}

	// DynamoDB Local and the table, from the template's definition.
	storage := "in memory"
	if cfg.dbPath != "" {
		storage = "persisted in " + cfg.dbPath
	}
	ddbEndpoint := cfg.ddbEndpoint
	if ddbEndpoint == "" {
		out.printf("[devstack] starting DynamoDB Local (%s)...", storage)
		s.ddb, err = dynamolocal.Start(ctx, dynamolocal.Options{DBPath: cfg.dbPath, Port: cfg.dbPort})
		if err != nil {
			return s, err
		}
		ddbEndpoint = s.ddb.Endpoint
	}
	ddbClient := dynamolocal.NewClient(ddbEndpoint)
	if err := dynamolocal.CreateTable(ctx, ddbClient, tpl, cfg.table); err != nil {
		return s, err
	}
	out.printf("[devstack] DynamoDB Local on %s, table %s", ddbEndpoint, cfg.table)

	// Listeners first: the functions and schedules need their URLs.
	apiLn, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return s, fmt.Errorf("API address %s: %w", cfg.addr, err)
	}
	awsLn, err := net.Listen("tcp", cfg.awsAddr)
	if err != nil {
		_ = apiLn.Close()
		return s, fmt.Errorf("AWS endpoint address %s: %w", cfg.awsAddr, err)
	}
	apiURL := "http://" + apiLn.Addr().String()
	awsURL := "http://" + awsLn.Addr().String()

	// Functions, one pool of execution environments each, their routes and
	// their schedule rules (for the bus's DescribeRule, and to run).
	endpoints := map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB":         ddbEndpoint,
		"AWS_ENDPOINT_URL_DYNAMODB_STREAMS": ddbEndpoint,
		"AWS_ENDPOINT_URL_EVENTBRIDGE":      awsURL,
		"AWS_ENDPOINT_URL_LAMBDA":           awsURL,
		"AWS_ENDPOINT_URL_APIGATEWAYV2":     awsURL,
		"AWS_ENDPOINT_URL_CLOUDFORMATION":   awsURL,
	}
	byID := map[string]*invoke.Pool{}
	var routes []gateway.Route
	var lambdas []*locallambda.Function
	var busRules []localbus.Rule
	var srules []schedule.Rule
	sched := &schedule.Scheduler{APIURL: apiURL, APIID: "local", Log: func(format string, args ...any) { out.printf(format, args...) }}
	rie, err := invoke.RIE(filepath.Dir(cfg.template))
	if err != nil {
		return s, err
	}
	for _, fn := range tpl.Functions {
		f, err := newFunction(fn, cfg, rie, endpoints, out)
		if err != nil {
			return s, err
		}
		s.functions = append(s.functions, f)
		byID[fn.LogicalID] = f
		arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, fn.LogicalID)
		lambdas = append(lambdas, &locallambda.Function{
			Name: fn.LogicalID, ARN: arn,
			Runtime: fn.Runtime, Handler: fn.Handler, Architectures: fn.Architectures,
			MemorySize: fn.MemorySize, Timeout: fn.Timeout, Env: fn.Env, Invoker: invoker{f}, Alias: fn.Alias,
		})
		for _, r := range fn.Routes {
			routes = append(routes, gateway.Route{Method: r.Method, Path: r.Path, Auth: r.Auth, Name: fn.LogicalID, Function: invoker{f}})
		}
		for _, sc := range fn.Schedules {
			name := sc.Name
			if name == "" {
				name = fn.LogicalID + sc.EventName // the name SAM would derive
			}
			busRules = append(busRules, localbus.Rule{
				Name: name, ScheduleExpression: sc.Expression,
				TargetID: fn.LogicalID + sc.EventName + "LambdaTarget", TargetARN: arn, Input: sc.Input,
			})
			if !cfg.schedules {
				continue
			}
			expr, err := schedule.Parse(sc.Expression)
			if err != nil {
				return s, fmt.Errorf("%s event %s: %w", fn.LogicalID, sc.EventName, err)
			}
			rule := schedule.Rule{
				Name: name, Expression: expr, Input: sc.Input, FunctionName: fn.LogicalID,
				Target: invoker{f}, FireAtStart: cfg.fireAtStartFor(name, sc.EventName), Retries: asyncRetries(fn),
			}
			if _, err := sched.Payload(rule); err != nil {
				return s, fmt.Errorf("%s event %s: %w", fn.LogicalID, sc.EventName, err)
			}
			srules = append(srules, rule)
		}
	}
	bus := localbus.New(region, account, busRules)
	bus.Print = func(line []byte) { out.printf("[EventBus] %s", line) }
	if err := bus.SetFailure(cfg.busFail); err != nil {
		return s, err
	}

	// The HTTP API.
	gw, err := gateway.New(routes)
	if err != nil {
		return s, err
	}
	gw.AccountID = account
	if gw.CORS, err = corsConfig(tpl, cfg.corsOrigins...); err != nil {
		return s, err
	}
	gw.Log = func(format string, args ...any) { out.printf("[HttpApi] "+format, args...) }
	s.aws = &http.Server{Handler: awsHandler(bus, locallambda.New(lambdas), gw.ManagementAPI()), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.aws.Serve(awsLn) }()

	// Not an http.ServeMux: it answers unclean paths (//x, /./x) with a 307
	// of its own, where API Gateway matches the path as sent. The timeouts
	// are API Gateway's: a request whose body never finishes, or an idle
	// connection, is not held for ever.
	admin := adminHandler(bus)
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_local/") {
			admin.ServeHTTP(w, r)
			return
		}
		gw.ServeHTTP(w, r)
	})
	s.api = &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: cfg.readTimeout, IdleTimeout: gateway.IdleTimeout}
	go func() { _ = s.api.Serve(apiLn) }()

	for _, r := range gw.Routes() {
		out.printf("[devstack] route %s", r)
	}
	if open := gw.Unauthenticated(); len(open) > 0 {
		out.printf("[devstack] WARNING: AWS_IAM authorization is NOT checked locally (as with sam local start-api); "+
			"anyone who can reach %s can call: %s", apiURL, strings.Join(open, ", "))
	}
	out.printf("[devstack] local AWS endpoint on %s: EventBridge (bus failure mode %q; POST %s/_local/bus?fail=true to make it fail), "+
		"Lambda Invoke/GetFunctionConfiguration, API Gateway GetRoutes; CloudFormation answers NotEmulatedLocally",
		awsURL, bus.Failure(), apiURL)

	// The table's stream into its consumers.
	if !cfg.noStreams {
		streams := dynamodbstreams.New(dynamodbstreams.Options{
			Region: region, BaseEndpoint: aws.String(ddbEndpoint),
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		})
		var checkpoints *streammap.Checkpoints
		if cfg.dbPath != "" {
			// A persisted table keeps its stream: resume it, don't replay it.
			if checkpoints, err = streammap.OpenCheckpoints(filepath.Join(cfg.dbPath, "devstack-stream-checkpoints.json")); err != nil {
				return s, err
			}
		}
		for _, fn := range tpl.Functions {
			for _, st := range fn.Streams {
				m, err := newMapping(fn, st, cfg.table, byID[fn.LogicalID], ddbClient, streams, out)
				if err != nil {
					return s, err
				}
				m.Checkpoints = checkpoints
				s.workers.Go(func() {
					if err := m.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
						out.printf("[devstack] stream %s stopped: %v", m.Name, err)
					}
				})
			}
		}
	}

	out.printf("[devstack] ready: API on %s", apiURL)

	// Schedules last, so that a keepalive at start finds the API up.
	if cfg.schedules {
		sort.SliceStable(srules, func(i, j int) bool { return keepaliveFirst(srules[i].FunctionName, srules[j].FunctionName) })
		s.workers.Go(func() { sched.Run(ctx, srules) })
	}
	return s, nil
}

// died is closed when a process the stack cannot run without exits on its
// own: DynamoDB Local, when the stack started it (never, for an endpoint
// given with -dynamodb-endpoint).
func (s *stack) died() <-chan struct{} {
	if s.ddb == nil {
		return nil
	}
	return s.ddb.Done()
}

// keepaliveFirst orders the keepalive's schedule before the others at start
// (it is the one the README promises fires at once).
func keepaliveFirst(a, b string) bool {
	return strings.Contains(a, "Keepalive") && !strings.Contains(b, "Keepalive")
}

// close stops everything start started: the API (in-flight requests get a
// moment), schedules and streams, the function processes, DynamoDB Local.
func (s *stack) close() {
	if s.api != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = s.api.Shutdown(ctx)
		cancel()
	}
	s.cancel()
	var wg sync.WaitGroup
	for _, f := range s.functions {
		wg.Go(func() { f.Close() })
	}
	wg.Wait()
	s.workers.Wait()
	if s.aws != nil {
		_ = s.aws.Close()
	}
	if s.ddb != nil {
		_ = s.ddb.Stop()
	}
}

// newFunction is fn's pool of execution environments under the runtime
// interface emulator, with the template's environment and the local
// endpoints, and at most -max-envs of them (or the function's reserved
// concurrency, when lower).
func newFunction(fn samtemplate.Function, cfg config, rie string, endpoints map[string]string, out *printer) (*invoke.Pool, error) {
	maxEnvs := cfg.maxEnvs
	if fn.ReservedConcurrency != nil && *fn.ReservedConcurrency > 0 && *fn.ReservedConcurrency < maxEnvs {
		maxEnvs = *fn.ReservedConcurrency
	}
	return invoke.NewPool(invoke.PoolConfig{
		Name:            fn.LogicalID,
		RIE:             rie,
		Bootstrap:       filepath.Join(cfg.bin, fn.Dir, "bootstrap"),
		Env:             invoke.Env(&fn, endpoints),
		MaxEnvironments: maxEnvs,
		Output:          out,
	})
}

func newMapping(fn samtemplate.Function, st samtemplate.Stream, table string, f *invoke.Pool,
	ddb streammap.TableAPI, streams streammap.StreamsAPI, out *printer) (*streammap.Mapping, error) {
	if st.Table != "" && st.Table != samtemplate.TableLogicalID {
		return nil, fmt.Errorf("%s event %s: stream of %s; only %s runs locally", fn.LogicalID, st.EventName, st.Table, samtemplate.TableLogicalID)
	}
	if st.StartingPosition != "" && st.StartingPosition != "TRIM_HORIZON" {
		return nil, fmt.Errorf("%s event %s: StartingPosition %s is not emulated locally (the template starts at TRIM_HORIZON)", fn.LogicalID, st.EventName, st.StartingPosition)
	}
	var filters []*streammap.Filter
	for _, p := range st.Patterns {
		flt, err := streammap.ParseFilter(p)
		if err != nil {
			return nil, fmt.Errorf("%s event %s: %w", fn.LogicalID, st.EventName, err)
		}
		filters = append(filters, flt)
	}
	return &streammap.Mapping{
		Name: fn.LogicalID + ":" + st.EventName, TableName: table, Table: ddb, Streams: streams, Function: invoker{f},
		BatchSize: st.BatchSize, Filters: filters,
		ReportBatchItemFailures: st.ReportBatchItemFailures, BisectOnError: st.BisectOnError, MaxRetries: st.MaxRetries,
		Log: func(format string, args ...any) { out.printf(format, args...) },
	}, nil
}

// asyncRetries is the function's EventInvokeConfig MaximumRetryAttempts
// (Lambda's default, 2, when unset).
func asyncRetries(fn samtemplate.Function) int {
	if n, ok := fn.EventInvokeConfig["MaximumRetryAttempts"].(float64); ok {
		return int(n)
	}
	return 2
}

// corsConfig reads the HTTP API's CorsConfiguration, nil when there is
// none, with extra origins (-cors-origin) added. Its names are
// gateway.CORS's, so JSON carries it across. Only the form the template
// uses is emulated, an object on the HttpApi resource listing its origins
// and methods: Globals', CorsConfiguration: true, "*" and AllowCredentials
// are refused with an error saying so, rather than served without the
// headers AWS would send.
func corsConfig(tpl *samtemplate.Template, extra ...string) (*gateway.CORS, error) {
	if _, ok := tpl.Globals["HttpApi"]["CorsConfiguration"]; ok {
		return nil, errors.New("template.yaml: Globals' HttpApi CorsConfiguration is not emulated: give the HttpApi its own")
	}
	var c *gateway.CORS
	for _, id := range tpl.ResourcesOfType("AWS::Serverless::HttpApi") {
		b, _ := json.Marshal(tpl.Resources[id].Properties["CorsConfiguration"])
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("template.yaml: %s's CorsConfiguration is not emulated (only an object of AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders, MaxAge is): %w", id, err)
		}
	}
	if c == nil {
		return nil, nil
	}
	c.AllowOrigins = append(c.AllowOrigins, extra...)
	if slices.Contains(c.AllowOrigins, "*") || slices.Contains(c.AllowMethods, "*") {
		return nil, errors.New(`"*" in CorsConfiguration's AllowOrigins or AllowMethods (or -cors-origin) is not emulated locally: list them, as the template does`)
	}
	return c, nil
}

// invoker adapts an invoke.Pool to the gateway's, the scheduler's and
// the stream mapping's Invoker.
type invoker struct{ f *invoke.Pool }

func (i invoker) Invoke(ctx context.Context, event []byte) ([]byte, string, error) {
	res, err := i.f.Invoke(ctx, event)
	if err != nil {
		return nil, "", err
	}
	return res.Payload, res.ErrorType, nil
}

// awsHandler routes the functions' AWS calls on the one local endpoint:
// Lambda (/2015-03-31/...) and API Gateway (/v2/...) by path, awsQuery form
// posts (CloudFormation) to a clear "not emulated" error, and the rest
// (awsJson1_1, X-Amz-Target AWSEvents.*) to the bus.
func awsHandler(bus, lambdaAPI, management http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/2015-03-31/", lambdaAPI)
	mux.Handle("/v2/", management)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>NotEmulatedLocally</Code>`+
				`<Message>this AWS API is not emulated by make dev (only in a deployed stack)</Message></Error>`+
				`<RequestId>local</RequestId></ErrorResponse>`)
			return
		}
		bus.ServeHTTP(w, r)
	})
	return mux
}

// adminHandler serves the local-only controls under /_local/:
//
//	GET  /_local/bus              the failure mode and the number of events
//	POST /_local/bus?fail=MODE    MODE: true|all, entries, false|none
//	GET  /_local/bus/events       every event accepted so far (last 1000)
//
// A request a browser sends from a page (it carries Origin) is refused:
// the controls are for curl, and a web page the developer opens must not
// switch the local bus off.
func adminHandler(bus *localbus.Bus) http.Handler {
	mux := http.NewServeMux()
	status := func(w http.ResponseWriter) {
		writeJSON(w, http.StatusOK, map[string]any{"fail": bus.Failure(), "events": len(bus.Events())})
	}
	mux.HandleFunc("GET /_local/bus", func(w http.ResponseWriter, r *http.Request) { status(w) })
	mux.HandleFunc("POST /_local/bus", func(w http.ResponseWriter, r *http.Request) {
		mode := r.URL.Query().Get("fail")
		switch mode {
		case "true", "all":
			mode = localbus.FailAll
		case "false", "none":
			mode = localbus.FailNone
		}
		if err := bus.SetFailure(mode); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error() + `; use fail=true, fail=entries or fail=false`})
			return
		}
		status(w)
	})
	mux.HandleFunc("GET /_local/bus/events", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, bus.Events())
	})
	mux.HandleFunc("/_local/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != "" {
			writeJSON(w, http.StatusForbidden, map[string]string{"message": "the local controls take no requests from web pages; use curl"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// printer serialises lines from every function, server and worker onto one
// output, one Write per line, so lines never interleave.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func newPrinter(w io.Writer) *printer { return &printer{w: w} }

// Write writes p (one or more whole lines) atomically.
func (p *printer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.w.Write(b)
}

func (p *printer) printf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	_, _ = p.Write([]byte(strings.TrimRight(line, "\n") + "\n"))
}
