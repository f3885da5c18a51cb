package edge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/levqor/serverless/shared/probe"
)

// ScheduleSource is the source field of the template's schedule Input.
const ScheduleSource = "levqor.schedule"

// maxScheduledEvent bounds a scheduled event; real ones are a few hundred bytes.
const maxScheduledEvent = 64 << 10

// Scheduled is what one scheduled invocation asks for.
type Scheduled struct {
	// EventID is the EventBridge event id of a standard "Scheduled Event"
	// envelope, the same on every redelivery; empty for the template's
	// Input, which replaces the envelope (the caller then uses the Lambda
	// request id, which async retries keep).
	EventID string
	// APIURL is the API's base URL, from which the default target is built;
	// empty when the event does not carry one.
	APIURL string
	// APIID is the API's id (the drift scan's routes check); empty when
	// the event does not carry one.
	APIID string
	// Time is the envelope's time, zero for the template's Input.
	Time time.Time
}

// scheduleFields are the schedule's members of the one-pass envelope; a
// Source tells the edge to parse the event as a schedule.
type scheduleFields struct {
	Source string `json:"source"`
}

type scheduledEvent struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
	APIURL     string          `json:"api_url"`
	APIID      string          `json:"api_id"`
}

// ParseScheduled reads a scheduled invocation in either shape, strictly (a
// second pass over the raw event, on a path nobody waits on), so that a
// mistyped member of the template's Input is an error, not ignored:
//
//	{"source":"levqor.schedule","api_url":"https://...","api_id":"..."}   (the template's Input)
//	{"version":"0","id":"...","detail-type":"Scheduled Event","source":"aws.events","time":"...",
//	 "resources":["arn:..."],"detail":{}}                                     (a rule without Input)
//
// An envelope may carry api_url in its detail. It returns an error for
// other shapes, unknown fields, a missing envelope id, a bad time or an
// api_url that is not an absolute http(s) URL.
func ParseScheduled(raw []byte) (Scheduled, error) {
	if len(raw) > maxScheduledEvent {
		return Scheduled{}, errors.New("scheduled event too large")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var ev scheduledEvent
	if err := dec.Decode(&ev); err != nil {
		return Scheduled{}, fmt.Errorf("not a scheduled event: %w", err)
	}
	if len(bytes.TrimSpace(raw[dec.InputOffset():])) > 0 {
		return Scheduled{}, errors.New("scheduled event: data after the JSON object")
	}
	var tr Scheduled
	switch ev.Source {
	case ScheduleSource:
		tr.APIURL, tr.APIID = ev.APIURL, ev.APIID
	case "aws.events":
		if ev.DetailType != "Scheduled Event" {
			return Scheduled{}, fmt.Errorf("scheduled event: detail-type %q is not \"Scheduled Event\"", ev.DetailType)
		}
		if ev.ID == "" || len(ev.ID) > 128 {
			return Scheduled{}, errors.New("scheduled event: envelope without a usable id")
		}
		tr.EventID = ev.ID
		if ev.Time != "" {
			t, err := time.Parse(time.RFC3339, ev.Time)
			if err != nil {
				return Scheduled{}, errors.New("scheduled event: time is not RFC 3339")
			}
			tr.Time = t
		}
		tr.APIURL, tr.APIID = ev.APIURL, ev.APIID
		if len(ev.Detail) > 0 && !bytes.Equal(bytes.TrimSpace(ev.Detail), []byte("null")) {
			var d struct {
				APIURL string `json:"api_url"`
			}
			if err := json.Unmarshal(ev.Detail, &d); err != nil {
				return Scheduled{}, errors.New("scheduled event: detail is not an object")
			}
			if d.APIURL != "" {
				tr.APIURL = d.APIURL
			}
		}
	default:
		return Scheduled{}, fmt.Errorf("scheduled event: unknown source %q", ev.Source)
	}
	if tr.APIURL != "" {
		if err := probe.ValidURL(tr.APIURL); err != nil {
			return Scheduled{}, fmt.Errorf("scheduled event: api_url: %w", err)
		}
		tr.APIURL = strings.TrimRight(tr.APIURL, "/")
	}
	return tr, nil
}
