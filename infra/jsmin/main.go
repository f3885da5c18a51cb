// Command jsmin writes the minified build of the browser logger
// (functions/clientlogs/logger/client-logger.js -> client-logger.min.js),
// which the clientlogs function embeds and serves. make logger runs it;
// TestMinifiedIsCurrent fails when the checked-in build is stale.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/evanw/esbuild/pkg/api"
)

// Source and Output are the logger's files, from the module root.
const (
	Source = "functions/clientlogs/logger/client-logger.js"
	Output = "functions/clientlogs/logger/client-logger.min.js"
)

// Minify returns src minified as an ES2020 module (import.meta is ES2020).
// It returns esbuild's errors, joined, when src does not parse.
func Minify(src []byte) ([]byte, error) {
	r := api.Transform(string(src), api.TransformOptions{
		Loader:            api.LoaderJS,
		Format:            api.FormatESModule,
		Target:            api.ES2020,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		LegalComments:     api.LegalCommentsNone,
		Sourcefile:        filepath.Base(Source),
	})
	if len(r.Errors) > 0 {
		msgs := api.FormatMessages(r.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return nil, fmt.Errorf("jsmin: %s", msgs)
	}
	return r.Code, nil
}

func main() {
	src, err := os.ReadFile(Source)
	var out []byte
	if err == nil {
		if out, err = Minify(src); err == nil {
			err = os.WriteFile(Output, out, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d bytes\n", Output, len(out))
}
