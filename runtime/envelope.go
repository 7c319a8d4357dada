package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
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
	KeyID    string            `json:"kid,omitempty"` // signing key, when Config.SigningKeys is set
	Sig      string            `json:"sig,omitempty"` // HMAC-SHA256 signature (see sign.go)
}

// errBadEnvelope marks an envelope that cannot be decoded.
var errBadEnvelope = errors.New("tenantgen: undecodable task envelope")

// encode returns e as JSON, byte for byte what json.Marshal(e) returns.
// Envelopes whose strings need no escaping, the common case, take a
// hand-written path that makes one allocation; the others go through
// encoding/json.
func (e *envelope) encode() (string, error) {
	if s, ok := e.encodeFast(); ok {
		return s, nil
	}
	c := *e // only this copy escapes, so that e can live on the caller's stack
	b, err := json.Marshal(&c)
	return string(b), err
}

// encodeFast encodes e without reflection. It reports false, leaving the
// work to encoding/json, if a string needs escaping or Args is not valid,
// compact JSON that json.Marshal would copy unchanged.
func (e *envelope) encodeFast() (string, bool) {
	if !plainJSON(string(e.ID)) || !plainJSON(e.Name) || !plainJSON(e.Tenant) || !plainJSON(e.Queue) || !plainJSON(e.Error) ||
		!plainJSON(e.KeyID) || !plainJSON(e.Sig) {
		return "", false
	}
	size := 96 + len(e.ID) + len(e.Name) + len(e.Tenant) + len(e.Queue) + len(e.Args) + len(e.Error) + len(e.KeyID) + len(e.Sig) + 16
	for k, v := range e.Headers {
		if !plainJSON(k) || !plainJSON(v) {
			return "", false
		}
		size += len(k) + len(v) + 6
	}
	if !compactJSON(e.Args) || !json.Valid(e.Args) {
		return "", false
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteString(`{"v":`)
	writeInt(&b, int64(e.Version))
	writeStringField(&b, `,"id":"`, string(e.ID))
	writeStringField(&b, `,"task":"`, e.Name)
	if e.Tenant != "" {
		writeStringField(&b, `,"tenant":"`, e.Tenant)
	}
	writeStringField(&b, `,"q":"`, e.Queue)
	b.WriteString(`,"args":`)
	b.Write(e.Args)
	if e.Attempt != 0 {
		b.WriteString(`,"n":`)
		writeInt(&b, int64(e.Attempt))
	}
	b.WriteString(`,"r":`)
	writeInt(&b, int64(e.Retries))
	if e.Timeout != 0 {
		b.WriteString(`,"to":`)
		writeInt(&b, e.Timeout)
	}
	if e.Deadline != 0 {
		b.WriteString(`,"dl":`)
		writeInt(&b, e.Deadline)
	}
	b.WriteString(`,"at":`)
	writeInt(&b, e.Enqueued)
	if len(e.Headers) > 0 {
		b.WriteString(`,"h":{`)
		for i, k := range slices.Sorted(maps.Keys(e.Headers)) { // json.Marshal sorts map keys
			if i > 0 {
				b.WriteByte(',')
			}
			writeStringField(&b, `"`, k)
			writeStringField(&b, `:"`, e.Headers[k])
		}
		b.WriteByte('}')
	}
	if e.Error != "" {
		writeStringField(&b, `,"err":"`, e.Error)
	}
	if e.KeyID != "" {
		writeStringField(&b, `,"kid":"`, e.KeyID)
	}
	if e.Sig != "" {
		writeStringField(&b, `,"sig":"`, e.Sig)
	}
	b.WriteByte('}')
	return b.String(), true
}

// writeStringField writes prefix, which ends with the opening quote, then
// the plain string v and its closing quote.
func writeStringField(b *strings.Builder, prefix, v string) {
	b.WriteString(prefix)
	b.WriteString(v)
	b.WriteByte('"')
}

func writeInt(b *strings.Builder, v int64) {
	var num [20]byte
	b.Write(strconv.AppendInt(num[:0], v, 10))
}

// plainJSON reports whether s is encoded in JSON as itself between quotes,
// both by json.Marshal (which escapes <, > and & as well) and as read by
// json.Unmarshal: printable ASCII other than the quote and the backslash.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// compactJSON reports whether json.Marshal copies the raw message m
// unchanged, if m is valid JSON: it has no whitespace outside strings and
// nothing that json.Marshal escapes (<, >, &, U+2028, U+2029).
func compactJSON(m []byte) bool {
	inString := false
	for i := 0; i < len(m); i++ {
		switch c := m[i]; {
		case c == '<' || c == '>' || c == '&' || c == 0xE2:
			return false
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return false
		}
	}
	return len(m) > 0
}

// decodeEnvelope decodes and checks an encoded envelope.
func decodeEnvelope(s string) (*envelope, error) {
	e, ok := decodeEnvelopeFast(s)
	if !ok {
		// Not in the shape this runtime writes: let encoding/json decode
		// it, or say why it cannot.
		e = new(envelope)
		if err := json.Unmarshal([]byte(s), e); err != nil {
			return nil, fmt.Errorf("%w: %v", errBadEnvelope, err)
		}
	}
	switch {
	case e.Version < 1 || e.Version > envelopeVersion:
		return nil, fmt.Errorf("%w: version %d, this runtime reads versions 1 to %d (upgrade the worker)", errBadEnvelope, e.Version, envelopeVersion)
	case e.ID == "" || e.Name == "" || e.Queue == "":
		return nil, fmt.Errorf("%w: missing id, task or queue", errBadEnvelope)
	}
	return e, nil
}

// Fields of an envelope, as bits, to catch a field given twice.
const (
	fVersion = 1 << iota
	fID
	fName
	fTenant
	fQueue
	fArgs
	fAttempt
	fRetries
	fTimeout
	fDeadline
	fEnqueued
	fHeaders
	fError
	fKeyID
	fSig
)

// decodeEnvelopeFast decodes s without reflection when it is in the shape
// that encode writes: a JSON object of the envelope's exact keys, each at
// most once, with plain strings (no escapes, ASCII) and integers. It
// reports false for anything else, valid or not, so that json.Unmarshal
// decides; what it accepts, json.Unmarshal decodes to the same envelope.
// Strings share the memory of s.
func decodeEnvelopeFast(s string) (*envelope, bool) {
	d := envDecoder{s: s}
	e := new(envelope)
	if !d.byte('{') {
		return nil, false
	}
	if d.byte('}') {
		return e, d.end()
	}
	seen := 0
	for {
		key, ok := d.str()
		if !ok || !d.byte(':') {
			return nil, false
		}
		var bit int
		switch key {
		case "v":
			bit = fVersion
			e.Version, ok = d.int()
		case "id":
			bit = fID
			var id string
			id, ok = d.str()
			e.ID = TaskID(id)
		case "task":
			bit = fName
			e.Name, ok = d.str()
		case "tenant":
			bit = fTenant
			e.Tenant, ok = d.str()
		case "q":
			bit = fQueue
			e.Queue, ok = d.str()
		case "args":
			bit = fArgs
			e.Args, ok = d.raw()
		case "n":
			bit = fAttempt
			e.Attempt, ok = d.int()
		case "r":
			bit = fRetries
			e.Retries, ok = d.int()
		case "to":
			bit = fTimeout
			e.Timeout, ok = d.int64()
		case "dl":
			bit = fDeadline
			e.Deadline, ok = d.int64()
		case "at":
			bit = fEnqueued
			e.Enqueued, ok = d.int64()
		case "h":
			bit = fHeaders
			e.Headers, ok = d.headers()
		case "err":
			bit = fError
			e.Error, ok = d.str()
		case "kid":
			bit = fKeyID
			e.KeyID, ok = d.str()
		case "sig":
			bit = fSig
			e.Sig, ok = d.str()
		}
		if !ok || bit == 0 || seen&bit != 0 {
			return nil, false
		}
		seen |= bit
		if d.byte('}') {
			return e, d.end()
		}
		if !d.byte(',') {
			return nil, false
		}
	}
}

// envDecoder reads the JSON text s from offset i.
type envDecoder struct {
	s string
	i int
}

func (d *envDecoder) skipSpace() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// byte consumes c, after whitespace, if it comes next.
func (d *envDecoder) byte(c byte) bool {
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (d *envDecoder) end() bool {
	d.skipSpace()
	return d.i == len(d.s)
}

// str reads a plain string: printable ASCII without escapes.
func (d *envDecoder) str() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	for j := d.i; j < len(d.s); j++ {
		switch c := d.s[j]; {
		case c == '"':
			v := d.s[d.i:j]
			d.i = j + 1
			return v, true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return "", false
		}
	}
	return "", false
}

// int64 reads an integer of up to 18 digits, in JSON's syntax.
func (d *envDecoder) int64() (int64, bool) {
	d.skipSpace()
	neg := d.i < len(d.s) && d.s[d.i] == '-'
	if neg {
		d.i++
	}
	start := d.i
	var v int64
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		v = v*10 + int64(d.s[d.i]-'0')
		d.i++
	}
	switch n := d.i - start; {
	case n == 0 || n > 18 || (n > 1 && d.s[start] == '0'):
		return 0, false
	case d.i < len(d.s) && (d.s[d.i] == '.' || d.s[d.i] == 'e' || d.s[d.i] == 'E'):
		return 0, false // a fraction or exponent: not an integer
	}
	if neg {
		v = -v
	}
	return v, true
}

func (d *envDecoder) int() (int, bool) {
	v, ok := d.int64()
	if int64(int(v)) != v {
		return 0, false // out of range for int here: encoding/json reports it
	}
	return int(v), ok
}

// raw reads any JSON value and returns a copy of its text, as
// json.RawMessage's UnmarshalJSON does. It relies on json.Valid for the
// value's validity; it only finds where the value ends.
func (d *envDecoder) raw() (json.RawMessage, bool) {
	d.skipSpace()
	start := d.i
	depth := 0
	inString := false
scan:
	for ; d.i < len(d.s); d.i++ {
		c := d.s[d.i]
		switch {
		case inString:
			if c == '\\' {
				d.i++
			} else if c == '"' {
				inString = false
				if depth == 0 {
					d.i++
					break scan
				}
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth == 0 {
				break scan // the end of the envelope: a scalar value ended
			}
			depth--
			if depth == 0 {
				d.i++
				break scan
			}
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			break scan
		}
	}
	if d.i > len(d.s) {
		return nil, false
	}
	if d.i == start || d.s[start] == 'n' {
		return nil, false // null: leave it to encoding/json
	}
	v := json.RawMessage(d.s[start:d.i])
	if !json.Valid(v) {
		return nil, false
	}
	return v, true
}

// headers reads an object of plain strings.
func (d *envDecoder) headers() (map[string]string, bool) {
	if !d.byte('{') {
		return nil, false
	}
	h := make(map[string]string)
	if d.byte('}') {
		return h, true
	}
	for {
		k, ok := d.str()
		if !ok || !d.byte(':') {
			return nil, false
		}
		v, ok := d.str()
		if !ok {
			return nil, false
		}
		h[k] = v
		if d.byte('}') {
			return h, true
		}
		if !d.byte(',') {
			return nil, false
		}
	}
}

func unixMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
