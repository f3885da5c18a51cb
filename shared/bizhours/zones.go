package bizhours

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"time"
)

//go:generate go run ./internal/genzones

// zoneinfo is every zone time/tzdata knows, each distinct TZif file stored
// once, in the format documented in internal/genzones. It is searched in
// place on each lookup rather than decoded at start-up, so a cold start pays
// nothing for it and a lookup costs a binary search plus one TZif parse (as
// time.LoadLocation does).
//
//go:embed zoneinfo.bin
var zoneinfo []byte

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
func zoneLocation(data []byte, name string) (*time.Location, error) {
	tz, err := findZone(data, name)
	if err != nil {
		return nil, err
	}
	return time.LoadLocationFromTZData(name, tz)
}

// zoneCounts checks data's header and that both record tables lie within
// data, so that every record below a count can be read without more checks.
func zoneCounts(data []byte) (names, blobs uint64, err error) {
	if len(data) < zoneHeader || string(data[:len(zoneMagic)]) != zoneMagic {
		return 0, 0, errZoneData
	}
	names = uint64(binary.BigEndian.Uint32(data[4:]))
	blobs = uint64(binary.BigEndian.Uint32(data[8:]))
	if zoneHeader+zoneRecord*(names+blobs) > uint64(len(data)) { // cannot overflow: both < 2^32
		return 0, 0, errZoneData
	}
	return names, blobs, nil
}

// span returns data[off:off+n], or false when that is not within data.
func span(data []byte, off, n uint64) ([]byte, bool) {
	if off > uint64(len(data)) || n > uint64(len(data))-off {
		return nil, false
	}
	return data[off : off+n], true
}

// findZone returns the TZif data for name by binary search of data's sorted
// name records. Names are compared as strings without copying when they are
// used only in the comparison, so a lookup allocates nothing here.
func findZone(data []byte, name string) ([]byte, error) {
	names, blobs, err := zoneCounts(data)
	if err != nil {
		return nil, err
	}
	be := binary.BigEndian
	lo, hi := uint64(0), names
	for lo < hi {
		mid := lo + (hi-lo)/2
		r := data[zoneHeader+zoneRecord*mid:]
		key, ok := span(data, uint64(be.Uint32(r)), uint64(be.Uint16(r[4:])))
		if !ok {
			return nil, errZoneData
		}
		switch {
		case string(key) < name:
			lo = mid + 1
		case string(key) > name:
			hi = mid
		default:
			blob := uint64(be.Uint16(r[6:]))
			if blob >= blobs {
				return nil, errZoneData
			}
			br := data[zoneHeader+zoneRecord*(names+blob):]
			tz, ok := span(data, uint64(be.Uint32(br)), uint64(be.Uint32(br[4:])))
			if !ok {
				return nil, errZoneData
			}
			return tz, nil
		}
	}
	return nil, errors.New("unknown time zone " + name)
}

// zoneVersion returns the tzdata release (e.g. "2025c") data was built from.
func zoneVersion(data []byte) (string, error) {
	if _, _, err := zoneCounts(data); err != nil {
		return "", err
	}
	v, ok := span(data, uint64(binary.BigEndian.Uint32(data[12:])), uint64(binary.BigEndian.Uint32(data[16:])))
	if !ok {
		return "", errZoneData
	}
	return string(v), nil
}
