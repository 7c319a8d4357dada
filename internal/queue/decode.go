package queue

import (
	"encoding/json"
	"hash/maphash"
	"sync/atomic"
)

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
	fDue
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
// Strings share the memory of s, and Headers may be shared with other
// envelopes (see headerCache).
func decodeEnvelopeFast(s string) (*Envelope, bool) {
	d := envDecoder{s: s}
	e := new(Envelope)
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
			e.ID, ok = d.str()
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
		case "due":
			bit = fDue
			e.Due, ok = d.int64()
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

// headers reads an object of plain strings. Envelopes whose header
// objects have the same text share one map (see headerCache).
func (d *envDecoder) headers() (map[string]string, bool) {
	d.skipSpace()
	start := d.i
	if !d.fields(nil) {
		return nil, false
	}
	text := d.s[start:d.i]
	slot := &headerCache.slots[maphash.String(headerCache.seed, text)%uint64(len(headerCache.slots))]
	if c := slot.Load(); c != nil && c.text == text {
		return c.h, true
	}
	h := make(map[string]string)
	d.i = start
	d.fields(h)
	slot.Store(&decodedHeaders{text, h})
	return h, true
}

// fields reads an object of plain strings into h, or only checks it if h
// is nil.
func (d *envDecoder) fields(h map[string]string) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	for {
		k, ok := d.str()
		if !ok || !d.byte(':') {
			return false
		}
		v, ok := d.str()
		if !ok {
			return false
		}
		if h != nil {
			h[k] = v
		}
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// headerCache keeps the header maps last decoded, by their text: the
// tasks of a batch carry the same headers (the trace context of the
// batch's send span), and one map for them all saves each a map's two
// allocations. It has a few slots, each holding the last headers that
// hashed to it; a miss costs what decoding cost without it.
var headerCache struct {
	seed  maphash.Seed
	slots [16]atomic.Pointer[decodedHeaders]
}

func init() { headerCache.seed = maphash.MakeSeed() }

// decodedHeaders is a header object's text and its map.
type decodedHeaders struct {
	text string
	h    map[string]string
}
