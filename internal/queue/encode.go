package queue

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// encodeFast encodes e without reflection. It reports false, leaving the
// work to encoding/json, if a string needs escaping or Args is not valid,
// compact JSON that json.Marshal would copy unchanged.
func (e *Envelope) encodeFast() (string, bool) {
	if !plainJSON(e.ID) || !plainJSON(e.Name) || !plainJSON(e.Tenant) || !plainJSON(e.Queue) || !plainJSON(e.Error) ||
		!plainJSON(e.KeyID) || !plainJSON(e.Sig) {
		return "", false
	}
	size := 96 + len(e.ID) + len(e.Name) + len(e.Tenant) + len(e.Queue) + len(e.Args) + len(e.Error) + len(e.KeyID) + len(e.Sig) + 32
	// The header keys, sorted as json.Marshal sorts map keys, in an array
	// on the stack for the few headers that a task carries: the tasks of
	// a batch share their headers, and sorting them allocated per task.
	var room [8]string
	keys := room[:0]
	for k, v := range e.Headers {
		if !plainJSON(k) || !plainJSON(v) {
			return "", false
		}
		size += len(k) + len(v) + 6
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !compactJSON(e.Args) || !json.Valid(e.Args) {
		return "", false
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteString(`{"v":`)
	writeInt(&b, int64(e.Version))
	writeStringField(&b, `,"id":"`, e.ID)
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
	if e.Due != 0 {
		b.WriteString(`,"due":`)
		writeInt(&b, e.Due)
	}
	if len(e.Headers) > 0 {
		b.WriteString(`,"h":{`)
		for i, k := range keys {
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
