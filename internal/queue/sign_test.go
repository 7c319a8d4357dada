package queue

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// signedEnvelope returns the envelope that the signature tests change one
// field of at a time.
func signedEnvelope() *Envelope {
	return &Envelope{
		Version:  EnvelopeVersion,
		ID:       "ID1",
		Name:     "app.task",
		Tenant:   "acme",
		Queue:    "default",
		Args:     json.RawMessage(`{"n":1}`),
		Retries:  3,
		Timeout:  1000,
		Enqueued: 1700000000000,
		Headers:  map[string]string{"traceparent": "00-abc"},
	}
}

func TestSignatureCoversSignedFields(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte("s"), 32)
	base := signature(secret, signedEnvelope())
	for _, tt := range []struct {
		name   string
		change func(e *Envelope)
		signed bool // the change must change the signature
	}{
		{"ID", func(e *Envelope) { e.ID = "ID2" }, true},
		{"task name", func(e *Envelope) { e.Name = "app.other" }, true},
		{"tenant", func(e *Envelope) { e.Tenant = "globex" }, true},
		{"tenant removed", func(e *Envelope) { e.Tenant = "" }, true},
		{"queue", func(e *Envelope) { e.Queue = "billing" }, true},
		{"args", func(e *Envelope) { e.Args = json.RawMessage(`{"n":2}`) }, true},
		{"args spacing", func(e *Envelope) { e.Args = json.RawMessage(`{"n": 1}`) }, true},
		{"enqueue time", func(e *Envelope) { e.Enqueued++ }, true},
		{"retries", func(e *Envelope) { e.Retries = 1000 }, true},
		{"timeout", func(e *Envelope) { e.Timeout = 1 }, true},
		{"header value", func(e *Envelope) { e.Headers["traceparent"] = "00-abd" }, true},
		{"header key", func(e *Envelope) { e.Headers = map[string]string{"tracepareNt": "00-abc"} }, true},
		{"header added", func(e *Envelope) { e.Headers["tenant"] = "globex" }, true},
		{"headers removed", func(e *Envelope) { e.Headers = nil }, true},
		// Length prefixes: moving bytes across a field boundary is a change.
		{"byte moved from task name to tenant", func(e *Envelope) { e.Name, e.Tenant = "app.tas", "kacme" }, true},
		{"byte moved from tenant to queue", func(e *Envelope) { e.Tenant, e.Queue = "acm", "edefault" }, true},
		{"byte moved from header key to value", func(e *Envelope) { e.Headers = map[string]string{"tracepar": "ent00-abc"} }, true},
		{"header turned into two", func(e *Envelope) { e.Headers = map[string]string{"trace": "", "parent": "00-abc"} }, true},
		// Left out on purpose: workers and RequeueDead change them.
		{"attempt", func(e *Envelope) { e.Attempt = 2 }, false},
		{"version", func(e *Envelope) { e.Version = 2 }, false},
		{"error", func(e *Envelope) { e.Error = "boom" }, false},
		{"deadline", func(e *Envelope) { e.Deadline = 1800000000000 }, false},
		// The signature does not sign itself.
		{"key ID", func(e *Envelope) { e.KeyID = "k9" }, false},
		{"signature", func(e *Envelope) { e.Sig = "forged" }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := signedEnvelope()
			tt.change(e)
			if changed := signature(secret, e) != base; changed != tt.signed {
				t.Errorf("signature changed: %v, want %v", changed, tt.signed)
			}
		})
	}
	t.Run("secret", func(t *testing.T) {
		t.Parallel()
		if signature(bytes.Repeat([]byte("t"), 32), signedEnvelope()) == base {
			t.Error("another secret gives the same signature")
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		t.Parallel()
		// Headers are a map: their order must not matter.
		e := signedEnvelope()
		e.Headers = map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"}
		want := signature(secret, e)
		for range 20 {
			if got := signature(secret, e); got != want {
				t.Fatalf("signature %s, then %s", want, got)
			}
		}
	})
}

func TestSignerVerify(t *testing.T) {
	t.Parallel()
	current := SigningKey{ID: "k2", Secret: bytes.Repeat([]byte("n"), 32)}
	old := SigningKey{ID: "k1", Secret: bytes.Repeat([]byte("o"), 32)}
	worker := newSigner([]SigningKey{current, old})
	for _, tt := range []struct {
		name string
		make func() *Envelope
		want string // in the error; "" for none
	}{
		{"signed with the current key", func() *Envelope {
			e := signedEnvelope()
			worker.sign(e)
			return e
		}, ""},
		{"signed with the old key", func() *Envelope {
			e := signedEnvelope()
			newSigner([]SigningKey{old}).sign(e)
			return e
		}, ""},
		{"retried: attempt and error changed", func() *Envelope {
			e := signedEnvelope()
			worker.sign(e)
			e.Attempt, e.Error = 1, "boom"
			return e
		}, ""},
		{"unsigned", signedEnvelope, "tenantgen: task signature missing"},
		{"unknown key", func() *Envelope {
			e := signedEnvelope()
			newSigner([]SigningKey{{ID: "k9", Secret: current.Secret}}).sign(e)
			return e
		}, `signature made with unknown key "k9"`},
		{"another secret under the key's ID", func() *Envelope {
			e := signedEnvelope()
			newSigner([]SigningKey{{ID: "k2", Secret: bytes.Repeat([]byte("x"), 32)}}).sign(e)
			return e
		}, `signature does not match: the task was altered or signed with another secret for key "k2"`},
		{"tenant changed after signing", func() *Envelope {
			e := signedEnvelope()
			worker.sign(e)
			e.Tenant = "globex"
			return e
		}, "does not match"},
		{"old key's signature relabelled as the current key", func() *Envelope {
			e := signedEnvelope()
			newSigner([]SigningKey{old}).sign(e)
			e.KeyID = current.ID
			return e
		}, "does not match"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := worker.verify(tt.make())
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("verify: %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("verify: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
