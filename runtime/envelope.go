package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// envelopeVersion is the version of the envelope format that this runtime
// writes. It reads every version up to this one.
const envelopeVersion = 1

// envelope is a task as stored in Redis. It is self-contained: a stream
// entry, a delayed entry or a dead record holds everything needed to run the
// task. Fields use short names because every queued task carries them.
type envelope struct {
	Version  int               `json:"v"`
	ID       TaskID            `json:"id"`
	Name     string            `json:"task"`
	Tenant   string            `json:"tenant,omitempty"`
	Queue    string            `json:"q"`
	Args     json.RawMessage   `json:"args"`
	Attempt  int               `json:"n,omitempty"`   // failed attempts so far
	Retries  int               `json:"r"`             // retries allowed after a failure
	Timeout  int64             `json:"to,omitempty"`  // per-attempt timeout, ms
	Deadline int64             `json:"dl,omitempty"`  // unix ms after which the task must not start; 0: none
	Enqueued int64             `json:"at"`            // unix ms of the first enqueue
	Headers  map[string]string `json:"h,omitempty"`   // trace and metadata headers
	Error    string            `json:"err,omitempty"` // last failure, on retries
}

// errBadEnvelope marks an envelope that cannot be decoded.
var errBadEnvelope = errors.New("runtime: undecodable task envelope")

func (e *envelope) encode() (string, error) {
	b, err := json.Marshal(e)
	return string(b), err
}

func decodeEnvelope(s string) (*envelope, error) {
	var e envelope
	if err := json.Unmarshal([]byte(s), &e); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadEnvelope, err)
	}
	switch {
	case e.Version < 1 || e.Version > envelopeVersion:
		return nil, fmt.Errorf("%w: version %d, this runtime reads versions 1 to %d (upgrade the worker)", errBadEnvelope, e.Version, envelopeVersion)
	case e.ID == "" || e.Name == "" || e.Queue == "":
		return nil, fmt.Errorf("%w: missing id, task or queue", errBadEnvelope)
	}
	return &e, nil
}

func unixMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
