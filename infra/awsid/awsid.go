// Package awsid makes identifiers shaped like the ones AWS services hand
// out (request ids, event ids, trace ids), so local stand-ins look real.
package awsid

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// UUID returns a random version 4 UUID, the shape of Lambda request ids and
// EventBridge event ids.
func UUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// TraceRoot returns an X-Ray trace root id ("Root=1-<epoch hex>-<24 hex>").
func TraceRoot(now time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s", now.Unix(), hex.EncodeToString(b[:]))
}
