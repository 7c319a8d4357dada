package queue

import "encoding/json"

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
// Strings share the memory of s.
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
