package gateway

import (
	"net/http"
	"strconv"
	"strings"
)

// CORS is an HTTP API's CorsConfiguration. As in API Gateway, when it is set
// the gateway answers preflight OPTIONS requests itself (unless an OPTIONS
// route exists), adds the configured headers to responses for allowed
// origins, and drops any CORS headers the function returned.
type CORS struct {
	AllowOrigins     []string
	AllowMethods     []string
	AllowHeaders     []string
	ExposeHeaders    []string
	MaxAge           int
	AllowCredentials bool
}

// allowedOrigin returns the Access-Control-Allow-Origin value for origin, or
// "" when the origin is not allowed.
func (c *CORS) allowedOrigin(origin string) string {
	if origin == "" {
		return ""
	}
	for _, o := range c.AllowOrigins {
		if o == "*" {
			if c.AllowCredentials {
				return origin
			}
			return "*"
		}
		if strings.EqualFold(o, origin) {
			return origin
		}
	}
	return ""
}

func (c *CORS) allowsMethod(method string) bool {
	for _, m := range c.AllowMethods {
		if m == "*" || strings.EqualFold(m, method) {
			return true
		}
	}
	return false
}

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// preflight answers a preflight request: 204, with the CORS headers when
// the origin and the requested method are allowed.
func (c *CORS) preflight(w http.ResponseWriter, r *http.Request) int {
	h := w.Header()
	if origin := c.allowedOrigin(r.Header.Get("Origin")); origin != "" && c.allowsMethod(r.Header.Get("Access-Control-Request-Method")) {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		}
		if c.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
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
	allowed := c.allowedOrigin(origin)
	if allowed == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", allowed)
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if allowed != "*" {
		h.Add("Vary", "Origin")
	}
}
