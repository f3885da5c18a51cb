package invoke

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/levqor/serverless/infra/samtemplate"
)

// startHello builds testdata/hello and runs it under the emulator.
func startHello(t *testing.T, out *bytes.Buffer) *Emulator {
	t.Helper()
	root, err := samtemplate.FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bin, err := Binary(ctx, root, "./infra/invoke/testdata/hello", filepath.Join(t.TempDir(), "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	rie, err := RIE(root)
	if err != nil {
		t.Fatal(err)
	}
	fn := &samtemplate.Function{LogicalID: "HelloFunction", Timeout: 5, MemorySize: 128, Env: map[string]string{"TABLE_NAME": "from-template"}}
	em, err := Start(ctx, Options{RIE: rie, Bootstrap: bin, Env: Env(fn, nil), Output: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(em.Stop)
	return em
}

func TestEmulator(t *testing.T) {
	var out bytes.Buffer
	em := startHello(t, &out)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tests := []struct {
		name, event, want string
		report            string // expected in the REPORT line
	}{
		{"cold", `{"n":1}`, `"table":"from-template"`, "Init Duration"},
		{"warm", `{"n":2}`, `"event":{"n":2},"pid":`, "Duration"},
		{"function error", `{"fail":true}`, `"errorMessage":"asked to fail"`, "Duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := em.Invoke(ctx, []byte(tc.event))
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if !strings.Contains(string(got), tc.want) {
				t.Errorf("response %s, want it to contain %s", got, tc.want)
			}
			if r := em.Report(5 * time.Second); !strings.Contains(r, tc.report) {
				t.Errorf("REPORT line %q, want %q", r, tc.report)
			}
		})
	}
}

func TestStopKillsEmulatorAndFunction(t *testing.T) {
	em := startHello(t, &bytes.Buffer{})
	if _, err := em.Invoke(context.Background(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	pgid := em.cmd.Process.Pid
	em.Stop()
	// Signal 0 to the group: ESRCH once every member is gone.
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("process group %d still alive after Stop", pgid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := em.Invoke(context.Background(), []byte(`{}`)); err == nil {
		t.Error("Invoke after Stop succeeded")
	}
}

func TestEnv(t *testing.T) {
	fn := &samtemplate.Function{LogicalID: "TicketsFunction", Timeout: 10, MemorySize: 256,
		Env: map[string]string{"TABLE_NAME": "t", "AWS_REGION": "us-east-1"}}
	env := map[string]string{}
	for _, kv := range Env(fn, map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://x", "TABLE_NAME": "override"}) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "TicketsFunction", "AWS_LAMBDA_FUNCTION_TIMEOUT": "10",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "TABLE_NAME": "override", "AWS_ENDPOINT_URL_DYNAMODB": "http://x",
		"AWS_ACCESS_KEY_ID": "local", "AWS_REGION": "us-east-1",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if _, ok := env["HOME"]; ok {
		t.Error("HOME leaked into the function environment (would expose ~/.aws)")
	}
}

func TestStartErrors(t *testing.T) {
	_, err := Start(context.Background(), Options{RIE: "/nonexistent/rie", Bootstrap: "/nonexistent/bootstrap"})
	if err == nil {
		t.Fatal("Start with missing binaries succeeded")
	}
	var pe interface{ Unwrap() error }
	if !errors.As(err, &pe) {
		t.Errorf("error %v does not wrap the cause", err)
	}
}
