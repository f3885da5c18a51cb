// Command genzones writes shared/bizhours/zoneinfo.bin from the Go
// toolchain's own copy of the IANA zone database, $GOROOT/lib/time/zoneinfo.zip,
// which is the data time/tzdata embeds. It is run by `go generate` in
// shared/bizhours:
//
//	go generate ./shared/bizhours
//
// time/tzdata embeds the zip whole: 598 files, many of them byte-identical
// aliases (GB and Europe/London, for instance). zoneinfo.bin keeps every name
// but each distinct TZif file once, without the transitions before
// bizhours.ZonesFrom (trim), and uncompressed, so a lookup is a binary
// search over the embedded bytes with nothing to inflate and nothing to build
// at start-up; the Lambda deployment zip does the compressing.
//
// # Format
//
// All integers are unsigned big-endian; every offset counts from the start of
// the file.
//
//	offset  size  field
//	0       4     magic "TZIX"
//	4       4     N, the number of zone names
//	8       4     B, the number of distinct TZif blobs
//	12      4     offset of the tzdata version string (e.g. "2025c")
//	16      4     length of the version string
//	20      8*N   name records, sorted by name (byte order), each:
//	                4  offset of the name
//	                2  length of the name
//	                2  index of its blob, < B
//	20+8*N  8*B   blob records, each:
//	                4  offset of the TZif data
//	                4  length of the TZif data
//	...           the version string, the names, then the blobs, unpadded
//
// Blobs are numbered in order of the first name (in sorted order) that uses
// them, so the same zoneinfo.zip always yields the same bytes.
//
// The version comes from the DATA= line of $GOROOT/lib/time/update.bash, the
// script that built the zip: the zip itself does not record it.
package main

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/levqor/serverless/shared/bizhours"
)

// magic opens every zoneinfo.bin; bizhours checks it before trusting offsets.
const magic = "TZIX"

const (
	headerSize = 20
	recordSize = 8
)

func main() {
	log.SetPrefix("genzones: ")
	log.SetFlags(0)
	out := flag.String("o", "zoneinfo.bin", "file to write")
	goroot := flag.String("goroot", "", "Go root to read lib/time from (default: $GOROOT, else `go env GOROOT`)")
	flag.Parse()
	dir := *goroot
	if dir == "" {
		var err error
		if dir, err = findGOROOT(); err != nil {
			log.Fatal(err)
		}
	}
	data, err := generate(dir)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		log.Fatal(err)
	}
}

// findGOROOT returns the Go root whose lib/time to read: $GOROOT when set (go
// generate sets it to that of the go command running it), else `go env GOROOT`.
func findGOROOT() (string, error) {
	if d := os.Getenv("GOROOT"); d != "" {
		return d, nil
	}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOROOT: %w", err)
	}
	d := strings.TrimSpace(string(out))
	if d == "" {
		return "", errors.New("go env GOROOT printed nothing")
	}
	return d, nil
}

// generate returns zoneinfo.bin built from goroot's lib/time.
func generate(goroot string) ([]byte, error) {
	dir := filepath.Join(goroot, "lib", "time")
	script, err := os.ReadFile(filepath.Join(dir, "update.bash"))
	if err != nil {
		return nil, err
	}
	version, err := dataVersion(script)
	if err != nil {
		return nil, err
	}
	zones, err := readZip(filepath.Join(dir, "zoneinfo.zip"))
	if err != nil {
		return nil, err
	}
	from := time.Date(bizhours.ZonesFrom, time.January, 1, 0, 0, 0, 0, time.UTC).Unix()
	for name, data := range zones {
		if zones[name], err = trim(data, from); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return encode(version, zones)
}

// trim returns TZif data (version 2 or later) without the transitions
// before from, except the last of them, which gives the offset in force at
// from: an SLA deadline is counted from a ticket's creation, never in the
// past, and the history is most of the data. Everything else (the version 1
// block, the local time types, the footer's rule for the future) is kept as
// it is.
func trim(data []byte, from int64) ([]byte, error) {
	const header = 44 // magic, version, 15 reserved bytes, six counts
	be := binary.BigEndian
	// block reads a header's counts: its transitions, and the size of the
	// data block it heads, with times of timeSize bytes.
	block := func(h []byte, timeSize int) (times, size int) {
		c := func(i int) int { return int(be.Uint32(h[20+4*i:])) }
		isut, isstd, leap, times, types, chars := c(0), c(1), c(2), c(3), c(4), c(5)
		return times, (timeSize+1)*times + 6*types + chars + (timeSize+4)*leap + isstd + isut
	}
	if len(data) < header || string(data[:4]) != "TZif" || data[4] < '2' {
		return nil, errors.New("not TZif data of version 2 or later")
	}
	_, v1 := block(data, 4)
	v2 := header + v1
	if len(data) < v2+header || string(data[v2:v2+4]) != "TZif" {
		return nil, errors.New("no version 2 header")
	}
	times, _ := block(data[v2:], 8)
	at := v2 + header
	if len(data) < at+9*times {
		return nil, errors.New("transitions cut short")
	}
	drop := 0
	for drop+1 < times && int64(be.Uint64(data[at+8*(drop+1):])) < from {
		drop++
	}
	out := slices.Clone(data[:at])
	be.PutUint32(out[v2+32:], uint32(times-drop))
	out = append(out, data[at+8*drop:at+8*times]...) // the times kept
	out = append(out, data[at+8*times+drop:]...)     // their types, and the rest
	return out, nil
}

var dataLine = regexp.MustCompile(`(?m)^DATA=([0-9]{4}[a-z]+)\s*$`)

// dataVersion finds the tzdata release update.bash downloaded.
func dataVersion(script []byte) (string, error) {
	m := dataLine.FindSubmatch(script)
	if m == nil {
		return "", errors.New("lib/time/update.bash: no DATA=<tzdata version> line")
	}
	return string(m[1]), nil
}

// readZip returns every file of a zoneinfo.zip by name.
func readZip(path string) (map[string][]byte, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	zones := make(map[string][]byte, len(zr.File))
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		if _, dup := zones[f.Name]; dup {
			return nil, fmt.Errorf("%s: %s appears twice", path, f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, f.Name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, f.Name, err)
		}
		zones[f.Name] = data
	}
	if len(zones) == 0 {
		return nil, fmt.Errorf("%s: no zones", path)
	}
	return zones, nil
}

// encode lays out zones (name to TZif data) in the format above, storing
// identical data once.
func encode(version string, zones map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(zones))
	for name := range zones {
		if name == "" || len(name) > 0xffff {
			return nil, fmt.Errorf("zone name %q: want 1 to 65535 bytes", name)
		}
		names = append(names, name)
	}
	slices.Sort(names)

	blobOf := make(map[string]int, len(zones)) // TZif data -> blob index
	var blobs [][]byte
	index := make([]int, len(names))
	for i, name := range names {
		data := zones[name]
		b, ok := blobOf[string(data)]
		if !ok {
			b = len(blobs)
			blobOf[string(data)] = b
			blobs = append(blobs, data)
		}
		index[i] = b
	}
	if len(blobs) > 0xffff {
		return nil, fmt.Errorf("%d distinct zones: the format holds 65535", len(blobs))
	}

	size := headerSize + recordSize*(len(names)+len(blobs)) + len(version)
	for _, n := range names {
		size += len(n)
	}
	for _, b := range blobs {
		size += len(b)
	}
	if size > 1<<32-1 {
		return nil, fmt.Errorf("%d bytes: the format holds 4 GiB", size)
	}

	be := binary.BigEndian
	out := make([]byte, headerSize+recordSize*(len(names)+len(blobs)), size)
	copy(out, magic)
	be.PutUint32(out[4:], uint32(len(names)))
	be.PutUint32(out[8:], uint32(len(blobs)))
	be.PutUint32(out[12:], uint32(len(out)))
	be.PutUint32(out[16:], uint32(len(version)))
	out = append(out, version...)
	for i, n := range names {
		r := out[headerSize+recordSize*i:]
		be.PutUint32(r, uint32(len(out)))
		be.PutUint16(r[4:], uint16(len(n)))
		be.PutUint16(r[6:], uint16(index[i]))
		out = append(out, n...)
	}
	for i, b := range blobs {
		r := out[headerSize+recordSize*(len(names)+i):]
		be.PutUint32(r, uint32(len(out)))
		be.PutUint32(r[4:], uint32(len(b)))
		out = append(out, b...)
	}
	if len(out) != size {
		return nil, fmt.Errorf("wrote %d bytes, planned %d: a bug in encode", len(out), size)
	}
	return out, nil
}
