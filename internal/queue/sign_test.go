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
		Version:  signedVersion,
		ID:       "ID1",
		Name:     "app.task",
		Tenant:   "acme",
		Queue:    "default",
		Args:     json.RawMessage(`{"n":1}`),
		Retries:  3,
		Timeout:  1000,
		Deadline: 1800000000000,
		Enqueued: 1700000000000,
		Headers:  map[string]string{"traceparent": "00-abc"},
	}
}

// v1Envelope returns signedEnvelope as a task signed before the upgrade
// to signature version 2 would be: version 1, signed by key k with the
// old coverage.
func v1Envelope(k SigningKey) *Envelope {
	e := signedEnvelope()
	e.Version, e.KeyID = 1, k.ID
	e.Sig = signatureV1(k.Secret, e)
	return e
}

func TestSignatureCoversSignedFields(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte("s"), 32)
	base := signatureV2(secret, signedEnvelope())
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
		// Signed since version 2: a worker acts on them.
		{"deadline", func(e *Envelope) { e.Deadline = 1 }, true},
		{"deadline removed", func(e *Envelope) { e.Deadline = 0 }, true},
		{"version", func(e *Envelope) { e.Version = 3 }, true},
		// Left out on purpose: workers change them on every retry.
		{"attempt", func(e *Envelope) { e.Attempt = 2 }, false},
		{"error", func(e *Envelope) { e.Error = "boom" }, false},
		// The signature does not sign itself.
		{"key ID", func(e *Envelope) { e.KeyID = "k9" }, false},
		{"signature", func(e *Envelope) { e.Sig = "forged" }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := signedEnvelope()
			tt.change(e)
			if changed := signatureV2(secret, e) != base; changed != tt.signed {
				t.Errorf("signature changed: %v, want %v", changed, tt.signed)
			}
		})
	}
	t.Run("secret", func(t *testing.T) {
		t.Parallel()
		if signatureV2(bytes.Repeat([]byte("t"), 32), signedEnvelope()) == base {
			t.Error("another secret gives the same signature")
		}
	})
	t.Run("version 1 and 2 differ", func(t *testing.T) {
		t.Parallel()
		if signatureV1(secret, signedEnvelope()) == base {
			t.Error("a version 1 signature equals the version 2 one of the same envelope")
		}
	})
	t.Run("version 1 leaves the deadline out", func(t *testing.T) {
		t.Parallel()
		// What version 1 signed, frozen: tasks signed before the
		// upgrade must verify after it.
		e := signedEnvelope()
		v1 := signatureV1(secret, e)
		e.Deadline, e.Version, e.Attempt, e.Error = 0, 1, 4, "boom"
		if signatureV1(secret, e) != v1 {
			t.Error("version 1's coverage changed")
		}
		// want was computed by the signature function of the last
		// release without version 2.
		if want := "-yv3FzXSw1KPqGSQo6nkjdnRSGtCY64eFR7M0XMDLqY"; v1 != want {
			t.Errorf("version 1 signature %s, want %s (the coverage of version 1 must not change)", v1, want)
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		t.Parallel()
		// Headers are a map: their order must not matter.
		e := signedEnvelope()
		e.Headers = map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"}
		want := signatureV2(secret, e)
		for range 20 {
			if got := signatureV2(secret, e); got != want {
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
		{"deadline moved after signing", func() *Envelope {
			e := signedEnvelope()
			worker.sign(e)
			e.Deadline = 1 // long past: the worker would dead-letter it
			return e
		}, "does not match"},
		{"version 1, signed before the upgrade", func() *Envelope { return v1Envelope(old) }, ""},
		{"version 1, retried", func() *Envelope {
			e := v1Envelope(current)
			e.Attempt, e.Error = 2, "boom"
			return e
		}, ""},
		{"version 1 with the tenant changed", func() *Envelope {
			e := v1Envelope(current)
			e.Tenant = "globex"
			return e
		}, "does not match"},
		// Version 1 did not sign the deadline: a task signed before the
		// upgrade can still have it moved (docs/tenancy.md).
		{"version 1 with the deadline moved", func() *Envelope {
			e := v1Envelope(current)
			e.Deadline = 1
			return e
		}, ""},
		// Downgrades: a version 2 task relabelled as version 1, to escape
		// the deadline's coverage, does not verify; nor does the reverse.
		{"version 2 relabelled as version 1", func() *Envelope {
			e := signedEnvelope()
			worker.sign(e)
			e.Version = 1
			return e
		}, "does not match"},
		{"version 2 relabelled as version 1, deadline moved", func() *Envelope {
			e := signedEnvelope()
			worker.sign(e)
			e.Version, e.Deadline = 1, 1
			return e
		}, "does not match"},
		{"version 1 relabelled as version 2", func() *Envelope {
			e := v1Envelope(current)
			e.Version = signedVersion
			return e
		}, "does not match"},
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

func TestSignStampsVersion(t *testing.T) {
	t.Parallel()
	e := signedEnvelope()
	e.Version = EnvelopeVersion
	newSigner([]SigningKey{{ID: "k1", Secret: bytes.Repeat([]byte("s"), 32)}}).sign(e)
	if e.Version != signedVersion {
		t.Errorf("signed envelope has version %d, want %d", e.Version, signedVersion)
	}
	// A signed envelope still decodes, at its version.
	data, err := e.encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeEnvelope(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != signedVersion {
		t.Errorf("decoded version %d, want %d", got.Version, signedVersion)
	}
	if _, err := decodeEnvelope(strings.Replace(data, `"v":2`, `"v":3`, 1)); err == nil || !strings.Contains(err.Error(), "upgrade the worker") {
		t.Errorf("decode of version 3: %v, want an error saying to upgrade the worker", err)
	}
}

func TestRequeueReset(t *testing.T) {
	t.Parallel()
	current := SigningKey{ID: "k2", Secret: bytes.Repeat([]byte("n"), 32)}
	old := SigningKey{ID: "k1", Secret: bytes.Repeat([]byte("o"), 32)}
	signed := &Client{signer: newSigner([]SigningKey{current, old})}
	dead := func() *Envelope {
		e := signedEnvelope()
		newSigner([]SigningKey{old}).sign(e)
		e.Attempt, e.Error = 3, "boom"
		return e
	}
	for _, tt := range []struct {
		name string
		c    *Client
		env  *Envelope
		want string // in the error; "" for none
	}{
		{"signed: reset and signed again with the current key", signed, dead(), ""},
		{"signed before the upgrade: signed again at version 2", signed, v1Envelope(old), ""},
		{"altered in the dead letter set", signed, func() *Envelope { e := dead(); e.Tenant = "globex"; return e }(), "does not match"},
		{"unsigned, with signing keys", signed, signedEnvelope(), "signature missing"},
		{"without signing keys", &Client{}, dead(), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.c.requeueReset(tt.env)
			switch {
			case tt.want != "":
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("requeueReset: %v, want an error containing %q", err, tt.want)
				}
				return
			case err != nil:
				t.Fatalf("requeueReset: %v", err)
			}
			e := tt.env
			if e.Attempt != 0 || e.Error != "" || e.Deadline != 0 {
				t.Errorf("after the reset: attempt %d, error %q, deadline %d; want all zero", e.Attempt, e.Error, e.Deadline)
			}
			if tt.c.signer == nil {
				return
			}
			if e.KeyID != current.ID || e.Version != signedVersion {
				t.Errorf("signed again with key %q at version %d, want %q at %d", e.KeyID, e.Version, current.ID, signedVersion)
			}
			if err := tt.c.signer.verify(e); err != nil {
				t.Errorf("the reset envelope does not verify: %v", err)
			}
		})
	}
}
