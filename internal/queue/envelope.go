package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// EnvelopeVersion is the version of the envelope format that this engine
// writes for unsigned tasks; signed ones carry signedVersion (sign.go). It
// reads every version up to newestVersion.
const (
	EnvelopeVersion = 1
	newestVersion   = signedVersion
)

// Envelope is a task as stored in Redis. It is self-contained: a stream
// entry, a delayed entry or a dead record holds everything needed to run the
// task. Fields use short names because every queued task carries them.
type Envelope struct {
	Version  int               `json:"v"`
	ID       string            `json:"id"`
	Name     string            `json:"task"`
	Tenant   string            `json:"tenant,omitempty"`
	Queue    string            `json:"q"`
	Args     json.RawMessage   `json:"args"`
	Attempt  int               `json:"n,omitempty"`   // failed attempts so far
	Retries  int               `json:"r"`             // retries allowed after a failure
	Timeout  int64             `json:"to,omitempty"`  // per-attempt timeout, ms
	Deadline int64             `json:"dl,omitempty"`  // unix ms after which the task must not start; 0: none
	Enqueued int64             `json:"at"`            // unix ms of the first enqueue
	Due      int64             `json:"due,omitempty"` // unix ms it became due, when later than at: a delayed start, a retry, a requeue
	Headers  map[string]string `json:"h,omitempty"`   // trace and metadata headers
	Error    string            `json:"err,omitempty"` // last failure, on retries
	KeyID    string            `json:"kid,omitempty"` // signing key, when Config.SigningKeys is set
	Sig      string            `json:"sig,omitempty"` // HMAC-SHA256 signature (see sign.go)
}

// errBadEnvelope marks an envelope that cannot be decoded.
var errBadEnvelope = errors.New("tenantgen: undecodable task envelope")

// useJSON makes encode and decodeEnvelope use encoding/json alone. Only
// the codec benchmarks set it, to measure what the hand-written codec saves
// (see docs/queue.md).
var useJSON bool

// encode returns e as JSON, byte for byte what json.Marshal(e) returns.
// Envelopes whose strings need no escaping, the common case, take a
// hand-written path that makes one allocation; the others go through
// encoding/json.
func (e *Envelope) encode() (string, error) {
	if !useJSON {
		if s, ok := e.encodeFast(); ok {
			return s, nil
		}
	}
	c := *e // only this copy escapes, so that e can live on the caller's stack
	b, err := json.Marshal(&c)
	return string(b), err
}

// decodeEnvelope decodes and checks an encoded envelope.
func decodeEnvelope(s string) (*Envelope, error) {
	var e *Envelope
	ok := false
	if !useJSON {
		e, ok = decodeEnvelopeFast(s)
	}
	if !ok {
		// Not in the shape this engine writes: let encoding/json decode
		// it, or say why it cannot.
		e = new(Envelope)
		if err := json.Unmarshal([]byte(s), e); err != nil {
			return nil, fmt.Errorf("%w: %v", errBadEnvelope, err)
		}
	}
	switch {
	case e.Version < 1 || e.Version > newestVersion:
		return nil, fmt.Errorf("%w: version %d, this runtime reads versions 1 to %d (upgrade the worker)", errBadEnvelope, e.Version, newestVersion)
	case e.ID == "" || e.Name == "" || e.Queue == "":
		return nil, fmt.Errorf("%w: missing id, task or queue", errBadEnvelope)
	}
	return e, nil
}

// EnqueuedAt returns the time of the task's first enqueue.
func (e *Envelope) EnqueuedAt() time.Time { return unixMilli(e.Enqueued) }

// DueAt returns when the task became due to run: its enqueue, or the later
// time it was delayed to, retried at or requeued at. Telemetry measures a
// task's start latency from it.
func (e *Envelope) DueAt() time.Time { return unixMilli(max(e.Enqueued, e.Due)) }

// unixMilli returns the time of ms Unix milliseconds; 0 is the zero time.
func unixMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// ceilMilli returns t in Unix milliseconds, rounded up so that a task due at
// t is never forwarded before t.
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.After(time.UnixMilli(ms)) {
		ms++
	}
	return ms
}
