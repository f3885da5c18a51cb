package bizhours

import (
	_ "embed"
	"errors"
	"time"
)

//go:generate go run ./internal/genzones

// zoneinfo is every zone time/tzdata knows, each distinct TZif file stored
// once, in the format documented in internal/genzones. It is searched in
// place on each lookup rather than decoded at start-up, so a cold start pays
// nothing for it and a lookup costs a binary search plus one TZif parse (as
// time.LoadLocation does). It is a string, not a []byte, so that the linker
// puts it with the read-only data rather than the writable: the stripped
// tickets binary is within its 8 MiB only with the 64 KiB-aligned segments
// split that way.
//
//go:embed zoneinfo.bin
var zoneinfo string

// zoneData is an index's bytes: the embedded string, or a []byte the tests
// damage and fuzz.
type zoneData interface{ ~string | ~[]byte }

func be16[D zoneData](d D, off uint64) uint64 { return uint64(d[off])<<8 | uint64(d[off+1]) }

func be32[D zoneData](d D, off uint64) uint64 {
	return uint64(d[off])<<24 | uint64(d[off+1])<<16 | uint64(d[off+2])<<8 | uint64(d[off+3])
}

// The layout constants mirror internal/genzones: TestZonesMatchTzdata reads
// every name of the generated file back and TestTinyIndex lays one out from
// the documented format, so the reader and the writer cannot drift apart.
const (
	zoneMagic  = "TZIX"
	zoneHeader = 20 // magic, names, blobs, version offset, version length
	zoneRecord = 8  // a name record or a blob record
)

// errZoneData means the embedded index does not follow its format: a broken
// build, reported as an error so that a bad BUSINESS_HOURS zone lookup fails
// the configuration check instead of crashing the function.
var errZoneData = errors.New("bizhours: embedded zone data is corrupt")

// loadLocation is time.LoadLocation restricted to the embedded data, so the
// answer is the same on every host: "UTC" is time.UTC, and "Local" or "" is
// an unknown zone like any other name not in the IANA set.
func loadLocation(name string) (*time.Location, error) {
	if name == "UTC" {
		return time.UTC, nil
	}
	return zoneLocation(zoneinfo, name)
}

// zoneLocation loads name from an index in zoneinfo.bin's format; data is a
// parameter so that damaged and fuzzed indexes can be tried.
func zoneLocation[D zoneData](data D, name string) (*time.Location, error) {
	tz, err := findZone(data, name)
	if err != nil {
		return nil, err
	}
	return time.LoadLocationFromTZData(name, []byte(tz)) // a copy of one zone, a few KB
}

// zoneCounts checks data's header and that both record tables lie within
// data, so that every record below a count can be read without more checks.
func zoneCounts[D zoneData](data D) (names, blobs uint64, err error) {
	if len(data) < zoneHeader || string(data[:len(zoneMagic)]) != zoneMagic {
		return 0, 0, errZoneData
	}
	names, blobs = be32(data, 4), be32(data, 8)
	if zoneHeader+zoneRecord*(names+blobs) > uint64(len(data)) { // cannot overflow: both < 2^32
		return 0, 0, errZoneData
	}
	return names, blobs, nil
}

// span returns data[off:off+n], or false when that is not within data.
func span[D zoneData](data D, off, n uint64) (D, bool) {
	if off > uint64(len(data)) || n > uint64(len(data))-off {
		return data[:0], false
	}
	return data[off : off+n], true
}

// findZone returns the TZif data for name by binary search of data's sorted
// name records. Names are compared as strings without copying when they are
// used only in the comparison, so a lookup allocates nothing here.
func findZone[D zoneData](data D, name string) (D, error) {
	names, blobs, err := zoneCounts(data)
	if err != nil {
		return data[:0], err
	}
	lo, hi := uint64(0), names
	for lo < hi {
		mid := lo + (hi-lo)/2
		r := zoneHeader + zoneRecord*mid
		key, ok := span(data, be32(data, r), be16(data, r+4))
		if !ok {
			return data[:0], errZoneData
		}
		switch {
		case string(key) < name:
			lo = mid + 1
		case string(key) > name:
			hi = mid
		default:
			blob := be16(data, r+6)
			if blob >= blobs {
				return data[:0], errZoneData
			}
			br := zoneHeader + zoneRecord*(names+blob)
			tz, ok := span(data, be32(data, br), be32(data, br+4))
			if !ok {
				return data[:0], errZoneData
			}
			return tz, nil
		}
	}
	return data[:0], errors.New("unknown time zone " + name)
}

// zoneVersion returns the tzdata release (e.g. "2025c") data was built from.
func zoneVersion[D zoneData](data D) (string, error) {
	if _, _, err := zoneCounts(data); err != nil {
		return "", err
	}
	v, ok := span(data, be32(data, 12), be32(data, 16))
	if !ok {
		return "", errZoneData
	}
	return string(v), nil
}
