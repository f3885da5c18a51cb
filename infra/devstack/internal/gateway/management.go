package gateway

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// ManagementAPI serves the part of the API Gateway v2 management API that
// describes this API (GET /v2/apis/{apiId}/routes, restJson1), so that the
// drift scan's real apigatewayv2 client can compare the local routes with its
// baseline through AWS_ENDPOINT_URL_APIGATEWAYV2. Other calls, and other API
// ids, are answered with NotFoundException.
func (g *Gateway) ManagementAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/apis/{apiId}/routes", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("apiId") != g.APIID {
			managementError(w, "Invalid API identifier specified "+r.PathValue("apiId"))
			return
		}
		type item struct {
			RouteID           string `json:"routeId"`
			RouteKey          string `json:"routeKey"`
			AuthorizationType string `json:"authorizationType"`
			Target            string `json:"target"`
			APIKeyRequired    bool   `json:"apiKeyRequired"`
		}
		items := []item{}
		for _, key := range g.keys() {
			auth := g.routes[key].Auth
			if auth == "" {
				auth = "NONE"
			}
			sum := sha1.Sum([]byte(key))
			items = append(items, item{
				RouteID: hex.EncodeToString(sum[:4]), RouteKey: key, AuthorizationType: auth,
				Target: "integrations/" + g.routes[key].Name,
			})
		}
		body, _ := json.Marshal(map[string]any{"items": items})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		managementError(w, "the local API Gateway management API does not serve "+r.Method+" "+r.URL.Path)
	})
	return mux
}

func managementError(w http.ResponseWriter, message string) {
	body, _ := json.Marshal(map[string]string{"message": message})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", "NotFoundException")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write(body)
}
