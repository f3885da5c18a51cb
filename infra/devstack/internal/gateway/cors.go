package gateway

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// CORS is an HTTP API's CorsConfiguration. As in API Gateway, when it is set
// the gateway answers preflight OPTIONS requests itself (unless an OPTIONS
// route exists), adds the configured headers to responses for allowed
// origins, and drops any CORS headers the function returned. Origins and
// methods are listed ones: "*" and AllowCredentials, which the template
// does not use, are not emulated (infra/devstack refuses them).
type CORS struct {
	AllowOrigins  []string
	AllowMethods  []string
	AllowHeaders  []string
	ExposeHeaders []string
	MaxAge        int
}

// allows reports whether origin is one of the allowed origins.
func (c *CORS) allows(origin string) bool {
	return origin != "" && slices.ContainsFunc(c.AllowOrigins, func(o string) bool { return strings.EqualFold(o, origin) })
}

func (c *CORS) allowsMethod(method string) bool {
	return slices.ContainsFunc(c.AllowMethods, func(m string) bool { return strings.EqualFold(m, method) })
}

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// preflight answers a preflight request: 204, with the CORS headers when
// the origin and the requested method are allowed.
func (c *CORS) preflight(w http.ResponseWriter, r *http.Request) int {
	h := w.Header()
	if origin := r.Header.Get("Origin"); c.allows(origin) && c.allowsMethod(r.Header.Get("Access-Control-Request-Method")) {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		}
		if c.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}

// decorate replaces the function's CORS headers with the configured ones.
func (c *CORS) decorate(h http.Header, origin string) {
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			delete(h, k)
		}
	}
	if !c.allows(origin) {
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	h.Add("Vary", "Origin")
}
