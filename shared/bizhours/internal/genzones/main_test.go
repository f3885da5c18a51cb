package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestZoneinfoBinIsCurrent regenerates zoneinfo.bin in memory from this
// toolchain: a Go upgrade that brings a new tzdata release fails here until
// the file is regenerated, instead of silently shipping old rules.
func TestZoneinfoBinIsCurrent(t *testing.T) {
	goroot, err := findGOROOT()
	if err != nil {
		t.Skip(err)
	}
	if _, err := os.Stat(filepath.Join(goroot, "lib", "time", "zoneinfo.zip")); errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s ships no lib/time/zoneinfo.zip", goroot)
	}
	want, err := generate(goroot)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", "zoneinfo.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("shared/bizhours/zoneinfo.bin (%d bytes) is not what %s/lib/time yields (%d bytes): run go generate ./shared/bizhours", len(got), goroot, len(want))
	}
	again, err := generate(goroot)
	if err != nil || !bytes.Equal(again, want) {
		t.Fatal("two runs gave different bytes")
	}
}

func TestEncode(t *testing.T) {
	a, b := []byte("TZif-a"), []byte("TZif-b")
	zones := map[string][]byte{"Zulu": a, "Etc/UTC": a, "Europe/London": b, "GB": append([]byte(nil), b...)}
	got, err := encode("2025c", zones)
	if err != nil {
		t.Fatal(err)
	}
	want := "TZIX" +
		"\x00\x00\x00\x04" + "\x00\x00\x00\x02" + "\x00\x00\x00\x44" + "\x00\x00\x00\x05" +
		// names in byte order: Etc/UTC, Europe/London, GB, Zulu
		"\x00\x00\x00\x49\x00\x07\x00\x00" +
		"\x00\x00\x00\x50\x00\x0d\x00\x01" +
		"\x00\x00\x00\x5d\x00\x02\x00\x01" +
		"\x00\x00\x00\x5f\x00\x04\x00\x00" +
		// blobs, numbered by first use
		"\x00\x00\x00\x63\x00\x00\x00\x06" +
		"\x00\x00\x00\x69\x00\x00\x00\x06" +
		"2025c" + "Etc/UTC" + "Europe/London" + "GB" + "Zulu" + "TZif-a" + "TZif-b"
	if string(got) != want {
		t.Fatalf("encode =\n%q\nwant\n%q", got, want)
	}

	for _, bad := range []map[string][]byte{
		{"": a},
		{string(make([]byte, 1<<16)): a},
	} {
		if _, err := encode("2025c", bad); err == nil {
			t.Errorf("encode accepted a name of %d bytes", len(firstKey(bad)))
		}
	}
}

func firstKey(m map[string][]byte) string {
	for k := range m {
		return k
	}
	return ""
}

func TestDataVersion(t *testing.T) {
	tests := []struct {
		script, want string
		ok           bool
	}{
		{"# Versions to use.\nCODE=2025c\nDATA=2025c\n", "2025c", true},
		{"CODE=2024a\nDATA=2024b\n", "2024b", true},
		{"DATA=2025c  \n", "2025c", true},
		{"# DATA=2025c\n", "", false},
		{"DATA=latest\n", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got, err := dataVersion([]byte(tt.script))
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("dataVersion(%q) = %q, %v; want %q, ok %v", tt.script, got, err, tt.want, tt.ok)
			}
		})
	}
}

// tzif is TZif data of version 2 whose version 2 block has the given
// transitions, the i-th to local time type types[i] of two.
func tzif(times []int64, types []byte) []byte {
	be := binary.BigEndian
	const zones = "\x00\x00\x00\x00\x00\x00" + "\x00\x00\x0e\x10\x01\x02" + "A\x00B\x00"
	head := func(n int) []byte {
		h := make([]byte, 44)
		copy(h, "TZif2")
		be.PutUint32(h[32:], uint32(n)) // transitions
		be.PutUint32(h[36:], 2)         // local time types
		be.PutUint32(h[40:], 4)         // abbreviation bytes
		return h
	}
	out := append(append(head(0), zones...), head(len(times))...)
	for _, t := range times {
		out = be.AppendUint64(out, uint64(t))
	}
	out = append(out, types...)
	return append(out, zones+"\nB-1\n"...)
}

func TestTrim(t *testing.T) {
	tests := []struct {
		name     string
		in, want []byte
	}{
		{"history dropped but the last transition before",
			tzif([]int64{-100, -50, 10, 20}, []byte{0, 1, 0, 1}), tzif([]int64{-50, 10, 20}, []byte{1, 0, 1})},
		{"nothing before", tzif([]int64{0, 30}, []byte{1, 0}), tzif([]int64{0, 30}, []byte{1, 0})},
		{"all before: the last kept", tzif([]int64{-30, -20, -10}, []byte{0, 1, 0}), tzif([]int64{-10}, []byte{0})},
		{"no transitions", tzif(nil, nil), tzif(nil, nil)},
		{"not TZif", []byte("GIF89a"), nil},
		{"version 1", append([]byte("TZif\x00"), make([]byte, 60)...), nil},
		{"no version 2 block", tzif(nil, nil)[:60], nil},
		{"transitions cut short", tzif([]int64{1, 2, 3}, []byte{0, 1, 0})[:130], nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := trim(tc.in, 0)
			if (err != nil) != (tc.want == nil) {
				t.Fatalf("trim: %v", err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("trim =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
