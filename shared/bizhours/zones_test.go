package bizhours

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// tzdataZip returns every file of $GOROOT/lib/time/zoneinfo.zip, the archive
// time/tzdata embeds byte for byte, read directly rather than through
// time.LoadLocation: that consults the host's /usr/share/zoneinfo first, which
// may be an older or newer tzdata release than the toolchain's.
func tzdataZip(t testing.TB) map[string][]byte {
	t.Helper()
	goroot := os.Getenv("GOROOT")
	if goroot == "" {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			t.Skipf("no GOROOT to read lib/time/zoneinfo.zip from: %v", err)
		}
		goroot = strings.TrimSpace(string(out))
	}
	path := filepath.Join(goroot, "lib", "time", "zoneinfo.zip")
	zr, err := zip.OpenReader(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s: not shipped with this toolchain", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	zones := make(map[string][]byte, len(zr.File))
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		zones[f.Name] = data
	}
	return zones
}

// indexNames lists data's zone names by walking every name record in order,
// an independent path from findZone's binary search.
func indexNames(t testing.TB, data []byte) []string {
	t.Helper()
	n, _, err := zoneCounts(data)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, n)
	for i := range names {
		r := data[zoneHeader+zoneRecord*i:]
		b, ok := span(data, uint64(binary.BigEndian.Uint32(r)), uint64(binary.BigEndian.Uint16(r[4:])))
		if !ok {
			t.Fatalf("name record %d is out of range", i)
		}
		names[i] = string(b)
	}
	return names
}

// TestZonesMatchTzdata is the guarantee that replacing time/tzdata lost
// nothing a deadline needs: the same names, and every zone giving the same
// abbreviation and offset as time/tzdata's copy at two instants a month
// from ZonesFrom to 2040.
func TestZonesMatchTzdata(t *testing.T) {
	ref := tzdataZip(t)
	want := make([]string, 0, len(ref))
	for name := range ref {
		want = append(want, name)
	}
	slices.Sort(want)
	got := indexNames(t, []byte(zoneinfo))
	if !slices.Equal(got, want) {
		t.Fatalf("zoneinfo.bin holds %d names, time/tzdata %d; they differ (go generate ./shared/bizhours)", len(got), len(want))
	}
	if _, blobs, _ := zoneCounts(zoneinfo); blobs >= uint64(len(want)) {
		t.Errorf("%d blobs for %d names: aliases are not shared", blobs, len(want))
	}

	var instants []time.Time
	for y := ZonesFrom; y <= 2040; y++ {
		for m := time.January; m <= time.December; m++ {
			instants = append(instants, time.Date(y, m, 1, 12, 0, 0, 0, time.UTC), time.Date(y, m, 15, 12, 0, 0, 0, time.UTC))
		}
	}
	for _, name := range want {
		t.Run(name, func(t *testing.T) {
			loc, err := loadLocation(name)
			if err != nil {
				t.Fatal(err)
			}
			if loc.String() != name {
				t.Errorf("location is named %q", loc)
			}
			wantLoc, err := time.LoadLocationFromTZData(name, ref[name])
			if err != nil {
				t.Fatal(err)
			}
			for _, at := range instants {
				gz, goff := at.In(loc).Zone()
				wz, woff := at.In(wantLoc).Zone()
				if gz != wz || goff != woff {
					t.Fatalf("at %s: %s %+d, time/tzdata says %s %+d", at.Format(time.DateOnly), gz, goff, wz, woff)
				}
			}
		})
	}
}

func TestLoadLocation(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"Europe/London", true},
		{"GB", true}, // an alias sharing Europe/London's data
		{"America/Argentina/Buenos_Aires", true},
		{"Etc/GMT+5", true},
		{"Africa/Abidjan", true}, // first in the index
		{"Zulu", true},           // last in the index
		{"Local", false},
		{"", false},
		{"europe/london", false},
		{"Europe/London ", false},
		{"Europe", false},
		{"Europe/", false},
		{"../Europe/London", false},
		{"/usr/share/zoneinfo/Europe/London", false},
		{"Mars/Olympus_Mons", false},
		{"\x00", false},
		{"zzzz", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := loadLocation(tt.name)
			if (err == nil) != tt.ok {
				t.Fatalf("loadLocation(%q) error = %v, want ok %v", tt.name, err, tt.ok)
			}
			if tt.ok && loc.String() != tt.name {
				t.Errorf("loadLocation(%q) is named %q", tt.name, loc)
			}
		})
	}
	t.Run("UTC", func(t *testing.T) {
		if loc, err := loadLocation("UTC"); err != nil || loc != time.UTC {
			t.Fatalf("loadLocation(UTC) = %v, %v; want time.UTC", loc, err)
		}
	})
	t.Run("version", func(t *testing.T) {
		v, err := zoneVersion(zoneinfo)
		if err != nil || len(v) != 5 || !strings.HasPrefix(v, "20") {
			t.Fatalf("zoneVersion = %q, %v; want a tzdata release such as 2025c", v, err)
		}
	})
}

// TestParseUnknownZone pins the error text callers and operators already see.
func TestParseUnknownZone(t *testing.T) {
	_, err := Parse("Mon-Fri 09:00-17:00 Europe/Londres", "")
	want := `business hours zone "Europe/Londres": not a known IANA time zone (e.g. Europe/London)`
	if err == nil || err.Error() != want {
		t.Fatalf("Parse error = %v, want %s", err, want)
	}
}

// record returns the offset of name's name record in data and its blob
// record, found by a linear scan so a broken binary search cannot hide here.
func record(t *testing.T, data []byte, name string) (nameRec, blobRec int) {
	t.Helper()
	i := slices.Index(indexNames(t, data), name)
	if i < 0 {
		t.Fatalf("%s not in the index", name)
	}
	names, _, _ := zoneCounts(data)
	nameRec = zoneHeader + zoneRecord*i
	blob := int(binary.BigEndian.Uint16(data[nameRec+6:]))
	return nameRec, zoneHeader + zoneRecord*(int(names)+blob)
}

// TestCorruptZoneData: a damaged zoneinfo.bin must surface as an error from
// Parse, never as a panic in the function handling a request.
func TestCorruptZoneData(t *testing.T) {
	const name = "Europe/London"
	nameRec, blobRec := record(t, []byte(zoneinfo), name)
	be := binary.BigEndian
	tests := []struct {
		desc   string
		damage func(d []byte) []byte
	}{
		{"empty", func(d []byte) []byte { return nil }},
		{"short header", func(d []byte) []byte { return d[:zoneHeader-1] }},
		{"wrong magic", func(d []byte) []byte { d[0] = 'X'; return d }},
		{"name count past the end", func(d []byte) []byte { be.PutUint32(d[4:], 0xffffffff); return d }},
		{"blob count past the end", func(d []byte) []byte { be.PutUint32(d[8:], 0xffffffff); return d }},
		{"no names", func(d []byte) []byte { be.PutUint32(d[4:], 0); return d }},
		{"tables only", func(d []byte) []byte {
			n, b, _ := zoneCounts(d)
			return d[:zoneHeader+zoneRecord*(n+b)]
		}},
		{"name offset past the end", func(d []byte) []byte { be.PutUint32(d[nameRec:], uint32(len(d))); return d }},
		{"name length past the end", func(d []byte) []byte {
			be.PutUint32(d[nameRec:], uint32(len(d)-1))
			be.PutUint16(d[nameRec+4:], 0xffff)
			return d
		}},
		{"blob index out of range", func(d []byte) []byte { be.PutUint16(d[nameRec+6:], 0xffff); return d }},
		{"blob offset past the end", func(d []byte) []byte { be.PutUint32(d[blobRec:], 0xffffffff); return d }},
		{"blob length past the end", func(d []byte) []byte { be.PutUint32(d[blobRec+4:], 0xffffffff); return d }},
		{"blob truncated", func(d []byte) []byte { be.PutUint32(d[blobRec+4:], 10); return d }},
		{"blob not TZif", func(d []byte) []byte {
			copy(d[be.Uint32(d[blobRec:]):], "JUNK")
			return d
		}},
		{"names unsorted", func(d []byte) []byte {
			n, _, _ := zoneCounts(d)
			recs := d[zoneHeader : zoneHeader+zoneRecord*n]
			for i, j := 0, int(n)-1; i < j; i, j = i+1, j-1 {
				a, b := recs[zoneRecord*i:zoneRecord*(i+1)], recs[zoneRecord*j:zoneRecord*(j+1)]
				var tmp [zoneRecord]byte
				copy(tmp[:], a)
				copy(a, b)
				copy(b, tmp[:])
			}
			return d
		}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			data := tt.damage([]byte(zoneinfo))
			if loc, err := zoneLocation(data, name); err == nil {
				t.Fatalf("lookup in damaged data succeeded: %v", loc)
			}
			_, _ = zoneVersion(data) // must not panic either
		})
	}
}

// tinyIndex lays out a small index by the format's documentation, not by
// the generator, as a check on both and a seed small enough to fuzz.
func tinyIndex(version string, names []string, blobOf []int, blobs [][]byte) []byte {
	be := binary.BigEndian
	d := make([]byte, zoneHeader+zoneRecord*(len(names)+len(blobs)))
	copy(d, zoneMagic)
	be.PutUint32(d[4:], uint32(len(names)))
	be.PutUint32(d[8:], uint32(len(blobs)))
	be.PutUint32(d[12:], uint32(len(d)))
	be.PutUint32(d[16:], uint32(len(version)))
	d = append(d, version...)
	for i, n := range names {
		r := d[zoneHeader+zoneRecord*i:]
		be.PutUint32(r, uint32(len(d)))
		be.PutUint16(r[4:], uint16(len(n)))
		be.PutUint16(r[6:], uint16(blobOf[i]))
		d = append(d, n...)
	}
	for i, b := range blobs {
		r := d[zoneHeader+zoneRecord*(len(names)+i):]
		be.PutUint32(r, uint32(len(d)))
		be.PutUint32(r[4:], uint32(len(b)))
		d = append(d, b...)
	}
	return d
}

func tinySeed(t testing.TB) []byte {
	london, err := findZone(zoneinfo, "Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	tokyo, err := findZone(zoneinfo, "Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	return tinyIndex("2025c", []string{"Asia/Tokyo", "Europe/London", "GB"}, []int{0, 1, 1}, [][]byte{[]byte(tokyo), []byte(london)})
}

func TestTinyIndex(t *testing.T) {
	data := tinySeed(t)
	for _, name := range []string{"Asia/Tokyo", "Europe/London", "GB"} {
		if loc, err := zoneLocation(data, name); err != nil || loc.String() != name {
			t.Errorf("zoneLocation(tiny, %q) = %v, %v", name, loc, err)
		}
	}
	if _, err := zoneLocation(data, "Europe/Paris"); err == nil {
		t.Error("zoneLocation(tiny, Europe/Paris) succeeded")
	}
	if v, err := zoneVersion(data); v != "2025c" || err != nil {
		t.Errorf("zoneVersion(tiny) = %q, %v", v, err)
	}
}

// FuzzLoadLocation checks the binary search against a linear scan of the
// same index: a name loads exactly when it is listed.
func FuzzLoadLocation(f *testing.F) {
	for _, s := range []string{"Europe/London", "UTC", "Local", "", "GB", "Zulu", "Africa/Abidjan", "europe/london", "Europe/London/", "../etc/passwd", "America/Argentina/Buenos_Aires", "\xff"} {
		f.Add(s)
	}
	listed := make(map[string]bool)
	for _, n := range indexNames(f, []byte(zoneinfo)) {
		listed[n] = true
	}
	f.Fuzz(func(t *testing.T, name string) {
		loc, err := loadLocation(name)
		if (err == nil) != (listed[name] || name == "UTC") {
			t.Fatalf("loadLocation(%q) error = %v, listed %v", name, err, listed[name])
		}
		if err == nil && loc.String() != name {
			t.Fatalf("loadLocation(%q) is named %q", name, loc)
		}
	})
}

// FuzzZoneData feeds arbitrary index bytes to the reader: any input must give
// a location or an error, never a panic or a slice outside the input.
func FuzzZoneData(f *testing.F) {
	seed := tinySeed(f)
	f.Add(seed, "Europe/London")
	f.Add(seed, "GB")
	f.Add(seed, "Asia/Tokyo")
	f.Add(seed, "Europe/Paris")
	f.Add(seed[:zoneHeader], "Europe/London")
	f.Add([]byte(zoneMagic), "")
	f.Add([]byte(zoneinfo[:4096]), "Africa/Abidjan")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		if tz, err := findZone(data, name); err == nil && len(tz) > len(data) {
			t.Fatalf("findZone returned %d bytes from %d", len(tz), len(data))
		}
		_, _ = zoneLocation(data, name)
		_, _ = zoneVersion(data)
	})
}

// TestFindZoneAllocatesNothing: names are compared in place, not copied.
func TestFindZoneAllocatesNothing(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _, _ = findZone(zoneinfo, "Pacific/Auckland") }); n != 0 {
		t.Errorf("findZone allocates %v times per lookup", n)
	}
}
