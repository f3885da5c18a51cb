package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"flag"
	"fmt"
	"io"
	"os"
)

// sizeCmd reports each binary's size and the size of a zip holding it as
// "bootstrap" (what sam build packages and Lambda stores).
func sizeCmd(args []string) error {
	fs := flag.NewFlagSet("size", flag.ExitOnError)
	md := fs.String("md", "", "append a Markdown table to this file")
	fs.Parse(args)
	bins, err := pairs(fs.Args())
	if err != nil {
		return err
	}
	w, err := mdFile(*md)
	if err != nil {
		return err
	}
	defer w.Close()
	fmt.Fprintln(w, "| binary | stripped | zipped | stripped vs hello | zipped vs hello |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: |")
	var refRaw, refZip int64
	for i, b := range bins {
		raw, zipped, err := sizes(b[1])
		if err != nil {
			return err
		}
		if i == 0 {
			refRaw, refZip = raw, zipped
		}
		fmt.Printf("BenchmarkBinarySize/fn=%s 1 %d stripped-B %d zipped-B\n", b[0], raw, zipped)
		fmt.Fprintf(w, "| %s | %.2f MiB | %.2f MiB | %+.2f MiB | %+.2f MiB |\n", b[0], mib(raw), mib(zipped), mib(raw-refRaw), mib(zipped-refZip))
	}
	fmt.Fprintln(w)
	return nil
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func sizes(path string) (raw, zipped int64, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	f, err := zw.CreateHeader(h)
	if err != nil {
		return 0, 0, err
	}
	if _, err := f.Write(data); err != nil {
		return 0, 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, 0, err
	}
	return int64(len(data)), int64(buf.Len()), nil
}
