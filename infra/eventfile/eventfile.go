// Package eventfile loads the project's sample events (events/*.json: HTTP
// API payload 2.0 requests, schedule inputs, stream batches, and AWS's own
// samples under events/aws/) for tests, optionally edited, so each test
// starts from the same files `sam local invoke -e` and `make invoke` use.
package eventfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/levqor/serverless/infra/samtemplate"
)

// Dir returns the events directory at the module root above the working
// directory. It fails t when there is no module root.
func Dir(t testing.TB) string {
	t.Helper()
	root, err := samtemplate.FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "events")
}

// Read returns the bytes of events/<name> (name may hold a subdirectory,
// "aws/dynamodb-event.json"). When edit is non-nil the file is decoded as a
// JSON object, edit changes it in place, and the re-encoded object is
// returned. It fails t when the file cannot be read or, with edit, is not a
// JSON object.
func Read(t testing.TB, name string, edit func(map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(t), filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return b
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	edit(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}
