package gateway

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
)

func TestManagementAPIWithSDK(t *testing.T) {
	fn := &fakeFunction{}
	g, err := New([]Route{
		{Method: "GET", Path: "/health", Name: "HealthFunction", Function: fn},
		{Method: "POST", Path: "/api/ops/keepalive", Auth: "AWS_IAM", Name: "KeepaliveFunction", Function: fn},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.ManagementAPI())
	defer srv.Close()
	client := apigatewayv2.New(apigatewayv2.Options{
		Region: "eu-west-2", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	out, err := client.GetRoutes(context.Background(), &apigatewayv2.GetRoutesInput{ApiId: aws.String("local")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out.Items {
		got = append(got, aws.ToString(r.RouteKey)+" "+string(r.AuthorizationType))
	}
	if want := "GET /health NONE|POST /api/ops/keepalive AWS_IAM"; strings.Join(got, "|") != want {
		t.Errorf("routes %q, want %q", got, want)
	}
	_, err = client.GetRoutes(context.Background(), &apigatewayv2.GetRoutesInput{ApiId: aws.String("other")})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("other API id: %v, want NotFoundException", err)
	}
}
